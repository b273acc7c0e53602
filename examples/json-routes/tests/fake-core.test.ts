import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServerError, Status, createServer, type Server } from 'nice-grpc';
import {
  BackendMode,
  ExtensionServiceDefinition,
  ProxyKind,
  ProxyModel,
  configChecksum,
  type ExtensionServiceImplementation,
  type RegisterRequest,
  type SubmitConfigRequest,
} from '@switchyard/proto';
import type { ExtensionLogger as Logger, Submission } from '@switchyard/extension-sdk';
import { parseCliArgs, run, type RouteTable } from '../src/index.js';

/** A loopback stand-in for core: the real contract, with knobs to misbehave. */
class FakeCore {
  readonly registrations: RegisterRequest[] = [];
  readonly submissions: (SubmitConfigRequest & { accepted: boolean; reasons: string[] })[] = [];
  private readonly ids = new Set<string>();
  private readonly models = new Map<string, ProxyModel>();
  private version = 0;
  private waiters: { resolve: () => void; reject: (e: Error) => void }[] = [];
  /** Answer the next submission with "stale". */
  staleNext = false;
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
      this.staleNext = false;
      const accepted = reasons.length === 0;
      this.submissions.push({ ...req, accepted, reasons });
      return { accepted, reasons, configName: '' };
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

  async listen(address = '127.0.0.1:0'): Promise<number> {
    this.server = createServer();
    this.server.add(ExtensionServiceDefinition, this.impl);
    return this.server.listen(address);
  }

  /** Publishes a model for a cluster with the next version; wakes watchers. */
  publish(cluster: string, endpoints: string[]): number {
    this.version += 1;
    const [address = '', port = '0'] = endpoints[0]?.split(':') ?? [];
    this.models.set(cluster, {
      ...ProxyModel.fromPartial({}),
      version: this.version,
      serviceCluster: cluster,
      hosts: [{ host: `${cluster}.test`, certificate: '', sslOnly: false, redirects: [], routes: [{ path: '/', stripPrefix: false, upstream: 'app', websocket: false }] }],
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

function captureLogger(): Logger & { lines: { level: string; message: string; meta: Record<string, unknown> }[] } {
  const lines: { level: string; message: string; meta: Record<string, unknown> }[] = [];
  const push = (level: string) => (message: string, meta: Record<string, unknown> = {}) => void lines.push({ level, message, meta });
  return { lines, info: push('info'), warn: push('warn'), error: push('error') };
}

async function until<T>(probe: () => T | undefined | false, what: string, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function readTable(file: string): RouteTable | undefined {
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as RouteTable;
}

async function freePort(): Promise<number> {
  const srv = createNetServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as { port: number };
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

describe('run() against a loopback fake core', () => {
  let dir: string;
  let core: FakeCore;
  let controller: AbortController;
  let running: Promise<void> | undefined;
  const fast = { initialMs: 20, maxMs: 200 };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'json-routes-'));
    core = new FakeCore();
    controller = new AbortController();
    running = undefined;
  });

  afterEach(async () => {
    controller.abort();
    await running;
    await core.server?.forceShutdown();
    rmSync(dir, { recursive: true, force: true });
  });

  it('registers as PROXY_KIND_OTHER, writes the table and submits routes.json with a valid checksum for every model', async () => {
    const port = await core.listen();
    const out = join(dir, 'sub', 'routes.json');
    const logger = captureLogger();
    const submitted: Submission[] = [];
    const v1 = core.publish('json', ['10.0.0.2:8080']);
    running = run({ core: `127.0.0.1:${port}`, cluster: 'json', out, name: 'json-test', logger, backoff: fast, onSubmitted: (s) => submitted.push(s) }, controller.signal);

    await until(() => submitted.length === 1, 'first submission');
    expect(core.registrations).toEqual([{ name: 'json-test', serviceCluster: 'json', proxyKind: ProxyKind.PROXY_KIND_OTHER, version: '0.1.0' }]);
    const [first] = core.submissions;
    expect(first).toMatchObject({ extensionId: 'ext-1', modelVersion: v1, accepted: true });
    expect(first!.files.map((f) => f.path)).toEqual(['routes.json']);
    expect(first!.checksum).toBe(configChecksum(first!.files));
    expect(readTable(out)).toEqual({ modelVersion: v1, hosts: [{ host: 'json.test', routes: [{ path: '/', upstream: 'app', endpoints: ['10.0.0.2:8080'] }] }] });
    expect(readFileSync(out, 'utf8')).toBe(first!.files[0]!.content);
    expect(logger.lines).toContainEqual(expect.objectContaining({ message: 'config accepted', meta: expect.objectContaining({ modelVersion: v1 }) }));

    const v2 = core.publish('json', ['10.0.0.3:8080']);
    await until(() => submitted.length === 2, 'second submission');
    expect(submitted[1]).toMatchObject({ modelVersion: v2, accepted: true });
    expect(readTable(out)?.hosts[0]?.routes[0]?.endpoints).toEqual(['10.0.0.3:8080']);
    expect(core.registrations).toHaveLength(1);
    expect(readTable(out)?.modelVersion).toBe(v2);
  });

  it('follows only its own cluster', async () => {
    const port = await core.listen();
    const out = join(dir, 'routes.json');
    const submitted: Submission[] = [];
    core.publish('other', ['10.9.9.9:80']);
    running = run({ core: `127.0.0.1:${port}`, cluster: 'json', out, logger: captureLogger(), backoff: fast, onSubmitted: (s) => submitted.push(s) }, controller.signal);
    await until(() => core.registrations.length === 1, 'registration');
    const v = core.publish('json', ['10.0.0.7:8080']);
    await until(() => submitted.length === 1, 'submission');
    expect(submitted).toEqual([expect.objectContaining({ modelVersion: v })]);
    expect(readTable(out)?.hosts.map((h) => h.host)).toEqual(['json.test']);
  });

  it('registers again when core no longer knows its id, then resubmits', async () => {
    const port = await core.listen();
    const logger = captureLogger();
    core.publish('json', ['10.0.0.2:8080']);
    running = run({ core: `127.0.0.1:${port}`, cluster: 'json', out: join(dir, 'r.json'), logger, backoff: fast }, controller.signal);
    await until(() => core.submissions.length === 1, 'first submission');
    core.forget();
    const v2 = core.publish('json', ['10.0.0.4:8080']);
    const ok = await until(() => core.submissions.find((s) => s.accepted && s.modelVersion === v2), 'accepted resubmission');
    expect(core.submissions.filter((s) => s.modelVersion === v2).map((s) => [s.extensionId, s.accepted])).toEqual([
      ['ext-1', false],
      ['ext-2', true],
    ]);
    expect(ok.extensionId).toBe('ext-2');
    expect(core.registrations).toHaveLength(2);
    expect(logger.lines.some((l) => l.level === 'warn' && l.message.includes('registering again'))).toBe(true);
  });

  it('logs a stale rejection and keeps following the stream', async () => {
    const port = await core.listen();
    const logger = captureLogger();
    core.staleNext = true;
    core.publish('json', ['10.0.0.2:8080']);
    running = run({ core: `127.0.0.1:${port}`, cluster: 'json', out: join(dir, 'r.json'), logger, backoff: fast }, controller.signal);
    await until(() => core.submissions.length === 1, 'first submission');
    expect(core.submissions[0]?.accepted).toBe(false);
    const v2 = core.publish('json', ['10.0.0.5:8080']);
    await until(() => core.submissions.find((s) => s.accepted && s.modelVersion === v2), 'accepted submission of the newer model');
    expect(core.registrations).toHaveLength(1);
    expect(logger.lines).toContainEqual(expect.objectContaining({ message: 'config superseded by a newer model' }));
  });

  it('reconnects and registers again when the model stream breaks', async () => {
    const port = await core.listen();
    const logger = captureLogger();
    const v1 = core.publish('json', ['10.0.0.2:8080']);
    running = run({ core: `127.0.0.1:${port}`, cluster: 'json', out: join(dir, 'r.json'), logger, backoff: fast }, controller.signal);
    await until(() => core.submissions.length === 1, 'first submission');
    core.breakStreams();
    await until(() => core.registrations.length === 2 && core.submissions.length === 2, 'registration and submission after reconnecting');
    expect(core.submissions[1]).toMatchObject({ extensionId: 'ext-2', modelVersion: v1, accepted: true });
    expect(logger.lines).toContainEqual(expect.objectContaining({ level: 'warn', message: 'disconnected from core; reconnecting' }));
  });

  it('keeps retrying while core is unreachable and connects once it comes up', async () => {
    const port = await freePort();
    const logger = captureLogger();
    const out = join(dir, 'r.json');
    running = run({ core: `127.0.0.1:${port}`, cluster: 'json', out, logger, backoff: fast }, controller.signal);
    await until(() => logger.lines.filter((l) => l.message === 'disconnected from core; reconnecting').length >= 2, 'two failed attempts');
    expect(existsSync(out)).toBe(false);
    const v = core.publish('json', ['10.0.0.8:8080']);
    await core.listen(`127.0.0.1:${port}`);
    await until(() => core.submissions.find((s) => s.accepted), 'a submission after core came up', 10_000);
    expect(readTable(out)?.modelVersion).toBe(v);
  });

  it('resolves promptly when the signal aborts', async () => {
    const port = await core.listen();
    running = run({ core: `127.0.0.1:${port}`, cluster: 'json', out: join(dir, 'r.json'), logger: captureLogger(), backoff: fast }, controller.signal);
    await until(() => core.registrations.length === 1, 'registration');
    const started = Date.now();
    controller.abort();
    await running;
    expect(Date.now() - started).toBeLessThan(1000);
  });
});

describe('parseCliArgs', () => {
  it('reads the options, defaulting the cluster to the default one', () => {
    expect(parseCliArgs(['--core', '127.0.0.1:9', '--out', 'r.json'])).toEqual({ options: { core: '127.0.0.1:9', out: 'r.json', cluster: '' } });
    expect(parseCliArgs(['--core', 'c:1', '--out', 'o', '--cluster', 'json', '--name', 'mine'])).toEqual({
      options: { core: 'c:1', out: 'o', cluster: 'json', name: 'mine' },
    });
    expect(parseCliArgs(['--help'])).toEqual({ help: true });
  });

  it('returns an error for missing or unknown arguments instead of throwing', () => {
    expect(parseCliArgs(['--out', 'o'])).toEqual({ error: '--core HOST:PORT is required' });
    expect(parseCliArgs(['--core', 'c:1'])).toEqual({ error: '--out FILE is required' });
    expect(parseCliArgs(['--core', 'c:1', '--out', 'o', '--bogus'])).toEqual({ error: expect.stringContaining('--bogus') });
  });
});
