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
import { JsonStreamParser } from './json-stream.js';

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
type RequestOptions = { _query: Record<string, unknown>; _body: unknown };

/**
 * {@link DockerPort} over the Docker Engine API, through dockerode. Construct it with a Dockerode
 * instance or with dockerode's connection options (default: the local socket, or `DOCKER_HOST` as
 * dockerode resolves it).
 */
export class DockerodePort implements DockerPort {
  readonly #docker: Dockerode;

  /** Wraps `docker`, or creates a Dockerode client from connection options. */
  constructor(docker: Dockerode | Dockerode.DockerOptions = {}) {
    this.#docker = isDockerode(docker) ? docker : new Dockerode(docker);
  }

  /** The underlying dockerode client (for operations outside the port, e.g. in test setup). */
  get dockerode(): Dockerode {
    return this.#docker;
  }

  /** {@inheritDoc DockerPort.listServices} */
  async listServices(filters?: DockerFilters): Promise<DockerService[]> {
    const list = await this.#docker.listServices(filters ? { filters: JSON.stringify(filters) } : {});
    return list as unknown as DockerService[];
  }

  /** {@inheritDoc DockerPort.listTasks} */
  async listTasks(filters?: DockerFilters): Promise<DockerTask[]> {
    const list: unknown = await this.#docker.listTasks(filters ? { filters: JSON.stringify(filters) } : {});
    return list as DockerTask[];
  }

  /** {@inheritDoc DockerPort.listNetworks} */
  async listNetworks(): Promise<DockerNetwork[]> {
    const list: unknown = await this.#docker.listNetworks();
    return list as DockerNetwork[];
  }

  /** {@inheritDoc DockerPort.listSecrets} */
  async listSecrets(): Promise<DockerSecret[]> {
    const list: unknown = await this.#docker.listSecrets();
    return list as DockerSecret[];
  }

  /** {@inheritDoc DockerPort.listConfigs} */
  async listConfigs(filters?: DockerFilters): Promise<DockerConfig[]> {
    const list: unknown = await this.#docker.listConfigs(filters ? { filters: JSON.stringify(filters) } : {});
    return list as DockerConfig[];
  }

  /** {@inheritDoc DockerPort.inspectService} */
  async inspectService(id: string): Promise<DockerService> {
    const service: unknown = await this.#docker.getService(id).inspect();
    return service as DockerService;
  }

  /** {@inheritDoc DockerPort.createService} */
  async createService(spec: DockerServiceSpec): Promise<string> {
    // Two-argument form with no auth: the one-argument form would send the spec as registry auth.
    const create = this.#docker.createService.bind(this.#docker) as unknown as CreateServiceFn;
    const service = await create(undefined, { ...spec });
    return service.id;
  }

  /** {@inheritDoc DockerPort.updateService} */
  async updateService(id: string, version: number, spec: DockerServiceSpec): Promise<void> {
    // `_query`/`_body` keep the spec out of the URL (docker-modem would otherwise put it in both).
    const options: RequestOptions = { _query: { version }, _body: spec };
    await this.#docker.getService(id).update(options);
  }

  /** {@inheritDoc DockerPort.removeService} */
  async removeService(id: string): Promise<void> {
    await this.#docker.getService(id).remove();
  }

  /** {@inheritDoc DockerPort.createConfig} */
  async createConfig(spec: DockerConfigSpec): Promise<string> {
    const options: RequestOptions = { _query: {}, _body: spec };
    const config = (await this.#docker.createConfig(options)) as { id: string };
    return config.id;
  }

  /** {@inheritDoc DockerPort.serviceLogs} */
  async serviceLogs(id: string, tail: number): Promise<string> {
    const raw = (await this.#docker.getService(id).logs({ stdout: true, stderr: true, follow: false, tail } as never)) as unknown as Buffer | string;
    return demuxLogs(Buffer.isBuffer(raw) ? raw : Buffer.from(String(raw)));
  }

  /** {@inheritDoc DockerPort.createSecret} */
  async createSecret(spec: DockerConfigSpec): Promise<string> {
    const options: RequestOptions = { _query: {}, _body: spec };
    const secret = (await this.#docker.createSecret(options)) as { id: string };
    return secret.id;
  }

  /** {@inheritDoc DockerPort.removeSecret} */
  async removeSecret(id: string): Promise<void> {
    await this.#docker.getSecret(id).remove();
  }

  /** {@inheritDoc DockerPort.removeConfig} */
  async removeConfig(id: string): Promise<void> {
    await this.#docker.getConfig(id).remove();
  }

  /** {@inheritDoc DockerPort.ping} */
  async ping(): Promise<DockerPing> {
    await this.#docker.ping();
    return { ok: true };
  }

  /** {@inheritDoc DockerPort.events} */
  async *events(options: DockerEventsOptions): AsyncIterable<DockerEvent> {
    const { signal } = options;
    if (signal.aborted) return;
    let stream: NodeJS.ReadableStream;
    try {
      stream = await this.#docker.getEvents({
        ...(options.since !== undefined ? { since: options.since } : {}),
        ...(options.filters ? { filters: JSON.stringify(options.filters) } : {}),
        abortSignal: signal,
      } as Dockerode.GetEventsOptions);
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
