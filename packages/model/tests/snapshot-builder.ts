import type { SwarmNetwork, SwarmService, SwarmSnapshot, SwarmTask } from '@switchyard/proto';
import type { LabelledSecret } from '../src/index.js';

/** Secret labels that let every service use the secret. */
export const ANY_SERVICE: Readonly<Record<string, string>> = { 'com.switchyard.lb.allowed-services': '*' };

/** Options of {@link SnapshotBuilder.service}. */
export interface ServiceOptions {
  /** Network names (must have been declared with `network()`). Default: ["app"] (declared on demand). */
  networks?: string[];
  /** Creation time; default: declaration order (1000, 2000, ...). */
  createdAt?: number;
  /** Running tasks to create (on the first network). Default 1. */
  replicas?: number;
  /** Virtual IPs by network name. */
  vips?: Record<string, string>;
  /** Container labels (`Spec.TaskTemplate.ContainerSpec.Labels`). Default none. */
  containerLabels?: Record<string, string>;
}

/** Options of {@link SnapshotBuilder.task}. */
export interface TaskOptions {
  state?: string;
  desiredState?: string;
  /** Addresses by network name; default: one fresh address on each of the service's networks. */
  addresses?: Record<string, string[]>;
}

/**
 * Small fluent builder of `SwarmSnapshot`s for tests: IDs and addresses are derived from names so
 * expectations stay readable ("svc-web", "net-app", task "web.1" at 10.<net>.0.<n>).
 */
export class SnapshotBuilder {
  private readonly services: SwarmService[] = [];
  private readonly tasks: SwarmTask[] = [];
  private readonly networks: SwarmNetwork[] = [];
  private readonly secrets: LabelledSecret[] = [];
  private readonly nextHost = new Map<string, number>();
  private readonly serviceNetworks = new Map<string, string[]>();

  /** Declares an overlay network `name` with ID `net-<name>` (or `id`). */
  network(name: string, opts: { ingress?: boolean; id?: string } = {}): this {
    if (!this.networks.some((n) => n.name === name)) {
      this.networks.push({ id: opts.id ?? `net-${name}`, name, driver: 'overlay', scope: 'swarm', ingress: opts.ingress ?? false });
    }
    return this;
  }

  /**
   * Declares a Docker secret (ID `sec-<name>`) with `labels`; by default they allow any service
   * (`com.switchyard.lb.allowed-services=*`), pass `{}` for a secret that allows nobody.
   */
  secret(name: string, labels: Record<string, string> = ANY_SERVICE): this {
    this.secrets.push({ id: `sec-${name}`, name, labels });
    return this;
  }

  /** Declares a service `name` (ID `svc-<name>`) with labels and `replicas` running tasks. */
  service(name: string, labels: Record<string, string>, opts: ServiceOptions = {}): this {
    const networks = opts.networks ?? ['app'];
    for (const n of networks) this.network(n);
    const ids = networks.map((n) => this.netId(n));
    this.serviceNetworks.set(name, networks);
    this.services.push({
      id: `svc-${name}`,
      name,
      labels,
      networkIds: ids,
      virtualIps: Object.entries(opts.vips ?? {}).map(([net, address]) => ({ networkId: this.netId(net), address })),
      createdAtUnixMs: opts.createdAt ?? (this.services.length + 1) * 1000,
      containerLabels: opts.containerLabels ?? {},
    });
    for (let i = 0; i < (opts.replicas ?? 1); i++) this.task(name);
    return this;
  }

  /** Adds a task to service `name` (running unless told otherwise). */
  task(name: string, opts: TaskOptions = {}): this {
    const slot = this.tasks.filter((t) => t.serviceId === `svc-${name}`).length + 1;
    const networks = this.serviceNetworks.get(name) ?? [];
    const addresses =
      opts.addresses ?? Object.fromEntries(networks.map((n) => [n, [this.freshAddress(n)]] as const));
    this.tasks.push({
      id: `${name}.${slot}`,
      serviceId: `svc-${name}`,
      nodeId: 'node-1',
      slot,
      state: opts.state ?? 'running',
      desiredState: opts.desiredState ?? 'running',
      attachments: Object.entries(addresses).map(([net, addrs]) => ({ networkId: this.netId(net), addresses: addrs })),
    });
    return this;
  }

  /** The snapshot (fresh arrays each call). */
  build(): SwarmSnapshot {
    return {
      services: this.services.map((s) => ({ ...s })),
      tasks: [...this.tasks],
      networks: [...this.networks],
      secrets: [...this.secrets],
    };
  }

  private netId(name: string): string {
    return this.networks.find((n) => n.name === name)?.id ?? `net-${name}`;
  }

  private freshAddress(network: string): string {
    const index = this.networks.findIndex((n) => n.name === network) + 1;
    const next = (this.nextHost.get(network) ?? 1) + 1;
    this.nextHost.set(network, next);
    return `10.${index}.${Math.floor(next / 250)}.${next % 250}`;
  }
}

/** Interlock labels of a minimal routed service. */
export function lb(hosts: string, port = 8080, extra: Record<string, string> = {}): Record<string, string> {
  const labels: Record<string, string> = { 'com.docker.lb.hosts': hosts, 'com.docker.lb.port': String(port) };
  for (const [k, v] of Object.entries(extra)) labels[k.includes('.') ? k : `com.docker.lb.${k}`] = v;
  return labels;
}
