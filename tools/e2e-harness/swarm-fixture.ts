import { randomBytes } from 'node:crypto';
import { docker, dockerLines } from './docker.js';
import { sleep, waitFor } from './wait.js';

/** Label put on every object a fixture creates (value: the fixture's id). */
export const FIXTURE_LABEL = 'sy-e2e.fixture';

/** A port published by a service. Use `mode: 'host'` here: this kernel has no routing mesh. */
export interface PortPublish {
  /** Port on the node (127.0.0.1 for tests). */
  published: number;
  /** Port inside the container. */
  target: number;
  /** `host` (default) or `ingress`. */
  mode?: 'host' | 'ingress';
  /** `tcp` (default) or `udp`. */
  protocol?: 'tcp' | 'udp';
}

/** A Docker Config or Secret mounted into a service's containers. */
export interface FileMount {
  /** Name of the config/secret. */
  source: string;
  /** Path inside the container (default: Docker's, `/<source>` or `/run/secrets/<source>`). */
  target?: string;
  /** File mode, e.g. `0444`. */
  mode?: string;
}

/** What {@link SwarmFixture.createService} creates. */
export interface ServiceOptions {
  /** Image (local; the fixture never asks a registry). */
  image: string;
  /** Name suffix: the service is called `<fixture id>-<suffix>` (default `svc<n>`). */
  suffix?: string;
  /** Number of replicas (default 1). */
  replicas?: number;
  /** Networks to attach (names). */
  networks?: string[];
  /** Environment; values may use Go templates like `{{.Task.Name}}`. */
  env?: Record<string, string>;
  /** Service labels (e.g. `com.docker.lb.hosts`). */
  labels?: Record<string, string>;
  /** Published ports. */
  publish?: PortPublish[];
  /** Docker Configs to mount. */
  configs?: FileMount[];
  /** Docker Secrets to mount. */
  secrets?: FileMount[];
  /** Command arguments after the image. */
  args?: string[];
  /** `--stop-grace-period` (default `2s`, keeps cleanup quick). */
  stopGracePeriod?: string;
  /** Any further `docker service create` flags, placed before the image. */
  extraFlags?: string[];
}

/** One swarm task as seen by `docker inspect`. */
export interface TaskInfo {
  /** Task ID. */
  id: string;
  /** Task name as `{{.Task.Name}}` renders it: `<service>.<slot>.<id>`. */
  name: string;
  /** Replica slot. */
  slot: number;
  /** Current state (`running`, `preparing`, `failed`, ...). */
  state: string;
  /** Desired state (`running`, `shutdown`, ...). */
  desiredState: string;
  /** The task's error message, if any. */
  error: string;
  /** Container ID once the task has one. */
  containerId: string;
  /** Task IP addresses (no prefix length) by network name. */
  addresses: Record<string, string[]>;
}

interface RawTask {
  ID: string;
  Slot?: number;
  DesiredState?: string;
  Status?: { State?: string; Err?: string; ContainerStatus?: { ContainerID?: string } };
  NetworksAttachments?: { Network?: { Spec?: { Name?: string } }; Addresses?: string[] }[];
}

function labelFlags(flag: string, labels: Record<string, string>): string[] {
  return Object.entries(labels).flatMap(([key, value]) => [flag, `${key}=${value}`]);
}

function mountFlag(mount: FileMount): string {
  return [`source=${mount.source}`, ...(mount.target ? [`target=${mount.target}`] : []), ...(mount.mode ? [`mode=${mount.mode}`] : [])].join(',');
}

/**
 * Creates swarm objects (networks, configs, secrets, services) named `sy-e2e-<random>-<suffix>`
 * and labelled with {@link FIXTURE_LABEL}, and removes all of them again in {@link cleanup}
 * (call it from `afterAll`, so it runs on failure too).
 */
export class SwarmFixture {
  /** `sy-e2e-<8 hex>`: prefix of every name this fixture creates. */
  readonly id: string;
  private readonly services = new Set<string>();
  private readonly networks = new Set<string>();
  private readonly configs = new Set<string>();
  private readonly secrets = new Set<string>();
  private counter = 0;

  /** A fresh fixture with a random id; creates nothing yet. */
  constructor() {
    this.id = `sy-e2e-${randomBytes(4).toString('hex')}`;
  }

  /** `<id>-<suffix>`, or `<id>-<kind><n>` without a suffix. */
  name(suffix?: string, kind = 'obj'): string {
    this.counter += 1;
    return `${this.id}-${suffix ?? `${kind}${this.counter}`}`;
  }

  private get labelFlag(): string {
    return `${FIXTURE_LABEL}=${this.id}`;
  }

  /** Creates an attachable overlay network; resolves with its name. */
  async createNetwork(options: { suffix?: string; driver?: string; labels?: Record<string, string> } = {}): Promise<string> {
    const name = this.name(options.suffix, 'net');
    this.networks.add(name);
    await docker([
      'network', 'create', '--driver', options.driver ?? 'overlay', '--attachable',
      '--label', this.labelFlag, ...labelFlags('--label', options.labels ?? {}), name,
    ]);
    return name;
  }

  /** Creates a Docker Config holding `data`; resolves with its name. */
  async createConfig(data: string, options: { suffix?: string; labels?: Record<string, string> } = {}): Promise<string> {
    const name = this.name(options.suffix, 'config');
    this.configs.add(name);
    await docker(['config', 'create', '--label', this.labelFlag, ...labelFlags('--label', options.labels ?? {}), name, '-'], { input: data });
    return name;
  }

  /** Creates a Docker Secret holding `data`; resolves with its name. */
  async createSecret(data: string, options: { suffix?: string; labels?: Record<string, string> } = {}): Promise<string> {
    const name = this.name(options.suffix, 'secret');
    this.secrets.add(name);
    await docker(['secret', 'create', '--label', this.labelFlag, ...labelFlags('--label', options.labels ?? {}), name, '-'], { input: data });
    return name;
  }

  /**
   * Creates a service without waiting for it to converge (`--detach`) and without asking a
   * registry for the image digest (`--no-resolve-image`); resolves with its name.
   * Use {@link waitForRunningTasks} next.
   */
  async createService(options: ServiceOptions): Promise<string> {
    const name = this.name(options.suffix, 'svc');
    this.services.add(name);
    const flags = [
      '--name', name, '--detach', '--no-resolve-image',
      '--replicas', String(options.replicas ?? 1),
      '--stop-grace-period', options.stopGracePeriod ?? '2s',
      '--label', this.labelFlag, '--container-label', this.labelFlag,
      ...labelFlags('--label', options.labels ?? {}),
      ...labelFlags('--env', options.env ?? {}),
      ...(options.networks ?? []).flatMap((network) => ['--network', network]),
      ...(options.publish ?? []).flatMap((p) => ['--publish', `mode=${p.mode ?? 'host'},published=${p.published},target=${p.target},protocol=${p.protocol ?? 'tcp'}`]),
      ...(options.configs ?? []).flatMap((c) => ['--config', mountFlag(c)]),
      ...(options.secrets ?? []).flatMap((s) => ['--secret', mountFlag(s)]),
      ...(options.extraFlags ?? []),
    ];
    await docker(['service', 'create', ...flags, options.image, ...(options.args ?? [])]);
    return name;
  }

  /** Runs `docker service update <flags> <service>` (detached, no registry lookup). */
  async updateService(service: string, flags: string[]): Promise<void> {
    await docker(['service', 'update', '--detach', '--no-resolve-image', ...flags, service]);
  }

  /** Removes one service now (cleanup would also do it). */
  async removeService(service: string): Promise<void> {
    await docker(['service', 'rm', service]);
    this.services.delete(service);
  }

  /** All tasks of `service` (current and historic), inspected. */
  async tasks(service: string): Promise<TaskInfo[]> {
    const ids = await dockerLines(['service', 'ps', '--no-trunc', '--quiet', service]);
    if (ids.length === 0) return [];
    const raw = JSON.parse((await docker(['inspect', '--type', 'task', ...ids])).stdout) as RawTask[];
    return raw
      .map((task): TaskInfo => {
        const addresses: Record<string, string[]> = {};
        for (const attachment of task.NetworksAttachments ?? []) {
          const network = attachment.Network?.Spec?.Name;
          if (network) addresses[network] = (attachment.Addresses ?? []).map((address) => address.split('/')[0] ?? address);
        }
        const slot = task.Slot ?? 0;
        return {
          id: task.ID,
          name: `${service}.${slot}.${task.ID}`,
          slot,
          state: task.Status?.State ?? '',
          desiredState: task.DesiredState ?? '',
          error: task.Status?.Err ?? '',
          containerId: task.Status?.ContainerStatus?.ContainerID ?? '',
          addresses,
        };
      })
      .sort((a, b) => a.slot - b.slot || a.id.localeCompare(b.id));
  }

  /**
   * Waits until `service` has exactly `count` tasks that should run and do run, and resolves with
   * them (sorted by slot). The timeout error lists the tasks' states and errors.
   */
  async waitForRunningTasks(service: string, count: number, options: { timeoutMs?: number } = {}): Promise<TaskInfo[]> {
    let last: TaskInfo[] = [];
    try {
      return await waitFor(
        async () => {
          last = await this.tasks(service);
          const wanted = last.filter((task) => task.desiredState === 'running');
          return wanted.length === count && wanted.every((task) => task.state === 'running') ? wanted : undefined;
        },
        { timeoutMs: options.timeoutMs ?? 60_000, intervalMs: 500, description: `${count} running tasks of ${service}` },
      );
    } catch (error) {
      const states = last.map((task) => `${task.name}: ${task.state}/${task.desiredState}${task.error ? ` (${task.error})` : ''}`).join('; ');
      throw new Error(`${(error as Error).message}; tasks: ${states || 'none'}`, { cause: error });
    }
  }

  /** The current task IPs of `service` on `network` (tasks that should run), sorted by slot. */
  async taskAddresses(service: string, network: string): Promise<string[]> {
    const tasks = await this.tasks(service);
    return tasks.filter((task) => task.desiredState === 'running').flatMap((task) => task.addresses[network] ?? []);
  }

  /** The service's logs (stdout and stderr, with task names), for failure messages. */
  async logs(service: string, tail = 100): Promise<string> {
    const { stdout, stderr } = await docker(['service', 'logs', '--raw', '--no-task-ids', '--tail', String(tail), service], {
      allowFailure: true,
      timeoutMs: 15_000,
    });
    return `${stdout}${stderr}`;
  }

  /**
   * Removes everything this fixture created or labelled: services first, then (once their
   * containers are gone) configs, secrets and networks. Bounded (about 60 s); keeps going past
   * individual failures and throws one error listing what could not be removed.
   */
  async cleanup(): Promise<void> {
    const problems: string[] = [];
    const remove = async (kind: 'service' | 'config' | 'secret' | 'network', names: Set<string>, failures: string[]): Promise<void> => {
      const labelled = await dockerLines([kind, 'ls', '--filter', `label=${this.labelFlag}`, '--format', '{{.Name}}'], {
        timeoutMs: 15_000,
      }).catch(() => []);
      for (const name of new Set([...names, ...labelled])) {
        const { exitCode, stderr } = await docker([kind, 'rm', name], { allowFailure: true, timeoutMs: 30_000 });
        if (exitCode === 0 || /not found|no such/i.test(stderr)) names.delete(name);
        else failures.push(`${kind} ${name}: ${stderr}`);
      }
    };

    await remove('service', this.services, problems);
    // Task containers must be gone before their networks and configs can be removed.
    await waitFor(
      async () => (await dockerLines(['ps', '--all', '--quiet', '--filter', `label=${this.labelFlag}`], { timeoutMs: 15_000 })).length === 0,
      { timeoutMs: 45_000, intervalMs: 500, description: `containers of ${this.id} to go away` },
    ).catch((error: Error) => problems.push(error.message));

    // Networks can lag behind their containers by a moment: a few bounded retries.
    for (let attempt = 1; ; attempt++) {
      const failures: string[] = [];
      await remove('config', this.configs, failures);
      await remove('secret', this.secrets, failures);
      await remove('network', this.networks, failures);
      if (failures.length === 0 || attempt === 10) {
        problems.push(...failures);
        break;
      }
      await sleep(1000);
    }
    if (problems.length > 0) throw new Error(`cleanup of ${this.id} left: ${problems.join('; ')}`);
  }
}
