import { createHash } from 'node:crypto';
import {
  SwarmSnapshot,
  type SwarmNetwork,
  type SwarmSecret,
  type SwarmService,
  type SwarmTask,
  type TaskAttachment,
  type VirtualIp,
} from '@switchyard/proto';
import type { DockerNetwork, DockerSecret, DockerService, DockerTask } from './docker-port.js';

/** The raw Engine API lists one reconcile round reads. */
export interface RawSwarmState {
  services: readonly DockerService[];
  tasks: readonly DockerTask[];
  networks: readonly DockerNetwork[];
  secrets: readonly DockerSecret[];
}

/** Removes a CIDR prefix length: `10.0.1.5/24` → `10.0.1.5`, `fd00::5/64` → `fd00::5`. */
export function stripPrefixLength(address: string): string {
  const slash = address.indexOf('/');
  return slash < 0 ? address : address.slice(0, slash);
}

/**
 * Parses an Engine timestamp (RFC 3339 with up to nanosecond fractions) to Unix milliseconds;
 * 0 when absent or unparseable.
 */
export function parseDockerTime(value: string | undefined): number {
  if (!value) return 0;
  // Date.parse is only specified for millisecond fractions: cut longer ones to three digits.
  const normalized = value.replace(/(\.\d{3})\d+/, '$1');
  const ms = Date.parse(normalized);
  return Number.isFinite(ms) && ms > 0 ? ms : 0;
}

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function sortedRecord(record: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!record) return out;
  for (const key of Object.keys(record).sort(compare)) {
    const value = record[key];
    if (typeof value === 'string') out[key] = value;
  }
  return out;
}

function uniqueSorted(values: Iterable<string>): string[] {
  return [...new Set(values)].filter((v) => v !== '').sort(compare);
}

function mapService(service: DockerService, networkIdOf: (target: string) => string): SwarmService {
  const spec = service.Spec;
  const template = spec?.TaskTemplate as { Networks?: { Target?: string }[]; ContainerSpec?: { Labels?: Record<string, string> } } | undefined;
  const targets = [...(template?.Networks ?? []), ...(spec?.Networks ?? [])].map((n) => n.Target ?? '');
  const virtualIps: VirtualIp[] = (service.Endpoint?.VirtualIPs ?? [])
    .map((vip) => ({ networkId: vip.NetworkID ?? '', address: stripPrefixLength(vip.Addr ?? '') }))
    .filter((vip) => vip.networkId !== '' && vip.address !== '')
    .sort((a, b) => compare(a.networkId, b.networkId) || compare(a.address, b.address));
  return {
    id: service.ID,
    name: spec?.Name ?? '',
    labels: sortedRecord(spec?.Labels),
    networkIds: uniqueSorted(targets.map(networkIdOf)),
    virtualIps,
    createdAtUnixMs: parseDockerTime(service.CreatedAt),
    containerLabels: sortedRecord(template?.ContainerSpec?.Labels),
  };
}

function mapTask(task: DockerTask): SwarmTask {
  const attachments: TaskAttachment[] = (task.NetworksAttachments ?? [])
    .map((a) => ({
      networkId: a.Network?.ID ?? '',
      addresses: (a.Addresses ?? []).map(stripPrefixLength).filter((x) => x !== '').sort(compare),
    }))
    .filter((a) => a.networkId !== '')
    .sort((a, b) => compare(a.networkId, b.networkId) || compare(a.addresses.join(','), b.addresses.join(',')));
  const slot = task.Slot;
  return {
    id: task.ID,
    serviceId: task.ServiceID ?? '',
    nodeId: task.NodeID ?? '',
    slot: typeof slot === 'number' && Number.isInteger(slot) && slot >= 0 && slot <= 0xffffffff ? slot : 0,
    state: task.Status?.State ?? '',
    desiredState: task.DesiredState ?? '',
    attachments,
  };
}

function mapNetwork(network: DockerNetwork): SwarmNetwork {
  return {
    id: network.Id,
    name: network.Name,
    driver: network.Driver ?? '',
    scope: network.Scope ?? '',
    ingress: network.Ingress === true,
  };
}

/** A secret with its labels (which services may use it: see `secretPolicy` in `@switchyard/model`). */
function mapSecret(secret: DockerSecret): SwarmSecret {
  const labels = Object.entries(secret.Spec?.Labels ?? {}).sort(([a], [b]) => compare(a, b));
  return { id: secret.ID, name: secret.Spec?.Name ?? '', labels: Object.fromEntries(labels) };
}

/**
 * Maps the Engine's service, task, network and secret lists to a {@link SwarmSnapshot}. Pure and
 * deterministic: the same input (in any order) gives a byte-identical encoding.
 *
 * - services: `Spec.Name`, `Spec.Labels` (service labels), `Spec.TaskTemplate.ContainerSpec.Labels`
 *   (container labels, kept apart so the model can report `com.docker.lb.*` put there by mistake), network IDs
 *   declared in `Spec.TaskTemplate.Networks` (and the legacy `Spec.Networks`; network names are
 *   resolved to IDs through `networks`), `Endpoint.VirtualIPs` without prefix length, `CreatedAt`
 *   as Unix ms. Sorted by name, then ID.
 * - tasks: `Status.State`, `DesiredState`, `Slot` (0 for global services), `NodeID` and
 *   `NetworksAttachments` addresses without prefix length. All tasks are kept, including
 *   historic ones; consumers filter by state. Sorted by service ID, slot, node, then task ID.
 * - networks and secrets: sorted by name, then ID. Secret data is never read.
 */
export function toSnapshot(raw: RawSwarmState): SwarmSnapshot {
  const byId = new Set(raw.networks.map((n) => n.Id));
  const idByName = new Map<string, string>();
  for (const n of [...raw.networks].sort((a, b) => compare(a.Id, b.Id))) {
    if (!idByName.has(n.Name)) idByName.set(n.Name, n.Id);
  }
  const networkIdOf = (target: string): string => (byId.has(target) ? target : (idByName.get(target) ?? target));

  const services = raw.services
    .map((s) => mapService(s, networkIdOf))
    .sort((a, b) => compare(a.name, b.name) || compare(a.id, b.id));
  const tasks = raw.tasks
    .map(mapTask)
    .sort((a, b) => compare(a.serviceId, b.serviceId) || a.slot - b.slot || compare(a.nodeId, b.nodeId) || compare(a.id, b.id));
  const networks = raw.networks.map(mapNetwork).sort((a, b) => compare(a.name, b.name) || compare(a.id, b.id));
  const secrets = raw.secrets.map(mapSecret).sort((a, b) => compare(a.name, b.name) || compare(a.id, b.id));
  return { services, tasks, networks, secrets };
}

/** Protobuf encoding of a snapshot (deterministic for snapshots built by {@link toSnapshot}). */
export function encodeSnapshot(snapshot: SwarmSnapshot): Uint8Array {
  return SwarmSnapshot.encode(snapshot).finish();
}

/**
 * SHA-256 (hex) of the snapshot's protobuf encoding: equal digests mean equal snapshots.
 */
export function snapshotDigest(snapshot: SwarmSnapshot): string {
  return createHash('sha256').update(encodeSnapshot(snapshot)).digest('hex');
}
