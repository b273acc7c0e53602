import type * as docker from './docker-port.js';

/** Names of the {@link docker.DockerPort} methods, as counted and failed by {@link FakeDockerPort}. */
export type DockerPortMethod = keyof docker.DockerPort;

const METHODS: readonly DockerPortMethod[] = [
  'listServices',
  'listTasks',
  'listNetworks',
  'listSecrets',
  'listConfigs',
  'inspectService',
  'createService',
  'updateService',
  'removeService',
  'serviceLogs',
  'createConfig',
  'removeConfig',
  'createSecret',
  'removeSecret',
  'events',
  'ping',
];

const LIST_METHODS = new Set<DockerPortMethod>(['listServices', 'listTasks', 'listNetworks', 'listSecrets', 'listConfigs']);

/** Error thrown by {@link FakeDockerPort}, shaped like dockerode's (a `statusCode`). */
export class FakeDockerError extends Error {
  /** HTTP status the Engine would have answered with. */
  readonly statusCode: number;
  /** Creates an error with an Engine-like status code. */
  constructor(message: string, statusCode = 500) {
    super(message);
    this.name = 'FakeDockerError';
    this.statusCode = statusCode;
  }
}

/** Options of a {@link FakeDockerPort}. */
export interface FakeDockerPortOptions {
  /** Clock used for `CreatedAt`/`UpdatedAt` and event times (default `Date.now`). */
  now?: () => number;
}

interface Failure {
  /** The error to throw; undefined for a call that never answers. */
  error: Error | undefined;
  /** Remaining failures; Infinity for "always". */
  remaining: number;
}

class Subscription {
  readonly queue: docker.DockerEvent[] = [];
  #wake: (() => void) | undefined;
  done = false;
  error: Error | undefined;

  constructor(readonly types: ReadonlySet<string> | undefined) {}

  push(event: docker.DockerEvent): void {
    if (this.done || (this.types && !this.types.has(event.Type))) return;
    this.queue.push(event);
    this.#notify();
  }

  end(error?: Error): void {
    if (this.done) return;
    this.done = true;
    this.error = error;
    this.#notify();
  }

  wait(): Promise<void> {
    return new Promise((resolve) => {
      this.#wake = resolve;
    });
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}

function matchesLabel(labels: Record<string, string> | undefined, wanted: string): boolean {
  const eq = wanted.indexOf('=');
  if (eq < 0) return labels !== undefined && Object.prototype.hasOwnProperty.call(labels, wanted);
  return labels?.[wanted.slice(0, eq)] === wanted.slice(eq + 1);
}

/** Engine filter semantics: values of one key are OR-ed, keys are AND-ed; unknown keys match all. */
function matches(filters: docker.DockerFilters | undefined, test: (key: string, value: string) => boolean | undefined): boolean {
  if (!filters) return true;
  for (const [key, values] of Object.entries(filters)) {
    if (values.length === 0) continue;
    const results = values.map((v) => test(key, v));
    if (results.every((r) => r === undefined)) continue;
    if (!results.some((r) => r === true)) return false;
  }
  return true;
}

const clone = <T>(value: T): T => structuredClone(value);

/**
 * In-memory {@link docker.DockerPort} for unit tests of the reconciler and its consumers.
 *
 * - State lives in the public arrays `services`, `tasks`, `networks`, `secrets`, `configs`
 *   (Engine API shapes); tests mutate them directly or through the helper methods. Lists return
 *   deep copies.
 * - Every call is counted per method ({@link FakeDockerPort.callCount}).
 * - Calls can be made to fail ({@link FakeDockerPort.failNext}, {@link FakeDockerPort.failAlways})
 *   or never to answer, like a stopped dockerd ({@link FakeDockerPort.hangNext}).
 * - List calls can be held to observe concurrency ({@link FakeDockerPort.holdLists}).
 * - Events are pushed with {@link FakeDockerPort.emit}; streams can be ended or failed.
 *   `createService`/`updateService`/`removeService`/`createConfig`/`removeConfig` emit the events
 *   the Engine would.
 */
export class FakeDockerPort implements docker.DockerPort {
  /** Services, as `GET /services` returns them. */
  services: docker.DockerService[] = [];
  /** Tasks, as `GET /tasks` returns them. */
  tasks: docker.DockerTask[] = [];
  /** Networks, as `GET /networks` returns them. */
  networks: docker.DockerNetwork[] = [];
  /** Secrets (metadata), as `GET /secrets` returns them. */
  secrets: docker.DockerSecret[] = [];
  /** Configs, as `GET /configs` returns them. */
  configs: docker.DockerConfig[] = [];

  readonly #now: () => number;
  readonly #calls = new Map<DockerPortMethod, number>();
  readonly #failures = new Map<DockerPortMethod, Failure>();
  readonly #subscriptions = new Set<Subscription>();
  readonly #history: docker.DockerEvent[] = [];
  #nextId = 1;
  #versionIndex = 1;
  #hold: Promise<void> | undefined;
  #release: (() => void) | undefined;
  #listsInFlight = 0;
  #maxListsInFlight = 0;

  /** Creates an empty fake swarm. */
  constructor(options: FakeDockerPortOptions = {}) {
    this.#now = options.now ?? (() => Date.now());
  }

  // ---- call accounting and failure injection ----

  /** Number of calls of `method` since creation or the last {@link FakeDockerPort.resetCalls}. */
  callCount(method: DockerPortMethod): number {
    return this.#calls.get(method) ?? 0;
  }

  /** Number of list calls (all five list methods together). */
  get listCallCount(): number {
    let n = 0;
    for (const m of LIST_METHODS) n += this.callCount(m);
    return n;
  }

  /** All call counts by method (methods never called are 0). */
  get calls(): Record<DockerPortMethod, number> {
    const out = {} as Record<DockerPortMethod, number>;
    for (const m of METHODS) out[m] = this.callCount(m);
    return out;
  }

  /** Sets every call count back to 0 (and the concurrency high-water mark). */
  resetCalls(): void {
    this.#calls.clear();
    this.#maxListsInFlight = this.#listsInFlight;
  }

  /** Makes the next `times` calls of `method` reject with `error` (default: a 500 error). */
  failNext(method: DockerPortMethod, error: Error = new FakeDockerError(`${method} failed`), times = 1): void {
    this.#failures.set(method, { error, remaining: times });
  }

  /** Makes every call of `method` reject with `error` until {@link FakeDockerPort.clearFailures}. */
  failAlways(method: DockerPortMethod, error: Error = new FakeDockerError(`${method} failed`)): void {
    this.#failures.set(method, { error, remaining: Number.POSITIVE_INFINITY });
  }

  /**
   * Makes the next `times` calls of `method` never settle (a dockerd that accepts the request and
   * never answers); only a caller's own deadline ends them. Counted like any call.
   */
  hangNext(method: DockerPortMethod, times = 1): void {
    this.#failures.set(method, { error: undefined, remaining: times });
  }

  /** Stops failing (or hanging) `method` (or every method when omitted). */
  clearFailures(method?: DockerPortMethod): void {
    if (method) this.#failures.delete(method);
    else this.#failures.clear();
  }

  /** Holds every list call until {@link FakeDockerPort.releaseLists}; for observing concurrency. */
  holdLists(): void {
    if (this.#hold) return;
    this.#hold = new Promise((resolve) => {
      this.#release = resolve;
    });
  }

  /** Lets held list calls (and future ones) complete. */
  releaseLists(): void {
    const release = this.#release;
    this.#hold = undefined;
    this.#release = undefined;
    release?.();
  }

  /** List calls currently in flight. */
  get listsInFlight(): number {
    return this.#listsInFlight;
  }

  /** Highest number of list calls ever in flight at once (since the last reset). */
  get maxListsInFlight(): number {
    return this.#maxListsInFlight;
  }

  /** Counts the call; throws an injected failure; returns true when the call must hang. */
  #enter(method: DockerPortMethod): boolean {
    this.#calls.set(method, this.callCount(method) + 1);
    const failure = this.#failures.get(method);
    if (failure) {
      failure.remaining--;
      if (failure.remaining <= 0) this.#failures.delete(method);
      if (failure.error === undefined) return true;
      throw failure.error;
    }
    return false;
  }

  /** A promise that never settles: the answer of a hung call. */
  #hang(): Promise<never> {
    return new Promise<never>(() => undefined);
  }

  async #list<T>(method: DockerPortMethod, read: () => T[]): Promise<T[]> {
    if (this.#enter(method)) await this.#hang();
    this.#listsInFlight++;
    this.#maxListsInFlight = Math.max(this.#maxListsInFlight, this.#listsInFlight);
    try {
      await Promise.resolve();
      while (this.#hold) await this.#hold;
      return clone(read());
    } finally {
      this.#listsInFlight--;
    }
  }

  // ---- state helpers ----

  /** A fresh deterministic ID with the given prefix (`svc-1`, `task-2`, ...). */
  newId(prefix: string): string {
    return `${prefix}-${this.#nextId++}`;
  }

  /** Adds a network; returns its ID. */
  addNetwork(network: Partial<docker.DockerNetwork> & { Name: string }): string {
    const id = network.Id ?? this.newId('net');
    this.networks.push({ Driver: 'overlay', Scope: 'swarm', Ingress: false, ...network, Id: id });
    return id;
  }

  /** Adds a secret (metadata only); returns its ID. */
  addSecret(name: string, labels: Record<string, string> = {}): string {
    const id = this.newId('secret');
    this.secrets.push({ ID: id, Spec: { Name: name, Labels: labels }, CreatedAt: new Date(this.#now()).toISOString() });
    return id;
  }

  /**
   * Adds a task of `serviceId` in state `running` (desired `running`), attached to each network in
   * `addresses` (network ID → address in CIDR notation). Returns the task ID.
   */
  addTask(serviceId: string, addresses: Record<string, string> = {}, overrides: Partial<docker.DockerTask> = {}): string {
    const id = overrides.ID ?? this.newId('task');
    const slot = this.tasks.filter((t) => t.ServiceID === serviceId).length + 1;
    this.tasks.push({
      ID: id,
      ServiceID: serviceId,
      NodeID: 'node-1',
      Slot: slot,
      DesiredState: 'running',
      Status: { State: 'running', Timestamp: new Date(this.#now()).toISOString() },
      NetworksAttachments: Object.entries(addresses).map(([networkId, address]) => ({
        Network: { ID: networkId },
        Addresses: [address],
      })),
      ...overrides,
    });
    return id;
  }

  // ---- events ----

  /** Number of open event streams. */
  get subscriberCount(): number {
    return this.#subscriptions.size;
  }

  /** Delivers `event` to every open event stream (and records it for `since` replays). */
  emit(event: docker.DockerEvent): void {
    const stamped: docker.DockerEvent = { scope: 'swarm', time: Math.floor(this.#now() / 1000), timeNano: this.#now() * 1e6, ...event };
    this.#history.push(stamped);
    for (const sub of this.#subscriptions) sub.push(stamped);
  }

  /** Shorthand for {@link FakeDockerPort.emit}: `emitEvent('service', 'update', id)`. */
  emitEvent(type: string, action: string, id: string, attributes: Record<string, string> = {}): void {
    this.emit({ Type: type, Action: action, Actor: { ID: id, Attributes: attributes } });
  }

  /** Ends every open event stream normally (as when the Engine closes the connection). */
  endEvents(): void {
    for (const sub of this.#subscriptions) sub.end();
  }

  /** Makes every open event stream throw `error` (as when the connection breaks). */
  failEvents(error: Error = new FakeDockerError('event stream broken')): void {
    for (const sub of this.#subscriptions) sub.end(error);
  }

  // ---- DockerPort ----

  /** {@inheritDoc DockerPort.listServices} */
  listServices(filters?: docker.DockerFilters): Promise<docker.DockerService[]> {
    return this.#list('listServices', () =>
      this.services.filter((s) =>
        matches(filters, (key, value) => {
          if (key === 'id') return s.ID.startsWith(value);
          if (key === 'name') return (s.Spec?.Name ?? '').startsWith(value);
          if (key === 'label') return matchesLabel(s.Spec?.Labels, value);
          return undefined;
        }),
      ),
    );
  }

  /** {@inheritDoc DockerPort.listTasks} */
  listTasks(filters?: docker.DockerFilters): Promise<docker.DockerTask[]> {
    return this.#list('listTasks', () => {
      // Like the Engine: a `service` filter naming no existing service is a 404.
      for (const wanted of filters?.['service'] ?? []) {
        if (!this.services.some((s) => s.ID === wanted || s.Spec?.Name === wanted)) {
          throw new FakeDockerError(`service ${wanted} not found`, 404);
        }
      }
      return this.#filterTasks(filters);
    });
  }

  #filterTasks(filters: docker.DockerFilters | undefined): docker.DockerTask[] {
    return this.tasks.filter((t) =>
      matches(filters, (key, value) => {
        if (key === 'id') return t.ID.startsWith(value);
        if (key === 'service') {
          const service = this.services.find((s) => s.ID === t.ServiceID);
          return t.ServiceID === value || (service !== undefined && service.Spec?.Name === value);
        }
        if (key === 'node') return t.NodeID === value;
        if (key === 'desired-state') return t.DesiredState === value;
        if (key === 'label') return matchesLabel(t.Labels, value);
        return undefined;
      }),
    );
  }

  /** {@inheritDoc DockerPort.listNetworks} */
  listNetworks(): Promise<docker.DockerNetwork[]> {
    return this.#list('listNetworks', () => this.networks);
  }

  /** {@inheritDoc DockerPort.listSecrets} */
  listSecrets(): Promise<docker.DockerSecret[]> {
    return this.#list('listSecrets', () => this.secrets);
  }

  /** {@inheritDoc DockerPort.listConfigs} */
  listConfigs(filters?: docker.DockerFilters): Promise<docker.DockerConfig[]> {
    return this.#list('listConfigs', () =>
      this.configs.filter((c) =>
        matches(filters, (key, value) => {
          if (key === 'id') return c.ID.startsWith(value);
          if (key === 'name') return (c.Spec?.Name ?? '').startsWith(value);
          if (key === 'label') return matchesLabel(c.Spec?.Labels, value);
          return undefined;
        }),
      ),
    );
  }

  /** {@inheritDoc DockerPort.inspectService} */
  async inspectService(id: string): Promise<docker.DockerService> {
    if (this.#enter('inspectService')) await this.#hang();
    return clone(this.#service(id));
  }

  /** {@inheritDoc DockerPort.createService} */
  async createService(spec: docker.DockerServiceSpec): Promise<string> {
    if (this.#enter('createService')) await this.#hang();
    const name = spec.Name ?? '';
    if (name !== '' && this.services.some((s) => s.Spec?.Name === name)) {
      throw new FakeDockerError(`service ${name} already exists`, 409);
    }
    const id = this.newId('svc');
    const at = new Date(this.#now()).toISOString();
    this.services.push({ ID: id, Version: { Index: this.#versionIndex++ }, CreatedAt: at, UpdatedAt: at, Spec: clone(spec) });
    this.emitEvent('service', 'create', id, { name });
    return id;
  }

  /** {@inheritDoc DockerPort.updateService} */
  async updateService(id: string, version: number, spec: docker.DockerServiceSpec): Promise<void> {
    if (this.#enter('updateService')) await this.#hang();
    const service = this.#service(id);
    if (service.Version?.Index !== version) {
      throw new FakeDockerError('rpc error: code = Unknown desc = update out of sequence', 500);
    }
    service.PreviousSpec = service.Spec;
    service.Spec = clone(spec);
    service.Version = { Index: this.#versionIndex++ };
    service.UpdatedAt = new Date(this.#now()).toISOString();
    this.emitEvent('service', 'update', id, { name: spec.Name ?? '' });
  }

  /** {@inheritDoc DockerPort.removeService} (also removes the service's tasks). */
  async removeService(id: string): Promise<void> {
    if (this.#enter('removeService')) await this.#hang();
    const service = this.#service(id);
    this.services = this.services.filter((s) => s !== service);
    this.tasks = this.tasks.filter((t) => t.ServiceID !== service.ID);
    this.emitEvent('service', 'remove', service.ID, { name: service.Spec?.Name ?? '' });
  }

  /** Log text per service ID, as {@link serviceLogs} returns it (tests set it). */
  readonly logs = new Map<string, string>();

  /** {@inheritDoc DockerPort.serviceLogs} */
  async serviceLogs(id: string, tail: number): Promise<string> {
    if (this.#enter('serviceLogs')) await this.#hang();
    this.#service(id);
    const lines = (this.logs.get(id) ?? '').split('\n');
    return lines.slice(Math.max(0, lines.length - tail - 1)).join('\n');
  }

  /** {@inheritDoc DockerPort.createConfig} */
  async createConfig(spec: docker.DockerConfigSpec): Promise<string> {
    if (this.#enter('createConfig')) await this.#hang();
    this.#refuseTakenName(this.configs, 'config', spec.Name);
    const id = this.newId('config');
    const at = new Date(this.#now()).toISOString();
    this.configs.push({ ID: id, Version: { Index: this.#versionIndex++ }, CreatedAt: at, UpdatedAt: at, Spec: clone(spec) });
    this.emitEvent('config', 'create', id, { name: spec.Name });
    return id;
  }

  /** {@inheritDoc DockerPort.removeConfig} */
  async removeConfig(id: string): Promise<void> {
    if (this.#enter('removeConfig')) await this.#hang();
    const config = this.#named(this.configs, 'config', id);
    this.configs = this.configs.filter((c) => c !== config);
    this.emitEvent('config', 'remove', config.ID, { name: config.Spec?.Name ?? '' });
  }

  /** Data of the secrets created through the port (base64, by ID): the Engine never returns it. */
  readonly secretData = new Map<string, string>();

  /** {@inheritDoc DockerPort.createSecret} */
  async createSecret(spec: docker.DockerConfigSpec): Promise<string> {
    if (this.#enter('createSecret')) await this.#hang();
    this.#refuseTakenName(this.secrets, 'secret', spec.Name);
    const id = this.addSecret(spec.Name, spec.Labels ?? {});
    this.secretData.set(id, spec.Data);
    this.emitEvent('secret', 'create', id, { name: spec.Name });
    return id;
  }

  /** {@inheritDoc DockerPort.removeSecret} */
  async removeSecret(id: string): Promise<void> {
    if (this.#enter('removeSecret')) await this.#hang();
    const secret = this.#named(this.secrets, 'secret', id);
    this.secrets = this.secrets.filter((c) => c !== secret);
    this.secretData.delete(secret.ID);
    this.emitEvent('secret', 'remove', secret.ID, { name: secret.Spec?.Name ?? '' });
  }

  /** {@inheritDoc DockerPort.ping} */
  async ping(): Promise<docker.DockerPing> {
    if (this.#enter('ping')) await this.#hang();
    return { ok: true };
  }

  /** {@inheritDoc DockerPort.events} */
  async *events(options: docker.DockerEventsOptions): AsyncIterable<docker.DockerEvent> {
    if (this.#enter('events')) await this.#hang();
    const { signal } = options;
    if (signal.aborted) return;
    const types = options.filters?.['type'];
    const sub = new Subscription(types && types.length > 0 ? new Set(types) : undefined);
    if (options.since !== undefined) {
      const since = options.since;
      for (const ev of this.#history) if ((ev.time ?? 0) >= since) sub.push(ev);
    }
    const onAbort = (): void => sub.end();
    signal.addEventListener('abort', onAbort, { once: true });
    this.#subscriptions.add(sub);
    try {
      for (;;) {
        if (signal.aborted) return;
        const next = sub.queue.shift();
        if (next) {
          yield next;
          continue;
        }
        if (sub.done) {
          if (sub.error && !signal.aborted) throw sub.error;
          return;
        }
        await sub.wait();
      }
    } finally {
      this.#subscriptions.delete(sub);
      signal.removeEventListener('abort', onAbort);
    }
  }

  #service(id: string): docker.DockerService {
    return this.#named(this.services, 'service', id);
  }

  /** The object of `list` with this ID or name, or the Engine's 404. */
  #named<T extends { ID: string; Spec?: { Name?: string } }>(list: readonly T[], kind: string, id: string): T {
    const found = list.find((o) => o.ID === id || o.Spec?.Name === id);
    if (!found) throw new FakeDockerError(`${kind} ${id} not found`, 404);
    return found;
  }

  /** The Engine's 409 when a config or secret of this name exists already (names are unique per kind). */
  #refuseTakenName(list: readonly (docker.DockerConfig | docker.DockerSecret)[], kind: 'config' | 'secret', name: string): void {
    if (list.some((o) => o.Spec?.Name === name)) throw new FakeDockerError(`${kind} ${name} already exists`, 409);
  }
}
