import type Dockerode from 'dockerode';

/**
 * Docker list filters as the Engine API takes them (`map[string][]string`), e.g.
 * `{ label: ['com.docker.lb.hosts'], service: ['web'] }`.
 */
export type DockerFilters = Record<string, string[]>;

/** A swarm service as `GET /services` returns it (the fields Switchyard reads; specs use dockerode's types). */
export interface DockerService {
  ID: string;
  /** `Version.Index` is needed to update the service. */
  Version?: { Index?: number };
  CreatedAt?: string;
  UpdatedAt?: string;
  Spec?: DockerServiceSpec;
  PreviousSpec?: DockerServiceSpec;
  Endpoint?: Dockerode.Endpoint;
  UpdateStatus?: Dockerode.UpdateStatus;
}

/** The spec sent to create or update a service (dockerode's type). */
export type DockerServiceSpec = Dockerode.ServiceSpec;

/** One network attachment of a task (`NetworksAttachments[]`). */
export interface DockerTaskNetworkAttachment {
  /** The network; only `ID` (and for information `Spec.Name`) are used. */
  Network?: { ID?: string; Spec?: { Name?: string } };
  /** Addresses in CIDR notation, e.g. `10.0.1.5/24`. */
  Addresses?: string[];
}

/** A swarm task as `GET /tasks` returns it (the fields Switchyard reads). */
export interface DockerTask {
  ID: string;
  ServiceID?: string;
  NodeID?: string;
  /** Replica slot; absent for global services. */
  Slot?: number;
  DesiredState?: string;
  Status?: { State?: string; Timestamp?: string; Message?: string; Err?: string; ContainerStatus?: { ContainerID?: string } };
  NetworksAttachments?: DockerTaskNetworkAttachment[];
  Spec?: Record<string, unknown>;
  Labels?: Record<string, string>;
  CreatedAt?: string;
  UpdatedAt?: string;
  Version?: { Index?: number };
}

/** A network as `GET /networks` returns it (the fields Switchyard reads). */
export interface DockerNetwork {
  Id: string;
  Name: string;
  Driver?: string;
  Scope?: string;
  Ingress?: boolean;
  Labels?: Record<string, string>;
  Created?: string;
}

/** A secret as `GET /secrets` returns it (metadata only; the Engine never returns secret data). */
export interface DockerSecret {
  ID: string;
  Spec?: { Name?: string; Labels?: Record<string, string> };
  CreatedAt?: string;
  UpdatedAt?: string;
  Version?: { Index?: number };
}

/** A config as `GET /configs` returns it. `Spec.Data` is base64. */
export interface DockerConfig {
  ID: string;
  Spec?: { Name?: string; Labels?: Record<string, string>; Data?: string };
  CreatedAt?: string;
  UpdatedAt?: string;
  Version?: { Index?: number };
}

/** The spec of a config to create. `Data` is base64-encoded content. */
export interface DockerConfigSpec {
  Name: string;
  Labels?: Record<string, string>;
  Data: string;
}

/** One message of the Engine's event stream (`GET /events`). */
export interface DockerEvent {
  /** Object type: `service`, `container`, `network`, `secret`, `config`, `node`, ... */
  Type: string;
  /** What happened: `create`, `update`, `remove`, `start`, `die`, ... */
  Action: string;
  /** The object concerned. */
  Actor: { ID: string; Attributes?: Record<string, string> };
  /** `local` or `swarm`. */
  scope?: string;
  /** Unix seconds. */
  time?: number;
  /** Unix nanoseconds. */
  timeNano?: number;
}

/** Options of {@link DockerPort.events}. */
export interface DockerEventsOptions {
  /** Replay events since this Unix time (seconds). */
  since?: number;
  /** Event filters, e.g. `{ type: ['service', 'network'] }`. */
  filters?: DockerFilters;
  /** Ends the stream (the iterable returns normally) when aborted. */
  signal: AbortSignal;
}

/** What `ping()` learned about the engine. */
export interface DockerPing {
  /** True when the engine answered. */
  ok: boolean;
}

/**
 * What reading the swarm takes: lists, one service, logs, the event stream and a ping. The
 * {@link SnapshotWatcher} and the CLI's `snapshot` need nothing more, so they cannot change the swarm.
 * Methods reject on transport or API errors (the errors carry `statusCode` when the Engine answered).
 */
export interface DockerReader {
  /** `GET /services`. */
  listServices(filters?: DockerFilters): Promise<DockerService[]>;
  /** `GET /tasks`. */
  listTasks(filters?: DockerFilters): Promise<DockerTask[]>;
  /** `GET /networks`. */
  listNetworks(): Promise<DockerNetwork[]>;
  /** `GET /secrets` (metadata only). */
  listSecrets(): Promise<DockerSecret[]>;
  /** `GET /configs`. */
  listConfigs(filters?: DockerFilters): Promise<DockerConfig[]>;
  /** `GET /services/{id}`: the service with its current `Version.Index` (needed to update it). */
  inspectService(id: string): Promise<DockerService>;
  /**
   * `GET /services/{id}/logs` (stdout and stderr, not followed): the last `tail` lines of the
   * service's tasks, as text (stream headers removed).
   */
  serviceLogs(id: string, tail: number): Promise<string>;
  /**
   * `GET /events` as an async iterable. Ends normally when `signal` aborts or the engine closes
   * the stream; throws when the stream fails, so the caller can resubscribe.
   */
  events(options: DockerEventsOptions): AsyncIterable<DockerEvent>;
  /** `GET /_ping`; rejects when the engine is unreachable. */
  ping(): Promise<DockerPing>;
}

/** What changing the swarm takes: services, configs and secrets. Only core's deployer and delivery write. */
export interface DockerWriter {
  /** `POST /services/create`; resolves to the new service's ID. */
  createService(spec: DockerServiceSpec): Promise<string>;
  /** `POST /services/{id}/update?version=`; `version` is the `Version.Index` the spec was based on. */
  updateService(id: string, version: number, spec: DockerServiceSpec): Promise<void>;
  /** `DELETE /services/{id}`. */
  removeService(id: string): Promise<void>;
  /** `POST /configs/create`; resolves to the new config's ID. */
  createConfig(spec: DockerConfigSpec): Promise<string>;
  /** `POST /secrets/create` (`Data` is base64); resolves to the new secret's ID. */
  createSecret(spec: DockerConfigSpec): Promise<string>;
  /** `DELETE /secrets/{id}`. */
  removeSecret(id: string): Promise<void>;
  /** `DELETE /configs/{id}`. */
  removeConfig(id: string): Promise<void>;
}

/**
 * The whole Docker surface Switchyard uses, a {@link DockerReader} and a {@link DockerWriter}.
 * Implemented by {@link DockerodePort} over the Engine API and by `FakeDockerPort`
 * (`@switchyard/reconciler/testing`) in memory.
 */
export interface DockerPort extends DockerReader, DockerWriter {}
