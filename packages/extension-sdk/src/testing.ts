import { ServerError, Status, createServer, type Server } from 'nice-grpc';
import {
  BackendMode,
  ExtensionServiceDefinition,
  ProxyModel,
  configChecksum,
  type ExtensionServiceImplementation,
  type RegisterRequest,
  type SubmitConfigRequest,
} from '@switchyard/proto';
import type { ExtensionLogger } from './logger.js';

/**
 * Test helpers for extension authors (`@switchyard/extension-sdk/testing`): a loopback stand-in for
 * core that speaks the real gRPC contract, so an extension's loop can be tested without a swarm.
 * It loads nice-grpc's server, so it is kept apart from the package's main entry.
 */

/**
 * A loopback stand-in for core: the real contract over gRPC (plaintext), with knobs to misbehave.
 * `listen()` it, point the extension at `127.0.0.1:<port>`, then `publish()` or `setModel()` models and
 * look at `registrations` and `submissions`. Stop it with `server.forceShutdown()`.
 */
export class FakeCore {
  readonly registrations: RegisterRequest[] = [];
  readonly submissions: (SubmitConfigRequest & { accepted: boolean; reasons: string[] })[] = [];
  private readonly ids = new Set<string>();
  private readonly models = new Map<string, ProxyModel>();
  private version = 0;
  private waiters: { resolve: () => void; reject: (e: Error) => void }[] = [];
  /** Answer the next submission with "stale". */
  staleNext = false;
  /** Reject submissions of these model versions with a plain reason. */
  readonly rejectVersions = new Set<number>();
  /** End every WatchModel stream right after its first model. */
  endStreamsAfterFirst = false;
  server: Server | undefined;

  readonly impl: ExtensionServiceImplementation = {
    register: async (req) => {
      this.registrations.push(req);
      const extensionId = `ext-${this.registrations.length}`;
      this.ids.add(extensionId);
      return { extensionId };
    },
    getModel: async (req) => ({ model: this.models.get(req.serviceCluster) }),
    watchModel: (req, context) => this.watch(req.serviceCluster, context.signal),
    submitConfig: async (req) => {
      const current = this.models.get(this.clusterOf(req.extensionId) ?? '\0');
      let reasons: string[] = [];
      if (!this.ids.has(req.extensionId)) reasons = ['unknown extension id: register first'];
      else if (req.checksum !== configChecksum(req.files)) reasons = ['checksum does not match the files'];
      else if (this.staleNext || (current && req.modelVersion < current.version)) reasons = [`stale: rendered from model version ${req.modelVersion}`];
      else if (this.rejectVersions.has(req.modelVersion)) reasons = ['rejected for the test'];
      this.staleNext = false;
      const accepted = reasons.length === 0;
      this.submissions.push({ ...req, accepted, reasons });
      return { accepted, reasons, configName: accepted ? `cfg-${req.modelVersion}` : '' };
    },
    getStatus: async () => ({ models: [...this.models.values()], deliveries: [], extensions: [], replicas: [] }),
    // Proxy-agent calls: not used by an extension.
    reportProxyConfig: async () => {
      throw new Error('not in this fake');
    },
    // eslint-disable-next-line require-yield
    watchProxyConfig: async function* () {
      throw new Error('not in this fake');
    },
  };

  private async *watch(cluster: string, signal: AbortSignal): AsyncGenerator<{ model: ProxyModel }> {
    let sent = 0;
    while (!signal.aborted) {
      const model = this.models.get(cluster);
      if (model && model.version !== sent) {
        sent = model.version;
        yield { model };
        if (this.endStreamsAfterFirst) return;
        continue;
      }
      await new Promise<void>((resolve, reject) => {
        this.waiters.push({ resolve, reject });
        signal.addEventListener('abort', () => resolve(), { once: true });
      });
    }
  }

  private clusterOf(extensionId: string): string | undefined {
    const n = Number(extensionId.replace('ext-', ''));
    return this.registrations[n - 1]?.serviceCluster;
  }

  /** Starts serving on `address` (default: an ephemeral loopback port); resolves the port. */
  async listen(address = '127.0.0.1:0'): Promise<number> {
    this.server = createServer();
    this.server.add(ExtensionServiceDefinition, this.impl);
    return this.server.listen(address);
  }

  /**
   * Serves `model` for its `serviceCluster` (with its own version when it has one, else the next);
   * wakes watchers. Returns the version.
   */
  setModel(model: ProxyModel): number {
    const version = model.version > 0 ? model.version : this.version + 1;
    this.version = Math.max(this.version, version);
    this.models.set(model.serviceCluster, { ...model, version });
    this.wake();
    return version;
  }

  /** Publishes a model for a cluster with the next version (one host `<cluster>.test`); wakes watchers. */
  publish(cluster: string, endpoints: string[], host = `${cluster || 'default'}.test`): number {
    this.version += 1;
    const [address = '', port = '0'] = endpoints[0]?.split(':') ?? [];
    this.models.set(cluster, {
      ...ProxyModel.fromPartial({}),
      version: this.version,
      hash: `h${this.version}`,
      serviceCluster: cluster,
      hosts: [{ host, certificate: '', sslOnly: false, redirects: [], routes: [{ path: '/', stripPrefix: false, upstream: 'app', websocket: false }] }],
      upstreams: [
        {
          name: 'app',
          endpoints: endpoints.length === 0 ? [] : [{ address, port: Number(port), weight: 1, service: 'app', taskId: 't1' }],
          stickyCookie: '',
          ipHash: false,
          tls: false,
          tlsVerify: false,
          mode: BackendMode.BACKEND_MODE_TASK,
          services: ['app'],
        },
      ],
    });
    this.wake();
    return this.version;
  }

  /** Forgets every registration, as a restarted core would. */
  forget(): void {
    this.ids.clear();
  }

  /** Fails every open WatchModel stream. */
  breakStreams(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w.reject(new ServerError(Status.UNAVAILABLE, 'core going away'));
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w.resolve();
  }
}

/** A logger keeping every line. */
export function captureLogger(): ExtensionLogger & { lines: { level: string; message: string; meta: Record<string, unknown> }[] } {
  const lines: { level: string; message: string; meta: Record<string, unknown> }[] = [];
  const push = (level: string) => (message: string, meta: Record<string, unknown> = {}) => void lines.push({ level, message, meta });
  return { lines, debug: push('debug'), info: push('info'), warn: push('warn'), error: push('error') };
}

/** Polls `probe` until it returns a value (not undefined/false). */
export async function until<T>(probe: () => T | undefined | false, what: string, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
