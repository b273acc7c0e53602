import fc from 'fast-check';
import { snapshotDigest, toSnapshot, type DockerService, type DockerTask, type RawSwarmState } from '../src/index.js';

const id = fc.stringMatching(/^[a-z0-9]{1,6}$/);
const service: fc.Arbitrary<DockerService> = fc.record({
  ID: id,
  Spec: fc.record({ Name: id, Labels: fc.dictionary(fc.stringMatching(/^[a-z.]{1,8}$/), fc.string({ maxLength: 5 })) }),
  CreatedAt: fc.constantFrom('2024-01-01T00:00:00Z', '2024-01-01T00:00:00.123456789Z'),
});
const task: fc.Arbitrary<DockerTask> = fc.record({
  ID: id,
  ServiceID: id,
  Slot: fc.nat({ max: 5 }),
  DesiredState: fc.constantFrom('running', 'shutdown'),
  Status: fc.record({ State: fc.constantFrom('running', 'pending', 'failed') }),
  NetworksAttachments: fc.array(fc.record({ Network: fc.record({ ID: id }), Addresses: fc.array(fc.ipV4().map((a) => `${a}/24`), { maxLength: 2 }) }), { maxLength: 2 }),
});
const state: fc.Arbitrary<RawSwarmState> = fc.record({
  services: fc.uniqueArray(service, { selector: (s) => s.ID, maxLength: 6 }),
  tasks: fc.uniqueArray(task, { selector: (t) => t.ID, maxLength: 10 }),
  networks: fc.constant([]),
  secrets: fc.constant([]),
});

describe('toSnapshot (properties)', () => {
  it('does not depend on the order of the Engine lists or of label keys', () => {
    fc.assert(
      fc.property(state, fc.integer(), (raw, seed) => {
        const shuffle = <T>(xs: readonly T[]): T[] => {
          const out = [...xs];
          let s = seed;
          for (let i = out.length - 1; i > 0; i--) {
            s = (s * 1103515245 + 12345) & 0x7fffffff;
            const j = s % (i + 1);
            [out[i], out[j]] = [out[j] as T, out[i] as T];
          }
          return out;
        };
        const permuted: RawSwarmState = {
          services: shuffle(raw.services).map((s) => ({ ...s, Spec: { ...s.Spec, Labels: Object.fromEntries(shuffle(Object.entries(s.Spec?.Labels ?? {}))) } })),
          tasks: shuffle(raw.tasks).map((t) => ({ ...t, NetworksAttachments: shuffle(t.NetworksAttachments ?? []) })),
          networks: [],
          secrets: [],
        };
        return snapshotDigest(toSnapshot(permuted)) === snapshotDigest(toSnapshot(raw));
      }),
    );
  });

  it('never leaves a prefix length on an address', () => {
    fc.assert(
      fc.property(state, (raw) =>
        toSnapshot(raw).tasks.every((t) => t.attachments.every((a) => a.addresses.every((addr) => !addr.includes('/')))),
      ),
    );
  });
});
