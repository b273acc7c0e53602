/**
 * Graceful in-place reloads with the real binary: HAProxy in master-worker mode (`-W -db`, as in the
 * proxy image) with a rendered configuration, reloaded with SIGUSR2 ten times while a client sends
 * requests on new connections to a small Node backend on 127.0.0.1. (nginx's reload test has a
 * control run showing the loop sees dropped requests; here a 1 ms HardStopAfter did not drop
 * requests reliably on a loaded machine, so that control is not kept.)
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BackendMode, ProxyModel } from '@switchyard/proto';
import { renderHaproxy } from '../src/index.js';
import type { HaproxyConfig } from '../src/index.js';
import { freePort } from '../../../tools/testing/free-port.js';
import { waitForPort } from '../../../tools/testing/net.js';

jest.setTimeout(90_000);

/** Reloads per run, and the least number of requests a run sends (in all). */
const RELOADS = 10;
const MIN_REQUESTS = 300;
/** Client loops, each sending one request at a time, every one on a new connection. */
const CLIENTS = 4;
/** A request takes at least this long at the backend, so one is nearly always in flight during a reload. */
const BACKEND_DELAY_MS = 10;
/** Hard bound of one run (client loop and reloads). */
const RUN_DEADLINE_MS = 40_000;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

let work: string;
let backend: http.Server;
let backendPort: number;
const running = new Set<ChildProcess>();

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port));
  });
}


/** One GET on a new connection; resolves to undefined on success, else to what went wrong. */
function attempt(port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/', headers: { host: 'reload.test' }, agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve(res.statusCode === 200 && body === 'ok' ? undefined : `status ${res.statusCode}: ${body.slice(0, 80)}`));
      res.on('error', (e) => resolve(`response: ${e.message}`));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => resolve(`request: ${e.message}`));
    req.end();
  });
}

interface RunResult {
  requests: number;
  failures: string[];
  /** Reloads HAProxy reported as done ("Loading success." after the first start). */
  reloads: number;
  log: string;
}

/** Renders, starts HAProxy, reloads it {@link RELOADS} times under a client loop, stops it. */
async function run(name: string, config: Partial<HaproxyConfig>): Promise<RunResult> {
  const dir = join(work, name);
  mkdirSync(join(dir, 'switchyard.d'), { recursive: true });
  const httpPort = await freePort();
  const model = ProxyModel.fromPartial({
    hosts: [{ host: 'reload.test', routes: [{ path: '/', upstream: 'app' }] }],
    upstreams: [
      {
        name: 'app',
        endpoints: [{ address: '127.0.0.1', port: backendPort, weight: 1, service: 'app', taskId: 'app1' }],
        mode: BackendMode.BACKEND_MODE_TASK,
        services: ['app'],
      },
    ],
  });
  const { files, diagnostics } = renderHaproxy(model, {
    httpPort,
    httpsPort: await freePort(),
    proxyId: 'reload-proxy',
    config: { PidPath: join(dir, 'haproxy.pid'), AdminSocketPath: join(dir, 'admin.sock'), ConnectTimeout: 5, ClientTimeout: 30, ServerTimeout: 30, ...config },
  });
  expect(diagnostics).toEqual([]);
  expect(files.map((f) => f.path)).toEqual(['haproxy.cfg']);
  const cfg = join(dir, 'haproxy.cfg');
  writeFileSync(cfg, files[0]!.content);

  let log = '';
  const proc = spawn('haproxy', ['-W', '-db', '-f', cfg, '-f', join(dir, 'switchyard.d')], { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(proc);
  proc.stdout?.on('data', (c: Buffer) => (log += c.toString()));
  proc.stderr?.on('data', (c: Buffer) => (log += c.toString()));
  const loaded = () => (log.match(/Loading success\./g) ?? []).length;
  try {
    await waitForPort(httpPort, proc, () => log, 'haproxy');
    const started = Date.now();
    while (loaded() < 1 && Date.now() - started < 10_000) await sleep(10);
    expect(loaded()).toBe(1);

    const deadline = Date.now() + RUN_DEADLINE_MS;
    let reloadsDone = false;
    const failures: string[] = [];
    let requests = 0;
    const loop = async () => {
      while ((requests < MIN_REQUESTS || !reloadsDone) && Date.now() < deadline) {
        const problem = await attempt(httpPort);
        requests++;
        if (problem !== undefined) failures.push(problem);
      }
    };
    const client = Promise.all(Array.from({ length: CLIENTS }, loop));
    // The master ignores a SIGUSR2 that arrives while it is still settling after the previous
    // reload: wait for each reload to be reported (re-signalling once a second), then pause.
    for (let i = 0; i < RELOADS && Date.now() < deadline; i++) {
      const before = loaded();
      let signalled = 0;
      while (loaded() === before && Date.now() < deadline) {
        if (Date.now() - signalled >= 1000) {
          proc.kill('SIGUSR2');
          signalled = Date.now();
        }
        await sleep(10);
      }
      await sleep(200);
    }
    reloadsDone = true;
    await client;
    return { requests, failures, reloads: loaded() - 1, log };
  } finally {
    await stop(proc);
  }
}

async function stop(proc: ChildProcess): Promise<void> {
  if (proc.exitCode === null && proc.signalCode === null) {
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 3000)))]);
    clearTimeout(timer);
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  }
  running.delete(proc);
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'sy-haproxy-reload-'));
  backend = http.createServer((_req, res) => setTimeout(() => res.end('ok'), BACKEND_DELAY_MS));
  backendPort = await listen(backend);
});

afterAll(async () => {
  await Promise.all([...running].map(stop));
  await new Promise<void>((resolve) => {
    backend.close(() => resolve());
    backend.closeAllConnections();
  });
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('graceful reload of a real HAProxy (master-worker, SIGUSR2)', () => {
  it('loses no request over ten reloads with the rendered defaults (HardStopAfter 5m)', async () => {
    const result = await run('defaults', {});
    expect(result.reloads).toBe(RELOADS);
    expect(result.requests).toBeGreaterThanOrEqual(MIN_REQUESTS);
    expect(result.failures).toEqual([]);
  });
});
