import Dockerode from 'dockerode';
import type {
  DockerConfig,
  DockerConfigSpec,
  DockerEvent,
  DockerEventsOptions,
  DockerFilters,
  DockerNetwork,
  DockerPing,
  DockerPort,
  DockerSecret,
  DockerService,
  DockerServiceSpec,
  DockerTask,
} from './docker-port.js';
import { DEFAULT_DOCKER_TIMEOUT_MS, withDockerTimeout, type DockerTimeoutOptions } from './docker-timeout.js';
import { JsonStreamParser } from './json-stream.js';
import type { Timers } from './timers.js';

/** True when `value` has the shape of a Docker event message. */
export function isDockerEvent(value: unknown): value is DockerEvent {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  const actor = v['Actor'];
  return (
    typeof v['Type'] === 'string' &&
    typeof v['Action'] === 'string' &&
    typeof actor === 'object' &&
    actor !== null &&
    typeof (actor as Record<string, unknown>)['ID'] === 'string'
  );
}

function isDockerode(value: unknown): value is Dockerode {
  return typeof value === 'object' && value !== null && typeof (value as Dockerode).listServices === 'function';
}

/** Loosely typed handles on dockerode calls whose typings do not fit the Engine API exactly. */
type CreateServiceFn = (auth: undefined, spec: DockerServiceSpec) => Promise<{ id: string }>;
type RequestOptions = { _query: Record<string, unknown>; _body: unknown; abortSignal?: AbortSignal };

/** Options of a {@link DockerodePort}. */
export interface DockerodePortOptions {
  /**
   * Deadline of each request-response call, and of opening the event stream, in milliseconds
   * (default {@link DEFAULT_DOCKER_TIMEOUT_MS}; 0 or less: none). An open event stream has none.
   */
  timeoutMs?: number;
  /** Clock and timers for the deadlines (default: the global ones). */
  timers?: Timers;
}

/**
 * {@link DockerPort} over the Docker Engine API, through dockerode. Construct it with a Dockerode
 * instance or with dockerode's connection options (default: the local socket, or `DOCKER_HOST` as
 * dockerode resolves it).
 *
 * Every call has a deadline (`timeoutMs`, default 30 s): past it, the HTTP request is aborted and
 * the call rejects with a {@link DockerTimeoutError}, so a dockerd that accepts connections and
 * never answers cannot hold a caller forever. The deadline is an `AbortSignal` per call, not
 * dockerode's `timeout` option: that one is a socket idle timeout, which would also cut the event
 * stream whenever the swarm is quiet for that long.
 */
export class DockerodePort implements DockerPort {
  readonly #docker: Dockerode;
  readonly #timeout: DockerTimeoutOptions;

  /** Wraps `docker`, or creates a Dockerode client from connection options. */
  constructor(docker: Dockerode | Dockerode.DockerOptions = {}, options: DockerodePortOptions = {}) {
    this.#docker = isDockerode(docker) ? docker : new Dockerode(docker);
    this.#timeout = { timeoutMs: options.timeoutMs ?? DEFAULT_DOCKER_TIMEOUT_MS, ...(options.timers ? { timers: options.timers } : {}) };
  }

  /** Runs one Engine call with this port's deadline; `call` gets the signal to hand to dockerode. */
  #call<T>(operation: keyof DockerPort, call: (abortSignal: AbortSignal) => Promise<T>): Promise<T> {
    return withDockerTimeout(operation, call, this.#timeout);
  }

  /** The underlying dockerode client (for operations outside the port, e.g. in test setup). */
  get dockerode(): Dockerode {
    return this.#docker;
  }

  /** {@inheritDoc DockerPort.listServices} */
  async listServices(filters?: DockerFilters): Promise<DockerService[]> {
    const list = await this.#call('listServices', (abortSignal) => this.#docker.listServices({ ...(filters ? { filters: JSON.stringify(filters) } : {}), abortSignal }));
    return list as unknown as DockerService[];
  }

  /** {@inheritDoc DockerPort.listTasks} */
  async listTasks(filters?: DockerFilters): Promise<DockerTask[]> {
    const list: unknown = await this.#call('listTasks', (abortSignal) => this.#docker.listTasks({ ...(filters ? { filters: JSON.stringify(filters) } : {}), abortSignal }));
    return list as DockerTask[];
  }

  /** {@inheritDoc DockerPort.listNetworks} */
  async listNetworks(): Promise<DockerNetwork[]> {
    const list: unknown = await this.#call('listNetworks', (abortSignal) => this.#docker.listNetworks({ abortSignal }));
    return list as DockerNetwork[];
  }

  /** {@inheritDoc DockerPort.listSecrets} */
  async listSecrets(): Promise<DockerSecret[]> {
    const list: unknown = await this.#call('listSecrets', (abortSignal) => this.#docker.listSecrets({ abortSignal }));
    return list as DockerSecret[];
  }

  /** {@inheritDoc DockerPort.listConfigs} */
  async listConfigs(filters?: DockerFilters): Promise<DockerConfig[]> {
    const list: unknown = await this.#call('listConfigs', (abortSignal) => this.#docker.listConfigs({ ...(filters ? { filters: JSON.stringify(filters) } : {}), abortSignal }));
    return list as DockerConfig[];
  }

  /** {@inheritDoc DockerPort.inspectService} */
  async inspectService(id: string): Promise<DockerService> {
    const service: unknown = await this.#call('inspectService', (abortSignal) => this.#docker.getService(id).inspect({ abortSignal }));
    return service as DockerService;
  }

  /** {@inheritDoc DockerPort.createService} */
  async createService(spec: DockerServiceSpec): Promise<string> {
    // Two-argument form with no auth: the one-argument form would send the spec as registry auth.
    const create = this.#docker.createService.bind(this.#docker) as unknown as CreateServiceFn;
    // docker-modem drops `abortSignal` from the options before it serialises the body.
    const service = await this.#call('createService', (abortSignal) => create(undefined, { ...spec, abortSignal } as DockerServiceSpec));
    return service.id;
  }

  /** {@inheritDoc DockerPort.updateService} */
  async updateService(id: string, version: number, spec: DockerServiceSpec): Promise<void> {
    // `_query`/`_body` keep the spec out of the URL (docker-modem would otherwise put it in both).
    await this.#call('updateService', (abortSignal) => {
      const options: RequestOptions = { _query: { version }, _body: spec, abortSignal };
      return this.#docker.getService(id).update(options);
    });
  }

  /** {@inheritDoc DockerPort.removeService} */
  async removeService(id: string): Promise<void> {
    await this.#call('removeService', (abortSignal) => this.#docker.getService(id).remove({ abortSignal }));
  }

  /** {@inheritDoc DockerPort.createConfig} */
  async createConfig(spec: DockerConfigSpec): Promise<string> {
    return this.#create('createConfig', spec);
  }

  /** {@inheritDoc DockerPort.serviceLogs} */
  async serviceLogs(id: string, tail: number): Promise<string> {
    const raw = (await this.#call('serviceLogs', (abortSignal) => this.#docker.getService(id).logs({ stdout: true, stderr: true, follow: false, tail, abortSignal } as never) as unknown as Promise<unknown>)) as Buffer | string;
    return demuxLogs(Buffer.isBuffer(raw) ? raw : Buffer.from(String(raw)));
  }

  /** {@inheritDoc DockerPort.createSecret} */
  async createSecret(spec: DockerConfigSpec): Promise<string> {
    return this.#create('createSecret', spec);
  }

  /** `POST /configs/create` or `/secrets/create` (the same spec shape); returns the new object's ID. */
  async #create(method: 'createConfig' | 'createSecret', spec: DockerConfigSpec): Promise<string> {
    const created = (await this.#call(method, (abortSignal) => {
      const options: RequestOptions = { _query: {}, _body: spec, abortSignal };
      return this.#docker[method](options) as Promise<unknown>;
    })) as { id: string };
    return created.id;
  }

  /** {@inheritDoc DockerPort.removeSecret} */
  async removeSecret(id: string): Promise<void> {
    await this.#call('removeSecret', (abortSignal) => this.#docker.getSecret(id).remove({ abortSignal }));
  }

  /** {@inheritDoc DockerPort.removeConfig} */
  async removeConfig(id: string): Promise<void> {
    await this.#call('removeConfig', (abortSignal) => this.#docker.getConfig(id).remove({ abortSignal }));
  }

  /** {@inheritDoc DockerPort.ping} */
  async ping(): Promise<DockerPing> {
    // dockerode's typings omit ping's options; its code takes `abortSignal` as every other call does.
    const ping = this.#docker.ping.bind(this.#docker) as unknown as (opts: { abortSignal: AbortSignal }) => Promise<unknown>;
    await this.#call('ping', (abortSignal) => ping({ abortSignal }));
    return { ok: true };
  }

  /** {@inheritDoc DockerPort.events} */
  async *events(options: DockerEventsOptions): AsyncIterable<DockerEvent> {
    const { signal } = options;
    if (signal.aborted) return;
    let stream: NodeJS.ReadableStream;
    try {
      // The deadline covers opening the stream (the Engine sends its headers at once); once open,
      // the stream may stay quiet for as long as the swarm does: only `signal` ends it.
      // Once it has opened, the deadline's timer is cleared and its signal never fires.
      stream = await this.#call('events', (deadline) =>
        this.#docker.getEvents({
          ...(options.since !== undefined ? { since: options.since } : {}),
          ...(options.filters ? { filters: JSON.stringify(options.filters) } : {}),
          abortSignal: AbortSignal.any([signal, deadline]),
        } as Dockerode.GetEventsOptions),
      );
    } catch (err) {
      if (signal.aborted) return;
      throw err;
    }
    const destroy = (): void => {
      const s = stream as NodeJS.ReadableStream & { destroy?: () => void };
      s.destroy?.();
    };
    signal.addEventListener('abort', destroy, { once: true });
    const parser = new JsonStreamParser();
    try {
      for await (const chunk of stream) {
        if (signal.aborted) return;
        for (const value of parser.push(chunk)) {
          if (isDockerEvent(value)) yield value;
        }
      }
      for (const value of parser.end()) {
        if (isDockerEvent(value) && !signal.aborted) yield value;
      }
    } catch (err) {
      if (signal.aborted) return;
      throw err;
    } finally {
      signal.removeEventListener('abort', destroy);
      destroy();
    }
  }
}

/**
 * Text of a Docker log response: without a TTY each frame starts with an 8-byte header (stream
 * type, three zero bytes, big-endian length); anything else is returned as it is.
 */
export function demuxLogs(raw: Buffer): string {
  const parts: Buffer[] = [];
  let at = 0;
  while (at + 8 <= raw.length) {
    const type = raw[at];
    if ((type !== 0 && type !== 1 && type !== 2) || raw[at + 1] !== 0 || raw[at + 2] !== 0 || raw[at + 3] !== 0) return raw.toString('utf8');
    const size = raw.readUInt32BE(at + 4);
    parts.push(raw.subarray(at + 8, at + 8 + size));
    at += 8 + size;
  }
  return at === raw.length ? Buffer.concat(parts).toString('utf8') : raw.toString('utf8');
}
