/**
 * Real binaries, real gRPC, real traffic: a fake core (a nice-grpc server on 127.0.0.1 serving
 * WatchProxyConfig / ReportProxyConfig), runProxyAgent with the real nginx or HAProxy driver on a
 * free loopback port, and tiny Node HTTP backends on loopback. Checks that configurations switch
 * traffic, that a refused one leaves traffic alone, and that a bounded request loop across ten
 * reloads sees no failure. Everything listens on 127.0.0.1 only.
 */
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, ServerError, Status, type Server } from 'nice-grpc';
import { ApplyResult, ExtensionServiceDefinition, configChecksum, type ExtensionServiceImplementation, type ProxyConfigBundle, type ReportProxyConfigRequest, type WatchProxyConfigResponse } from '@switchyard/proto';
import { connectExtensionClient } from '@switchyard/proto/client';
import { runProxyAgent, spawnProxy, type AgentLogger, type ProxyChild, type ProxyDriver } from '../../src/index.js';
import { freePort } from '../../../../tools/testing/free-port.js';

/** What a suite needs to know about one proxy. */
export interface RealProxyCase {
  driver: ProxyDriver;
  /** Files of a config that sends every request to `backendPort` and adds `x-gen: <gen>`. */
  files(ctx: { dir: string; port: number; backendPort: number; gen: string; split: boolean }): { path: string; content: string }[];
  /** A configuration the proxy's own check refuses. */
  invalid(ctx: { dir: string; port: number }): { path: string; content: string }[];
}

interface Reply {
  status: number;
  body: string;
  gen: string | undefined;
}


function get(port: number): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', agent: false, timeout: 3000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, gen: res.headers['x-gen'] as string | undefined }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

async function until(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Defines the real-binary tests for one proxy (call at the top level of a test file). */
export function realProxySuite(c: RealProxyCase): void {
  jest.setTimeout(60_000);
  let dir: string;
  let port: number;
  const backends: http.Server[] = [];
  const backendPorts: number[] = [];
  let server: Server;
  const streams = new Set<{ queue: ProxyConfigBundle[]; wake?: () => void }>();
  let current: ProxyConfigBundle | undefined;
  const reports: ReportProxyConfigRequest[] = [];
  let version = 0;
  let child: ProxyChild | undefined;
  let logFd: number;
  const controller = new AbortController();
  let done: Promise<number>;
  const logs: string[] = [];

  const push = (files: { path: string; content: string }[]): ProxyConfigBundle => {
    version += 1;
    const b: ProxyConfigBundle = { modelVersion: version, checksum: configChecksum(files), files, acceptedAtUnixMs: Date.now() };
    current = b;
    for (const s of streams) {
      s.queue.push(b);
      s.wake?.();
    }
    return b;
  };
  const reportFor = (b: ProxyConfigBundle): ReportProxyConfigRequest | undefined => reports.find((r) => r.modelVersion === b.modelVersion);
  const ctx = (backend: number, gen: string, split = false) => ({ dir, port, backendPort: backendPorts[backend] ?? 0, gen, split });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), `pa-${c.driver.kind}-`));
    mkdirSync(join(dir, 'tmp'));
    port = await freePort();
    for (const name of ['backend-a', 'backend-b']) {
      const b = http.createServer((_req, res) => res.end(name));
      await new Promise<void>((resolve) => b.listen(0, '127.0.0.1', resolve));
      backends.push(b);
      const address = b.address();
      backendPorts.push(typeof address === 'object' && address ? address.port : 0);
    }
    const impl: ExtensionServiceImplementation = {
      register: () => Promise.reject(new ServerError(Status.UNIMPLEMENTED, 'fake core')),
      getModel: () => Promise.reject(new ServerError(Status.UNIMPLEMENTED, 'fake core')),
      // eslint-disable-next-line require-yield
      async *watchModel() {
        throw new ServerError(Status.UNIMPLEMENTED, 'fake core');
      },
      submitConfig: () => Promise.reject(new ServerError(Status.UNIMPLEMENTED, 'fake core')),
      getStatus: () => Promise.reject(new ServerError(Status.UNIMPLEMENTED, 'fake core')),
      async *watchProxyConfig(_req, context): AsyncGenerator<WatchProxyConfigResponse> {
        const s: { queue: ProxyConfigBundle[]; wake?: () => void } = { queue: current ? [current] : [] };
        streams.add(s);
        const onAbort = (): void => s.wake?.();
        context.signal.addEventListener('abort', onAbort);
        try {
          while (!context.signal.aborted) {
            const next = s.queue.shift();
            if (next) yield { config: next };
            else await new Promise<void>((resolve) => (s.wake = resolve));
          }
        } finally {
          context.signal.removeEventListener('abort', onAbort);
          streams.delete(s);
        }
      },
      async reportProxyConfig(req) {
        reports.push(req);
        return {};
      },
    };
    server = createServer();
    server.add(ExtensionServiceDefinition, impl);
    const corePort = await server.listen('127.0.0.1:0');

    // Start-up: core already has configuration A.
    const a = push(c.files(ctx(0, 'A')));
    logFd = openSync(join(dir, 'proxy.log'), 'a');
    const log = (level: string): AgentLogger[keyof AgentLogger] => (message, meta) => logs.push(`${level} ${message} ${JSON.stringify(meta ?? {})}`);
    done = runProxyAgent(
      {
        proxyService: 'proxy',
        replica: { taskId: 'task-1', nodeId: 'node-1', hostname: 'test', agentVersion: 'test' },
        driver: c.driver,
        bootConfigPath: join(dir, 'boot', c.driver.mainFile),
        liveRoot: join(dir, 'run'),
        connect: () => connectExtensionClient(`127.0.0.1:${corePort}`),
        logger: { debug: () => undefined, info: log('info'), warn: log('warn'), error: log('error') },
        bootWaitMs: 5000,
        spawn: (argv) => (child = spawnProxy(argv, { stdio: ['ignore', logFd, logFd] })),
      },
      controller.signal,
    );
    await until(() => reportFor(a)?.result === ApplyResult.APPLY_RESULT_APPLIED, 10_000, 'APPLIED A');
    await until(async () => (await get(port)).status === 200, 10_000, 'the proxy to answer');
  });

  afterAll(async () => {
    controller.abort(c.driver.stopSignal);
    const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 10_000).unref());
    if ((await Promise.race([done, timeout])) === 'timeout') child?.kill('SIGKILL');
    await server?.shutdown();
    for (const b of backends) await new Promise((r) => b.close(r));
    closeSync(logFd);
    rmSync(dir, { recursive: true, force: true });
  });

  const explain = (): string => `agent:\n${logs.join('\n')}\nproxy:\n${readFileSync(join(dir, 'proxy.log'), 'utf8')}`;

  it('serves configuration A from start-up', async () => {
    const r = await get(port);
    expect({ status: r.status, body: r.body, gen: r.gen }).toEqual({ status: 200, body: 'backend-a', gen: 'A' });
  });

  it('switches traffic to configuration B (split layout, other backend) with one graceful reload', async () => {
    const b = push(c.files(ctx(1, 'B', true)));
    await until(() => reportFor(b) !== undefined, 10_000, 'report for B').catch((e: Error) => {
      throw new Error(`${e.message}\n${explain()}`);
    });
    expect(reportFor(b)).toMatchObject({ result: ApplyResult.APPLY_RESULT_APPLIED, reloads: 1, error: '' });
    // Old workers may answer a moment longer (graceful), so wait for B; one response is consistent.
    let reply: Reply | undefined;
    await until(async () => (reply = await get(port)).gen === 'B', 5000, 'traffic on B');
    expect(reply?.body).toBe('backend-b');
  });

  it('reports a configuration its check refuses REJECTED, with the proxy’s words, and keeps serving B', async () => {
    const bad = push(c.invalid({ dir, port }));
    await until(() => reportFor(bad) !== undefined, 10_000, 'report for the invalid config');
    const r = reportFor(bad);
    expect(r?.result).toBe(ApplyResult.APPLY_RESULT_REJECTED);
    expect(r?.error.length).toBeGreaterThan(0);
    expect(r?.error.length).toBeLessThanOrEqual(2048);
    expect(r?.reloads).toBe(1);
    const reply = await get(port);
    expect({ body: reply.body, gen: reply.gen }).toEqual({ body: 'backend-b', gen: 'B' });
  });

  it('loses no request across ten reloads (bounded loop on 127.0.0.1)', async () => {
    let ok = 0;
    const failures: string[] = [];
    let running = true;
    const deadline = Date.now() + 30_000;
    const loop = async (): Promise<void> => {
      while (running && ok + failures.length < 20_000 && Date.now() < deadline) {
        try {
          const r = await get(port);
          if (r.status === 200) ok += 1;
          else failures.push(`status ${r.status}`);
        } catch (err) {
          failures.push((err as Error).message);
        }
      }
    };
    const loops = [loop(), loop(), loop()];
    const pushed: ProxyConfigBundle[] = [];
    for (let i = 1; i <= 10; i++) {
      const b = push(c.files(ctx(i % 2, `R${i}`, i % 3 === 0)));
      pushed.push(b);
      await until(() => reportFor(b) !== undefined, 10_000, `report for R${i}`);
      await new Promise((r) => setTimeout(r, 150));
    }
    await until(async () => (await get(port)).gen === 'R10', 5000, 'traffic on R10');
    running = false;
    await Promise.all(loops);
    expect(pushed.map((b) => reportFor(b)?.result)).toEqual(Array(10).fill(ApplyResult.APPLY_RESULT_APPLIED));
    expect(reportFor(pushed[9]!)?.reloads).toBe(11);
    console.log(`${c.driver.kind}: ${ok} requests across 10 reloads, ${failures.length} failed`);
    expect(failures).toEqual([]);
    expect(ok).toBeGreaterThan(100);
  });

  it('coalesces a burst of 100 configurations into a few reloads', async () => {
    const before = reports[reports.length - 1]?.reloads ?? 0;
    let last: ProxyConfigBundle | undefined;
    for (let i = 1; i <= 100; i++) last = push(c.files(ctx(i % 2, `S${i}`)));
    await until(() => reportFor(last!) !== undefined, 15_000, 'report for S100');
    const reloads = (reportFor(last!)?.reloads ?? 0) - before;
    console.log(`${c.driver.kind}: burst of 100 configurations -> ${reloads} reloads`);
    expect(reportFor(last!)?.result).toBe(ApplyResult.APPLY_RESULT_APPLIED);
    expect(reloads).toBeLessThanOrEqual(5);
    await until(async () => (await get(port)).gen === 'S100', 5000, 'traffic on S100');
  });

  it('stops gracefully on the stop signal and resolves the proxy’s exit code', async () => {
    controller.abort(c.driver.stopSignal);
    expect(await done).toBe(0);
    await expect(get(port)).rejects.toThrow();
  });
}
