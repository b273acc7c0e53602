/**
 * Graceful in-place reloads with the real binary: nginx in the foreground with a rendered
 * configuration, reloaded with SIGHUP to the master ten times while a client sends requests on new
 * connections to a small Node backend on 127.0.0.1. A control run with a drain bound too short to
 * finish a request (WorkerShutdownTimeout 1ms) shows that the same loop does see dropped requests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProxyModel } from '@switchyard/proto';
import { renderNginx, type NginxConfig } from '../src/index.js';
import { layOutFiles } from './helpers.js';
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


/** Pids of the processes whose parent is `pid` (the nginx workers of a master), from /proc. */
function childPids(pid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid ...: comm may contain spaces, so parse after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(entry));
    } catch {
      // the process exited while we looked
    }
  }
  return out;
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
  /** Reloads seen done: each starts workers with pids not seen before. */
  reloads: number;
  conf: string;
}

/** Renders, starts nginx, reloads it {@link RELOADS} times under a client loop, stops it. */
async function run(name: string, config: Partial<NginxConfig>): Promise<RunResult> {
  const dir = join(work, name);
  mkdirSync(dir);
  const httpPort = await freePort();
  const model = ProxyModel.fromPartial({
    hosts: [{ host: 'reload.test', routes: [{ path: '/', upstream: 'app' }] }],
    upstreams: [{ name: 'app', endpoints: [{ address: '127.0.0.1', port: backendPort, weight: 1, service: 'app', taskId: 'app1' }], services: ['app'] }],
  });
  // As the traffic suites do: pid and logs in the test's directory; workers run as `user nginx`.
  const result = renderNginx(model, {
    httpPort,
    httpsPort: await freePort(),
    proxyId: 'reload-proxy',
    config: { PidPath: join(dir, 'nginx.pid'), ErrorLogPath: join(dir, 'error.log'), AccessLogPath: 'off', RLimitNoFile: 0, ...config },
  });
  expect(result.diagnostics).toEqual([]);
  const conf = layOutFiles(dir, result.files, '/run/secrets');
  const text = readFileSync(conf, 'utf8');

  let log = '';
  const proc = spawn('nginx', ['-e', 'stderr', '-g', 'daemon off;', '-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  running.add(proc);
  proc.stderr?.on('data', (c: Buffer) => (log += c.toString()));
  const errors = () => `${log}${readFileSync(join(dir, 'error.log'), { encoding: 'utf8', flag: 'a+' })}`;
  try {
    await waitForPort(httpPort, proc, errors, 'nginx');
    const pid = proc.pid ?? 0;
    const seen = new Set<number>();
    const started = Date.now();
    while (seen.size === 0 && Date.now() - started < 10_000) {
      for (const child of childPids(pid)) seen.add(child);
      await sleep(10);
    }
    expect(seen.size).toBeGreaterThan(0);

    const deadline = Date.now() + RUN_DEADLINE_MS;
    let reloadsDone = false;
    let reloads = 0;
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
    // A reload is done when the master has started a worker not seen before; then pause a little.
    for (let i = 0; i < RELOADS && Date.now() < deadline; i++) {
      proc.kill('SIGHUP');
      let fresh = false;
      while (!fresh && Date.now() < deadline) {
        await sleep(10);
        for (const child of childPids(pid)) {
          if (!seen.has(child)) fresh = true;
          seen.add(child);
        }
      }
      if (fresh) reloads++;
      await sleep(200);
    }
    reloadsDone = true;
    await client;
    if (proc.exitCode !== null) throw new Error(`nginx exited during the run: ${errors()}`);
    return { requests, failures, reloads, conf: text };
  } finally {
    await stop(proc);
  }
}

async function stop(proc: ChildProcess): Promise<void> {
  if (proc.exitCode === null && proc.signalCode === null) {
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 5000)))]);
    clearTimeout(timer);
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  }
  running.delete(proc);
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'render-nginx-reload-'));
  chmodSync(work, 0o755);
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

describe('graceful reload of a real nginx (SIGHUP)', () => {
  it('loses no request over ten reloads with the rendered defaults (WorkerShutdownTimeout 5m)', async () => {
    const result = await run('defaults', {});
    expect(result.conf).toContain('\nworker_shutdown_timeout 5m;\n');
    expect(result.reloads).toBe(RELOADS);
    expect(result.requests).toBeGreaterThanOrEqual(MIN_REQUESTS);
    expect(result.failures).toEqual([]);
  });

  it('control: the same loop sees dropped requests when old workers may not drain (WorkerShutdownTimeout 1ms)', async () => {
    const result = await run('short-drain', { WorkerShutdownTimeout: '1ms' });
    expect(result.conf).toContain('\nworker_shutdown_timeout 1ms;\n');
    expect(result.reloads).toBe(RELOADS);
    expect(result.failures.length).toBeGreaterThan(0);
  });
});
