import { SwarmSnapshot } from '@switchyard/proto';
import {
  encodeSnapshot,
  parseDockerTime,
  snapshotDigest,
  stripPrefixLength,
  toSnapshot,
  type DockerNetwork,
  type DockerSecret,
  type DockerService,
  type DockerTask,
  type RawSwarmState,
} from '../src/index.js';

const networks: DockerNetwork[] = [
  { Id: 'n-front', Name: 'front', Driver: 'overlay', Scope: 'swarm', Ingress: false },
  { Id: 'n-ingress', Name: 'ingress', Driver: 'overlay', Scope: 'swarm', Ingress: true },
  { Id: 'n-bridge', Name: 'bridge', Driver: 'bridge', Scope: 'local' },
];
const secrets: DockerSecret[] = [
  { ID: 's2', Spec: { Name: 'web.key' } },
  { ID: 's1', Spec: { Name: 'web.crt' } },
];
const services: DockerService[] = [
  {
    ID: 'svc-web',
    CreatedAt: '2024-05-01T10:00:00.123456789Z',
    Spec: {
      Name: 'web',
      Labels: { 'com.docker.lb.port': '8080', 'com.docker.lb.hosts': 'web.local' },
      TaskTemplate: { ContainerSpec: { Image: 'x', Labels: { 'container.only': 'yes' } }, Networks: [{ Target: 'n-front' }, { Target: 'front' }] },
    },
    Endpoint: {
      VirtualIPs: [
        { NetworkID: 'n-ingress', Addr: '10.0.0.7/24' },
        { NetworkID: 'n-front', Addr: '10.0.1.2/24' },
      ],
    },
  },
  { ID: 'svc-api', CreatedAt: '2024-05-01T09:00:00Z', Spec: { Name: 'api', Networks: [{ Target: 'front' }] } },
];
const tasks: DockerTask[] = [
  {
    ID: 't-web-2',
    ServiceID: 'svc-web',
    NodeID: 'node-a',
    Slot: 2,
    DesiredState: 'running',
    Status: { State: 'running' },
    NetworksAttachments: [
      { Network: { ID: 'n-ingress' }, Addresses: ['10.0.0.9/24'] },
      { Network: { ID: 'n-front' }, Addresses: ['fd00::9/64', '10.0.1.9/24'] },
    ],
  },
  { ID: 't-web-1', ServiceID: 'svc-web', NodeID: 'node-b', Slot: 1, DesiredState: 'shutdown', Status: { State: 'running' } },
  { ID: 't-api-global', ServiceID: 'svc-api', NodeID: 'node-a', DesiredState: 'running', Status: { State: 'preparing' } },
];
const raw: RawSwarmState = { services, tasks, networks, secrets };

describe('toSnapshot', () => {
  const snap = toSnapshot(raw);

  it('maps services: spec labels and container labels apart, network targets as IDs, VIPs without prefix, created ms', () => {
    expect(snap.services.map((s) => s.name)).toEqual(['api', 'web']);
    const web = snap.services[1];
    expect(web).toEqual({
      id: 'svc-web',
      name: 'web',
      labels: { 'com.docker.lb.hosts': 'web.local', 'com.docker.lb.port': '8080' },
      networkIds: ['n-front'],
      virtualIps: [
        { networkId: 'n-front', address: '10.0.1.2' },
        { networkId: 'n-ingress', address: '10.0.0.7' },
      ],
      createdAtUnixMs: Date.UTC(2024, 4, 1, 10, 0, 0, 123),
      containerLabels: { 'container.only': 'yes' },
    });
    expect(Object.keys(web?.labels ?? {})).toEqual(['com.docker.lb.hosts', 'com.docker.lb.port']);
    expect(snap.services[0]).toMatchObject({ id: 'svc-api', networkIds: ['n-front'], labels: {}, virtualIps: [], containerLabels: {} });
  });

  it('keeps com.docker.lb.* container labels (compose `labels:` instead of `deploy.labels:`) apart from service labels, sorted', () => {
    const misplaced: DockerService = {
      ID: 'svc-compose',
      Spec: {
        Name: 'compose',
        TaskTemplate: {
          ContainerSpec: { Image: 'x', Labels: { 'com.docker.lb.port': '80', 'com.docker.lb.hosts': 'app.local', 'com.docker.stack.namespace': 'st' } },
        },
      },
    };
    const [svc] = toSnapshot({ services: [misplaced], tasks: [], networks: [], secrets: [] }).services;
    expect(svc?.labels).toEqual({});
    expect(svc?.containerLabels).toEqual({ 'com.docker.lb.hosts': 'app.local', 'com.docker.lb.port': '80', 'com.docker.stack.namespace': 'st' });
    expect(Object.keys(svc?.containerLabels ?? {})).toEqual(['com.docker.lb.hosts', 'com.docker.lb.port', 'com.docker.stack.namespace']);
    // The field survives the protobuf and JSON forms the CLI reads and writes.
    const snap = toSnapshot({ services: [misplaced], tasks: [], networks: [], secrets: [] });
    expect(SwarmSnapshot.decode(encodeSnapshot(snap)).services[0]?.containerLabels).toEqual(svc?.containerLabels);
    expect(SwarmSnapshot.fromJSON(SwarmSnapshot.toJSON(snap)).services[0]?.containerLabels).toEqual(svc?.containerLabels);
  });

  it('maps tasks: states, slot (0 for global), node and addresses without prefix, sorted', () => {
    expect(snap.tasks.map((t) => t.id)).toEqual(['t-api-global', 't-web-1', 't-web-2']);
    expect(snap.tasks[0]).toEqual({
      id: 't-api-global',
      serviceId: 'svc-api',
      nodeId: 'node-a',
      slot: 0,
      state: 'preparing',
      desiredState: 'running',
      attachments: [],
    });
    expect(snap.tasks[1]).toMatchObject({ state: 'running', desiredState: 'shutdown', slot: 1 });
    expect(snap.tasks[2]?.attachments).toEqual([
      { networkId: 'n-front', addresses: ['10.0.1.9', 'fd00::9'] },
      { networkId: 'n-ingress', addresses: ['10.0.0.9'] },
    ]);
  });

  it('maps networks and secrets sorted by name', () => {
    expect(snap.networks).toEqual([
      { id: 'n-bridge', name: 'bridge', driver: 'bridge', scope: 'local', ingress: false },
      { id: 'n-front', name: 'front', driver: 'overlay', scope: 'swarm', ingress: false },
      { id: 'n-ingress', name: 'ingress', driver: 'overlay', scope: 'swarm', ingress: true },
    ]);
    expect(snap.secrets).toEqual([
      { id: 's1', name: 'web.crt', labels: {} },
      { id: 's2', name: 'web.key', labels: {} },
    ]);
  });

  it('is byte-identical whatever the input order (lists and label keys)', () => {
    const shuffled: RawSwarmState = {
      services: [...services].reverse().map((s) => ({
        ...s,
        Spec: { ...s.Spec, Labels: Object.fromEntries(Object.entries(s.Spec?.Labels ?? {}).reverse()) },
      })),
      tasks: [...tasks].reverse(),
      networks: [...networks].reverse(),
      secrets: [...secrets].reverse(),
    };
    expect(Buffer.from(encodeSnapshot(toSnapshot(shuffled)))).toEqual(Buffer.from(encodeSnapshot(snap)));
    expect(snapshotDigest(toSnapshot(shuffled))).toBe(snapshotDigest(snap));
  });

  it('round-trips through the protobuf encoding', () => {
    expect(SwarmSnapshot.decode(encodeSnapshot(snap))).toEqual(snap);
  });

  it('changes the digest when a task changes state', () => {
    const changed = structuredClone(raw) as RawSwarmState;
    (changed.tasks[2] as DockerTask).Status = { State: 'running' };
    expect(snapshotDigest(toSnapshot(changed))).not.toBe(snapshotDigest(snap));
  });

  it('carries secret labels (in memory; not in the encoding yet) and counts them in the digest', () => {
    const labelled = toSnapshot({ ...raw, secrets: [{ ID: 's1', Spec: { Name: 'web.crt', Labels: { b: '2', 'com.switchyard.lb.allowed-services': 'web' } } }] });
    expect(labelled.secrets).toEqual([{ id: 's1', name: 'web.crt', labels: { b: '2', 'com.switchyard.lb.allowed-services': 'web' } }]);
    const relabelled = toSnapshot({ ...raw, secrets: [{ ID: 's1', Spec: { Name: 'web.crt', Labels: { 'com.switchyard.lb.allowed-services': '*' } } }] });
    expect(snapshotDigest(relabelled)).not.toBe(snapshotDigest(labelled));
    const bare = toSnapshot({ ...raw, secrets: [{ ID: 's1', Spec: { Name: 'web.crt' } }] });
    expect(snapshotDigest(bare)).not.toBe(snapshotDigest(labelled));
  });

  it('tolerates missing fields', () => {
    const sparse = toSnapshot({ services: [{ ID: 'x' }], tasks: [{ ID: 't' }], networks: [], secrets: [{ ID: 's' }] });
    expect(sparse.services[0]).toEqual({ id: 'x', name: '', labels: {}, networkIds: [], virtualIps: [], createdAtUnixMs: 0, containerLabels: {} });
    expect(sparse.tasks[0]).toEqual({ id: 't', serviceId: '', nodeId: '', slot: 0, state: '', desiredState: '', attachments: [] });
    expect(sparse.secrets[0]).toEqual({ id: 's', name: '', labels: {} });
  });
});

describe('helpers', () => {
  it('stripPrefixLength', () => {
    expect(stripPrefixLength('10.0.1.5/24')).toBe('10.0.1.5');
    expect(stripPrefixLength('fd00::5/64')).toBe('fd00::5');
    expect(stripPrefixLength('10.0.1.5')).toBe('10.0.1.5');
  });

  it('parseDockerTime handles nanosecond fractions, offsets and garbage', () => {
    expect(parseDockerTime('2024-05-01T10:00:00.987654321Z')).toBe(Date.UTC(2024, 4, 1, 10, 0, 0, 987));
    expect(parseDockerTime('2024-05-01T12:00:00.5+02:00')).toBe(Date.UTC(2024, 4, 1, 10, 0, 0, 500));
    expect(parseDockerTime('not a time')).toBe(0);
    expect(parseDockerTime(undefined)).toBe(0);
  });
});
