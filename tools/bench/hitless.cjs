#!/usr/bin/env node
// Hitless vs rolling benchmark on the local swarm (needs setup done and images built).
// Deploys Switchyard several times, one installation after the other in the same run, each with the
// proxy attached up front to a fresh app network (`Networks = [...]`) and one warm-up route:
//   hitless  (default config, nginx)          phases 1-5
//   rolling  (HitlessServiceUpdate = false)   phases 1-3
//   haproxy  (default config, ProxyKind = "haproxy", hitless)   phase 5 only (skip: --no-haproxy)
//   bound-*  (--bound=S: WorkerShutdownTimeout / HardStopAfter = S) phase 5 plus a look after the bound
// Phases, each next to a baseline measured in the same run:
//   1. service create -> first 200 through the proxy   (baseline: create -> task running, Docker)
//   2. label change -> new host answers 200            (baseline: `docker service update --detach` returns)
//   3. churn under constant load on route A: 20 services created, relabelled, removed; A scaled
//      1 -> 10 -> 1. Failed requests / total and proxy tasks created (baseline: 0 and 0).
//   4. a burst of 100 label changes on one service -> proxy reloads (baseline: 100, one per change)
//   5. proxy memory and processes after 200 changes with 50 WebSockets open (baseline: the same
//      measurement before the changes, WebSockets open)
//   --swarm-burst=N runs only this, on one hitless nginx installation: N labelled services created at
//      once (8 `docker service create` at a time) -> every one routed, per service and for the last,
//      next to Docker's own time until each task runs (baseline), plus reloads and model versions.
//   --phases=create,relabel runs only the phases named (of the installations that have them).
// Usage: node tools/bench/hitless.cjs [services=20] [--quick] [--no-haproxy] [--bound=20] [--wait-idle] [--phases=...]
//        node tools/bench/hitless.cjs --swarm-burst=200 [--wait-idle]
//   --wait-idle waits (up to 30 min) until no e2e jest run is active; phases any jest run overlaps are named.
// Traffic goes only to 127.0.0.1; every loop is bounded in count and time; everything created is
// removed in `finally` (bench services and networks; tools/swarm/down.sh removes core and what it made).
'use strict';
const { execFile, execFileSync, spawnSync } = require('node:child_process');
const { mkdtempSync, writeFileSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join, resolve } = require('node:path');
const http = require('node:http');
const Docker = require('dockerode');
const WebSocket = require('ws');

const argv = process.argv.slice(2);
const QUICK = argv.includes('--quick');
const NO_HAPROXY = QUICK || argv.includes('--no-haproxy');
const BOUND_S = Number((argv.find((a) => a.startsWith('--bound=')) || '--bound=0').slice(8));
const N = Number(argv.find((a) => /^\d+$/.test(a)) || (QUICK ? 3 : 20));
const ONLY = (argv.find((a) => a.startsWith('--phases=')) || '').slice(9).split(',').filter(Boolean);
const SWARM_BURST = Number((argv.find((a) => a.startsWith('--swarm-burst=')) || '--swarm-burst=0').slice(14));
const P = QUICK
  ? { churn: 5, scaleTo: 3, burst: 20, sockets: 10, changes: 20, paceMs: 300 }
  : { churn: 20, scaleTo: 10, burst: 100, sockets: 50, changes: 200, paceMs: 300 };

const id = `sy-bench-${process.pid}`;
const root = resolve(__dirname, '../..');
const docker = new Docker();
const ECHO = 'switchyard/e2e-echo:latest';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let aborted = false;
process.on('SIGINT', () => {
  aborted = true;
  console.error('\ninterrupted: cleaning up');
});

/** Runs a command; never throws. */
function run(cmd, args, timeoutMs = 120_000) {
  return new Promise((done) => {
    const t0 = Date.now();
    execFile(cmd, args, { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout: String(stdout).trim(), stderr: String(stderr).trim(), ms: Date.now() - t0 });
    });
  });
}
async function must(cmd, args, timeoutMs) {
  const r = await run(cmd, args, timeoutMs);
  if (r.code !== 0) throw new Error(`${cmd} ${args.slice(0, 3).join(' ')} failed: ${r.stderr || r.stdout}`);
  return r;
}

/** GET on 127.0.0.1 with a Host header and a fresh connection; connection errors give status 0. */
function get(port, host, path = '/', timeoutMs = 2000) {
  return new Promise((done) => {
    const req = http.request({ host: '127.0.0.1', port, path, headers: { host }, agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => done({ status: res.statusCode, body }));
      res.on('error', () => done({ status: 0, body }));
    });
    req.on('error', () => done({ status: 0, body: '' }));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

/** Polls `probe` until it returns a truthy value or `timeoutMs` passes; returns that value or undefined. */
async function until(probe, timeoutMs, intervalMs = 50) {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (aborted) throw new Error('interrupted');
    const v = await probe();
    if (v) return v;
    await sleep(intervalMs);
  }
  return undefined;
}

function pct(values, p) {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}
const ms = (v) => (Number.isFinite(v) ? `${Math.round(v)} ms` : 'n/a');
const x = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? `${(a / b).toFixed(2)}x` : 'n/a');

/** One Switchyard installation (core + extension + proxy) with its own names, ports and app network. */
class Installation {
  constructor(tag, { hitless = true, kind = 'nginx', portIndex, config = '' }) {
    Object.assign(this, { tag, hitless, kind, config });
    this.ports = { http: 18190 + portIndex, https: 18490 + portIndex, grpc: 19190 + 2 * portIndex, metrics: 19191 + 2 * portIndex };
    this.prefix = `${id}-${tag}`;
    this.core = `${this.prefix}-core`;
    this.coreNet = `${this.prefix}-core-net`;
    this.appNet = `${this.prefix}-app`;
    this.proxy = `${this.prefix}-proxy`;
    this.cluster = `${this.prefix}`;
    this.services = new Set();
    this.seenProxyTasks = new Set();
    this.watching = false;
    this.notes = [];
  }

  async deploy() {
    this.dir = mkdtempSync(join(tmpdir(), 'switchyard-bench-'));
    await must('docker', ['network', 'create', '--driver', 'overlay', '--attachable', this.appNet]);
    this.netCreated = true;
    const cfg = join(this.dir, 'switchyard.toml');
    writeFileSync(
      cfg,
      [
        'ListenAddr = ":8080"',
        'PollInterval = "3s"',
        `CoreAddress = "${this.core}:8080"`,
        `CoreNetwork = "${this.coreNet}"`,
        '[Extensions.bench]',
        `ProxyKind = "${this.kind}"`,
        `ServiceName = "${this.prefix}-ext"`,
        `ProxyServiceName = "${this.proxy}"`,
        // Its own service cluster: this core routes only the bench's services, and other installations
        // on the same swarm (e2e runs) neither route them nor attach their proxies to the bench's networks.
        `ServiceCluster = "${this.cluster}"`,
        'ProxyReplicas = 1',
        'ProxyStopGracePeriod = "1s"',
        'ProxyUpdateDelay = "0s"',
        'PublishMode = "host"',
        `PublishedPort = ${this.ports.http}`,
        `PublishedSSLPort = ${this.ports.https}`,
        `Networks = ["${this.appNet}"]`,
        ...(this.hitless ? [] : ['HitlessServiceUpdate = false']),
        ...(this.config ? ['[Extensions.bench.Config]', this.config] : []),
        '',
      ].join('\n'),
    );
    this.deployed = true;
    execFileSync('bash', [join(root, 'tools/swarm/up.sh'), cfg, this.core, this.coreNet], {
      env: { ...process.env, SWITCHYARD_CORE_PUBLISH: String(this.ports.grpc), SWITCHYARD_METRICS_PUBLISH: String(this.ports.metrics) },
      stdio: 'ignore',
    });
    const t0 = Date.now();
    await this.echo('warm', { 'com.docker.lb.hosts': 'warm.bench' });
    if (!(await this.until200('warm.bench', 240_000, 200))) throw new Error(`${this.tag}: warm-up route never answered`);
    await this.settle();
    this.watchProxyTasks();
    log(`${this.tag}: deployed, warm-up route served after ${Date.now() - t0} ms`);
  }

  /** Creates an echo service on the app network; returns its name and how long the command took. */
  async echo(suffix, labels, extra = []) {
    const name = `${this.prefix}-${suffix}`;
    this.services.add(name);
    const args = ['service', 'create', '--detach', '--no-resolve-image', '--quiet', '--name', name, '--network', this.appNet, '--env', 'ECHO_TASK={{.Task.Name}}', '--stop-grace-period', '1s', '--label', 'com.docker.lb.port=8080', '--label', `com.docker.lb.service_cluster=${this.cluster}`];
    for (const [k, v] of Object.entries(labels)) args.push('--label', `${k}=${v}`);
    const r = await must('docker', [...args, ...extra, ECHO]);
    return { name, ms: r.ms };
  }

  async rm(names) {
    await run('docker', ['service', 'rm', ...names]);
    for (const n of names) this.services.delete(n);
  }

  get(host, path = '/') {
    return get(this.ports.http, host, path);
  }
  until200(host, timeoutMs, intervalMs = 50) {
    return until(async () => (await this.get(host)).status === 200, timeoutMs, intervalMs);
  }
  untilNot200(host, timeoutMs) {
    return until(async () => (await this.get(host)).status !== 200, timeoutMs, 100);
  }

  async proxyTaskList() {
    return docker.listTasks({ filters: JSON.stringify({ service: [this.proxy] }) }).catch(() => []);
  }
  /** Rows of `docker service ps -q <proxy>` (Swarm keeps at most TaskHistoryRetentionLimit per slot). */
  async psRows() {
    return (await run('docker', ['service', 'ps', '-q', this.proxy])).stdout.split('\n').filter(Boolean).length;
  }
  /** Polls the proxy's task list every 500 ms so replaced tasks are counted past Swarm's history limit. */
  watchProxyTasks() {
    this.watching = true;
    const loop = async () => {
      const end = Date.now() + 3_600_000;
      while (this.watching && Date.now() < end) {
        for (const t of await this.proxyTaskList()) this.seenProxyTasks.add(t.ID);
        await sleep(500);
      }
    };
    this.watcher = loop();
  }
  async stopWatching() {
    this.watching = false;
    await this.watcher;
  }

  /** Waits until the proxy has one running task and no rollout in progress. */
  async settle(timeoutMs = 180_000) {
    const ok = await until(async () => {
      const svc = await docker.getService(this.proxy).inspect().catch(() => undefined);
      if (!svc || (svc.UpdateStatus && svc.UpdateStatus.State === 'updating')) return false;
      const tasks = (await this.proxyTaskList()).filter((t) => t.DesiredState === 'running');
      return tasks.length === 1 && tasks[0].Status.State === 'running';
    }, timeoutMs, 500);
    if (!ok) this.notes.push('proxy did not settle within bound');
    await sleep(1000);
  }

  async proxyContainer() {
    return (await run('docker', ['ps', '-q', '--filter', `label=com.docker.swarm.service.name=${this.proxy}`])).stdout.split('\n')[0];
  }

  async metrics() {
    const res = await get(this.ports.metrics, '127.0.0.1', '/metrics', 5000);
    return res.body;
  }
  /** Sum of a metric's samples for this proxy (lines `name{...proxy="<proxy>"...} value`). */
  async metric(name) {
    let total = 0;
    for (const line of (await this.metrics()).split('\n')) {
      if ((line.startsWith(`${name}{`) || line.startsWith(`${name} `)) && line.includes(`proxy="${this.proxy}"`)) total += Number(line.split(' ').pop());
    }
    return total;
  }

  async teardown() {
    await this.stopWatching();
    if (this.services.size) await run('docker', ['service', 'rm', ...this.services]);
    if (this.deployed) spawnSync('bash', [join(root, 'tools/swarm/down.sh'), this.core, this.coreNet], { stdio: 'ignore' });
    if (this.netCreated) for (let i = 0; i < 15 && (await run('docker', ['network', 'rm', this.appNet])).code !== 0; i++) await sleep(2000);
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Other load on the same swarm (an e2e jest run) makes figures meaningless: phases it overlapped are listed. */
let phase = 'setup';
const overlapped = new Set();
/** '' when no jest runs, else 'e2e' (shares the swarm) or 'unit' (shares the CPU). */
async function otherLoad() {
  const out = (await run('pgrep', ['-af', 'jest'], 5000)).stdout;
  return out === '' ? '' : /e2e/.test(out) ? 'e2e' : 'unit';
}

function log(msg) {
  process.stdout.write(`[${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

/** When Docker says the service's task is running, in ms after t0 (from the task's own status timestamp). */
async function taskRunningAt(name, t0, timeoutMs) {
  let seenAt = NaN;
  const at = await until(async () => {
    const tasks = await docker.listTasks({ filters: JSON.stringify({ service: [name], 'desired-state': ['running'] }) }).catch(() => []);
    const t = tasks.find((k) => k.Status.State === 'running');
    if (t) seenAt = Date.now() - t0;
    return t ? Date.parse(t.Status.Timestamp) : undefined;
  }, timeoutMs, 50);
  // The status timestamp is the worker's; the manager's task list may show the state much later.
  if (Number.isFinite(seenAt) && at !== undefined && seenAt - (at - t0) > 1000) log(`  ${name}: the task list showed it running ${seenAt - (at - t0)} ms after its status timestamp`);
  return at === undefined ? NaN : at - t0;
}

// ---------------------------------------------------------------------------------------------------
// Phase 1: service create -> first 200 through the proxy, next to create -> task running (Docker).
async function phaseCreate(inst) {
  const running = [];
  const routed = [];
  const added = [];
  for (let i = 0; i < N; i++) {
    const host = `s${i}.bench`;
    const t0 = Date.now();
    const { name } = await inst.echo(`s${i}`, { 'com.docker.lb.hosts': host });
    const [tRun, ok] = await Promise.all([taskRunningAt(name, t0, 180_000), inst.until200(host, 180_000)]);
    const tRouted = ok ? Date.now() - t0 : NaN;
    running.push(tRun);
    routed.push(tRouted);
    added.push(tRouted - tRun);
    log(`${inst.tag} create ${host}: task running ${ms(tRun)}, first 200 ${ms(tRouted)}`);
  }
  return { running: running.filter(Number.isFinite), routed: routed.filter(Number.isFinite), added: added.filter(Number.isFinite), failed: routed.filter((v) => !Number.isFinite(v)).length };
}

// Phase 2: label change on a running service -> the new host answers 200.
async function phaseRelabel(inst) {
  const cmd = [];
  const served = [];
  for (let i = 0; i < N; i++) {
    const host = `n${i}.bench`;
    const t0 = Date.now();
    const r = await must('docker', ['service', 'update', '--detach', '--quiet', '--label-add', `com.docker.lb.hosts=${host}`, `${inst.prefix}-s${i}`]);
    const ok = await inst.until200(host, 180_000);
    const t = ok ? Date.now() - t0 : NaN;
    cmd.push(r.ms);
    served.push(t);
    log(`${inst.tag} relabel -> ${host}: command ${r.ms} ms, new host served ${ms(t)}`);
  }
  return { cmd, served: served.filter(Number.isFinite), failed: served.filter((v) => !Number.isFinite(v)).length };
}

/** A bounded request loop on one route, a fresh connection per request, 15 s request timeout. */
class Load {
  constructor(port, host, workers, maxMs) {
    this.total = 0;
    this.statuses = {};
    this.failBuckets = new Set();
    this.stopped = false;
    const end = Date.now() + maxMs;
    const worker = async () => {
      while (!this.stopped && !aborted && Date.now() < end) {
        const res = await get(port, host, '/', 15_000);
        this.total += 1;
        this.statuses[res.status] = (this.statuses[res.status] || 0) + 1;
        if (res.status !== 200) this.failBuckets.add(Math.floor(Date.now() / 100));
        await sleep(20);
      }
    };
    this.done = Promise.all(Array.from({ length: workers }, worker));
  }
  get failed() {
    return this.total - (this.statuses[200] || 0);
  }
  async stop() {
    this.stopped = true;
    await this.done;
  }
}

// Phase 3: churn under load on route A.
async function phaseChurn(inst) {
  const a = await inst.echo('a', { 'com.docker.lb.hosts': 'a.bench' }, [
    '--health-cmd', `node -e "require('http').get('http://127.0.0.1:8080/',r=>process.exit(r.statusCode===200?0:1)).on('error',()=>process.exit(1))"`,
    '--health-interval', '1s', '--health-start-period', '1s', '--health-retries', '2', '--update-order', 'start-first',
  ]);
  if (!(await inst.until200('a.bench', 180_000, 200))) throw new Error(`${inst.tag}: route A never answered`);
  await inst.settle();
  const rowsBefore = await inst.psRows();
  const seenBefore = new Set(inst.seenProxyTasks);
  const step = async (what, p) => {
    if (!(await p)) {
      inst.notes.push(`churn: ${what} not reached within its bound`);
      log(`${inst.tag} churn: ${what} NOT reached within its bound`);
    }
  };
  const t0 = Date.now();
  const load = new Load(inst.ports.http, 'a.bench', 2, 1_800_000);
  const names = [];
  try {
    for (let i = 0; i < P.churn; i += 5) {
      const batch = await Promise.all([0, 1, 2, 3, 4].filter((j) => i + j < P.churn).map((j) => inst.echo(`c${i + j}`, { 'com.docker.lb.hosts': `c${i + j}.bench` })));
      names.push(...batch.map((b) => b.name));
    }
    const last = P.churn - 1;
    await step(`c${last} served`, inst.until200(`c${last}.bench`, 240_000, 200));
    await step('c0 served', inst.until200('c0.bench', 120_000, 200));
    log(`${inst.tag} churn: ${P.churn} services created and served (${Date.now() - t0} ms)`);
    for (let i = 0; i < P.churn; i += 5) {
      await Promise.all(names.slice(i, i + 5).map((n, j) => run('docker', ['service', 'update', '--detach', '--quiet', '--label-add', `com.docker.lb.hosts=r${i + j}.bench`, n])));
    }
    await step(`r${last} served`, inst.until200(`r${last}.bench`, 240_000, 200));
    await step(`c${last} gone`, inst.untilNot200(`c${last}.bench`, 120_000));
    log(`${inst.tag} churn: relabelled (${Date.now() - t0} ms)`);
    for (let i = 0; i < P.churn; i += 5) await inst.rm(names.slice(i, i + 5));
    await step(`r${last} gone`, inst.untilNot200(`r${last}.bench`, 240_000));
    log(`${inst.tag} churn: removed (${Date.now() - t0} ms)`);
    await run('docker', ['service', 'update', '--detach', '--quiet', '--replicas', String(P.scaleTo), a.name]);
    const runningA = async (n) =>
      (await docker.listTasks({ filters: JSON.stringify({ service: [a.name], 'desired-state': ['running'] }) }).catch(() => [])).filter((t) => t.Status.State === 'running').length === n;
    await step(`A at ${P.scaleTo} running tasks`, until(() => runningA(P.scaleTo), 240_000, 500));
    await step(`answers from ${P.scaleTo - 2}+ tasks of A`, until(async () => {
      const seen = new Set();
      for (let i = 0; i < 4 * P.scaleTo; i++) {
        const r = await inst.get('a.bench');
        if (r.status === 200) seen.add(JSON.parse(r.body).task);
      }
      return seen.size >= P.scaleTo - 2;
    }, 240_000, 200));
    log(`${inst.tag} churn: A scaled to ${P.scaleTo} and served by its tasks (${Date.now() - t0} ms)`);
    await run('docker', ['service', 'update', '--detach', '--quiet', '--replicas', '1', a.name]);
    await step('A at 1 running task', until(() => runningA(1), 240_000, 500));
    await sleep(5000);
    log(`${inst.tag} churn: A scaled back to 1 (${Date.now() - t0} ms)`);
  } finally {
    await load.stop();
  }
  await inst.settle(60_000);
  const rowsAfter = await inst.psRows();
  const created = [...inst.seenProxyTasks].filter((t) => !seenBefore.has(t)).length;
  return { total: load.total, failed: load.failed, statuses: load.statuses, failSeconds: load.failBuckets.size / 10, rowsBefore, rowsAfter, created, seconds: (Date.now() - t0) / 1000 };
}

/** Relabels one service through the Engine API (inspect + update with the current version, retried). */
async function relabel(name, host) {
  const svc = docker.getService(name);
  for (let attempt = 0; attempt < 10; attempt++) {
    const info = await svc.inspect();
    const spec = info.Spec;
    spec.Labels = { ...spec.Labels, 'com.docker.lb.hosts': host };
    try {
      await svc.update({ _query: { version: info.Version.Index }, _body: spec });
      return;
    } catch (err) {
      if (!/out of sequence/i.test(String(err.message))) throw err;
    }
  }
  throw new Error(`relabel ${name}: update out of sequence 10 times`);
}

// Phase 4: a burst of label changes on one service -> reloads.
async function phaseBurst(inst) {
  const { name } = await inst.echo('burst', { 'com.docker.lb.hosts': 'b0.bench' });
  if (!(await inst.until200('b0.bench', 180_000, 200))) throw new Error('burst route never answered');
  await sleep(5000);
  const task0 = (await inst.proxyTaskList()).filter((t) => t.DesiredState === 'running').map((t) => t.ID).join();
  const before = { reloads: await inst.metric('switchyard_proxy_replica_reloads'), models: await inst.metric('switchyard_model_applied_seconds_count'), deliveries: await inst.metric('switchyard_deliveries_total') };
  const t0 = Date.now();
  for (let i = 1; i <= P.burst; i++) await relabel(name, `b${i}.bench`);
  const changesMs = Date.now() - t0;
  const ok = await inst.until200(`b${P.burst}.bench`, 120_000);
  const servedMs = Date.now() - t0;
  // Let the replica report its last reload to core.
  let after;
  await until(async () => {
    const r = await inst.metric('switchyard_proxy_replica_reloads');
    const same = after !== undefined && r === after.reloads;
    after = { reloads: r };
    return same;
  }, 30_000, 3000);
  after.models = await inst.metric('switchyard_model_applied_seconds_count');
  after.deliveries = await inst.metric('switchyard_deliveries_total');
  const task1 = (await inst.proxyTaskList()).filter((t) => t.DesiredState === 'running').map((t) => t.ID).join();
  if (task0 !== task1) inst.notes.push('burst: proxy task changed during the burst; reload delta is not meaningful');
  const res = { changes: P.burst, changesMs, servedMs: ok ? servedMs : NaN, reloads: after.reloads - before.reloads, models: after.models - before.models, deliveries: after.deliveries - before.deliveries };
  log(`${inst.tag} burst: ${JSON.stringify(res)}`);
  await inst.rm([name]);
  return res;
}

/**
 * --swarm-burst: SWARM_BURST services created at once. Docker's baseline per service is the time from
 * the start of the burst until its task runs (the task's own status timestamp); Switchyard's is the
 * time until its host first answers 200 through the proxy (hosts polled in turn, one fresh
 * connection each).
 */
async function phaseSwarmBurst(inst) {
  const names = Array.from({ length: SWARM_BURST }, (_, i) => ({ suffix: `sb${i}`, host: `sb${i}.bench` }));
  const before = { reloads: await inst.metric('switchyard_proxy_replica_reloads'), models: await inst.metric('switchyard_model_applied_seconds_count') };
  const t0 = Date.now();
  const queue = [...names];
  const createOne = async () => {
    // dnsrr: no virtual IP per service, so 200 services fit in the app network's /24 (a VIP and a task
    // address each would exhaust it at ~125 services and leave the rest `New` forever).
    for (let next = queue.shift(); next; next = queue.shift()) await inst.echo(next.suffix, { 'com.docker.lb.hosts': next.host }, ['--endpoint-mode', 'dnsrr']);
  };
  const created = Promise.all(Array.from({ length: 8 }, createOne)).then(() => Date.now() - t0);
  // Routed: poll every pending host in turn until all answer 200 (bounded: 15 min).
  const routedAt = new Map();
  const routed = (async () => {
    const end = t0 + 15 * 60_000;
    while (routedAt.size < names.length && Date.now() < end && !aborted) {
      for (const { host } of names) {
        if (routedAt.has(host)) continue;
        if ((await inst.get(host)).status === 200) routedAt.set(host, Date.now() - t0);
      }
      await sleep(50);
    }
  })();
  // Running: Docker's own time for each service's task, from one task list every 500 ms.
  const runningAt = new Map();
  const hosts = new Set(names.map((n) => n.host));
  const running = (async () => {
    const end = t0 + 15 * 60_000;
    while (runningAt.size < names.length && Date.now() < end && !aborted) {
      const services = await docker.listServices({ filters: JSON.stringify({ label: [`com.docker.lb.service_cluster=${inst.cluster}`] }) }).catch(() => []);
      const byId = new Map(services.filter((svc) => hosts.has(svc.Spec.Labels['com.docker.lb.hosts'])).map((svc) => [svc.ID, svc.Spec.Labels['com.docker.lb.hosts']]));
      const tasks = await docker.listTasks({ filters: JSON.stringify({ 'desired-state': ['running'] }) }).catch(() => []);
      for (const t of tasks) {
        const host = byId.get(t.ServiceID);
        if (host && t.Status.State === 'running' && !runningAt.has(host)) runningAt.set(host, Date.parse(t.Status.Timestamp) - t0);
      }
      await sleep(500);
    }
  })();
  const createdMs = await created;
  await Promise.all([routed, running]);
  const after = { reloads: await inst.metric('switchyard_proxy_replica_reloads'), models: await inst.metric('switchyard_model_applied_seconds_count') };
  const added = names.filter(({ host }) => routedAt.has(host) && runningAt.has(host)).map(({ host }) => routedAt.get(host) - runningAt.get(host));
  const res = {
    services: names.length,
    createdMs,
    running: [...runningAt.values()],
    routed: [...routedAt.values()],
    added,
    notRouted: names.length - routedAt.size,
    reloads: after.reloads - before.reloads,
    models: after.models - before.models,
  };
  log(`${inst.tag} swarm burst: ${names.length} services, commands done after ${createdMs} ms, last task running ${ms(Math.max(...res.running))}, last routed ${ms(Math.max(...res.routed))}, not routed ${res.notRouted}`);
  return res;
}

function swarmBurstSummary(b) {
  const last = (v) => (v.length ? Math.max(...v) : NaN);
  const rows = [
    ['', 'p50', 'p99', 'last'],
    ['burst start -> task running (Docker, baseline)', ms(pct(b.running, 50)), ms(pct(b.running, 99)), ms(last(b.running))],
    ['burst start -> first 200 through the proxy', ms(pct(b.routed, 50)), ms(pct(b.routed, 99)), ms(last(b.routed))],
    ['added by Switchyard (200 - running, per service)', ms(pct(b.added, 50)), ms(pct(b.added, 99)), ms(last(b.added))],
    ['ratio first 200 / task running', x(pct(b.routed, 50), pct(b.running, 50)), x(pct(b.routed, 99), pct(b.running, 99)), x(last(b.routed), last(b.running))],
  ];
  return [
    `\n=== ${b.services} services created in one burst (hitless nginx; single-node swarm, loopback) ===`,
    table(rows),
    `create commands (8 at a time) done after ${ms(b.createdMs)}; not routed within 15 min: ${b.notRouted}`,
    `proxy reloads during the burst: ${b.reloads}; model versions applied: ${b.models}`,
  ].join('\n');
}

/** A WebSocket through the proxy that sends one message every `everyMs` (bounded by `maxMs`). */
class Socket {
  constructor(port, host, everyMs, maxMs) {
    this.sent = 0;
    this.echoed = 0;
    this.closed = undefined;
    this.ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, { headers: { host }, handshakeTimeout: 10_000, perMessageDeflate: false });
    let hello = false;
    this.opened = new Promise((ok, fail) => {
      this.ws.once('error', fail);
      this.ws.on('message', (data) => {
        if (!hello) {
          hello = true;
          ok();
          const end = Date.now() + maxMs;
          this.timer = setInterval(() => {
            if (Date.now() > end) return clearInterval(this.timer);
            if (this.ws.readyState !== WebSocket.OPEN) return;
            this.sent += 1;
            this.ws.send(`ping ${this.sent}`);
          }, everyMs);
          return;
        }
        if (String(data) === `ping ${this.echoed + 1}`) this.echoed += 1;
      });
    });
    this.opened.catch(() => undefined);
    this.ws.on('close', (code) => {
      this.closed ??= `closed ${code}`;
      clearInterval(this.timer);
    });
    this.ws.on('error', (err) => (this.closed ??= `error ${err.message}`));
  }
  get open() {
    return this.closed === undefined && this.ws.readyState === WebSocket.OPEN;
  }
  close() {
    clearInterval(this.timer);
    this.ws.terminate();
  }
}

/** Sum of VmRSS (KiB) and count of the proxy container's processes (the exec'd sh and cat excluded). */
async function containerMemory(inst) {
  const ctr = await inst.proxyContainer();
  const r = await run('docker', ['exec', ctr, 'sh', '-c', 'cat /proc/[0-9]*/status 2>/dev/null; true'], 20_000);
  let rss = 0;
  let procs = 0;
  const byName = {};
  for (const block of r.stdout.split(/\n(?=Name:)/)) {
    const nameMatch = /^Name:\s+(\S+)/m.exec(block);
    if (!nameMatch || nameMatch[1] === 'sh' || nameMatch[1] === 'cat') continue;
    const kb = Number((/^VmRSS:\s+(\d+)/m.exec(block) || [0, 0])[1]);
    procs += 1;
    rss += kb;
    byName[nameMatch[1]] = (byName[nameMatch[1]] || 0) + 1;
  }
  return { ctr, rssKiB: rss, procs, byName, draining: await inst.metric('switchyard_proxy_replica_draining') };
}

/** Sends one more message on each open socket and counts the sockets that echo it within 5 s. */
async function answering(sockets) {
  const results = await Promise.all(
    sockets.map(
      (s) =>
        new Promise((done) => {
          if (!s.open) return done(false);
          const want = s.echoed + 1;
          const end = Date.now() + 5000;
          s.sent += 1;
          s.ws.send(`ping ${s.sent}`);
          const t = setInterval(() => {
            if (s.echoed >= want || Date.now() > end) {
              clearInterval(t);
              done(s.echoed >= want);
            }
          }, 50);
        }),
    ),
  );
  return results.filter(Boolean).length;
}

// Phase 5: proxy memory after many changes with WebSockets open.
async function phaseMemory(inst, boundS) {
  await inst.echo('ws', { 'com.docker.lb.hosts': 'ws.bench', 'com.docker.lb.websocket_endpoints': '/ws' });
  const m = await inst.echo('m', { 'com.docker.lb.hosts': 'm0.bench' });
  if (!(await inst.until200('ws.bench', 180_000, 200)) || !(await inst.until200('m0.bench', 180_000, 200))) throw new Error('memory routes never answered');
  await inst.settle(60_000);
  const sockets = [];
  try {
    for (let i = 0; i < P.sockets; i++) sockets.push(new Socket(inst.ports.http, 'ws.bench', 3000, 20 * 60_000));
    const opened = (await Promise.allSettled(sockets.map((s) => s.opened))).filter((r) => r.status === 'fulfilled').length;
    await sleep(5000);
    const before = { ...(await containerMemory(inst)), open: sockets.filter((s) => s.open).length, opened };
    const reloads0 = await inst.metric('switchyard_proxy_replica_reloads');
    log(`${inst.tag} memory before: ${JSON.stringify(before)}`);
    const t0 = Date.now();
    for (let i = 1; i <= P.changes; i++) {
      await relabel(m.name, `m${i}.bench`);
      const wait = t0 + i * P.paceMs - Date.now();
      if (wait > 0) await sleep(wait);
    }
    const changesMs = Date.now() - t0;
    const served = await inst.until200(`m${P.changes}.bench`, 120_000);
    await sleep(5000);
    const reloads = (await inst.metric('switchyard_proxy_replica_reloads')) - reloads0;
    const after = { ...(await containerMemory(inst)), open: sockets.filter((s) => s.open).length, answering: await answering(sockets) };
    log(`${inst.tag} memory after ${P.changes} changes in ${changesMs} ms (${reloads} reloads, last served ${served ? 'yes' : 'NO'}): ${JSON.stringify(after)}`);
    let bound;
    if (boundS) {
      await sleep((boundS + 10) * 1000);
      bound = { ...(await containerMemory(inst)), open: sockets.filter((s) => s.open).length, answering: await answering(sockets) };
      log(`${inst.tag} memory ${boundS + 10} s later (bound ${boundS} s): ${JSON.stringify(bound)}`);
    }
    return { sockets: P.sockets, changes: P.changes, changesMs, reloads, before, after, bound, boundS };
  } finally {
    for (const s of sockets) s.close();
  }
}

// ---------------------------------------------------------------------------------------------------
function table(rows) {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => String(r[c]).length)));
  return rows.map((r) => r.map((v, c) => (c === 0 ? String(v).padEnd(widths[c]) : String(v).padStart(widths[c]))).join('  ')).join('\n');
}

function summary(res) {
  const out = [];
  const h = res.hitless || {};
  const r = res.rolling || {};
  out.push(`\n=== Switchyard hitless vs rolling (${N} services${QUICK ? ', --quick' : ''}; nginx; 2 cores, single-node swarm, loopback) ===`);
  if (h.create || r.create) {
    const rows = [['1. service create ->', 'hitless p50', 'p99', 'rolling p50', 'p99']];
    const c = (o, k, p) => (o.create ? ms(pct(o.create[k], p)) : '-');
    rows.push(['task running (Docker, baseline)', c(h, 'running', 50), c(h, 'running', 99), c(r, 'running', 50), c(r, 'running', 99)]);
    rows.push(['first 200 through the proxy', c(h, 'routed', 50), c(h, 'routed', 99), c(r, 'routed', 50), c(r, 'routed', 99)]);
    rows.push(['added by Switchyard (200 - running)', c(h, 'added', 50), c(h, 'added', 99), c(r, 'added', 50), c(r, 'added', 99)]);
    const rr = (o, p) => (o.create ? x(pct(o.create.routed, p), pct(o.create.running, p)) : '-');
    rows.push(['ratio first 200 / task running', rr(h, 50), rr(h, 99), rr(r, 50), rr(r, 99)]);
    out.push(table(rows));
    out.push('   goal: added p50 <= 300 ms, p99 <= 1000 ms; absolute first 200 p50 <= 1500 ms');
    for (const [k, o] of [['hitless', h], ['rolling', r]]) if (o.create?.failed) out.push(`   ${k}: ${o.create.failed} services never answered within 180 s`);
  }
  if (h.relabel || r.relabel) {
    const rows = [['2. label change ->', 'hitless p50', 'p99', 'rolling p50', 'p99']];
    const c = (o, k, p) => (o.relabel ? ms(pct(o.relabel[k], p)) : '-');
    rows.push(['`service update --detach` returns (baseline)', c(h, 'cmd', 50), c(h, 'cmd', 99), c(r, 'cmd', 50), c(r, 'cmd', 99)]);
    rows.push(['new host answers 200', c(h, 'served', 50), c(h, 'served', 99), c(r, 'served', 50), c(r, 'served', 99)]);
    const rr = (o, p) => (o.relabel ? x(pct(o.relabel.served, p), pct(o.relabel.cmd, p)) : '-');
    rows.push(['ratio served / command', rr(h, 50), rr(h, 99), rr(r, 50), rr(r, 99)]);
    out.push('\n' + table(rows));
  }
  if (h.churn || r.churn) {
    const rows = [['3. churn under load on A', 'hitless', 'rolling', 'baseline']];
    const f = (o) => (o.churn ? `${o.churn.failed} / ${o.churn.total}` : '-');
    const fr = (o) => (o.churn ? `${((100 * o.churn.failed) / Math.max(1, o.churn.total)).toFixed(2)} %` : '-');
    rows.push(['failed requests / total', f(h), f(r), '0']);
    rows.push(['failed share', fr(h), fr(r), '0 %']);
    rows.push(['time with failures (100 ms buckets)', h.churn ? `${h.churn.failSeconds} s` : '-', r.churn ? `${r.churn.failSeconds} s` : '-', '0 s']);
    rows.push(['statuses', h.churn ? JSON.stringify(h.churn.statuses) : '-', r.churn ? JSON.stringify(r.churn.statuses) : '-', '']);
    rows.push(['proxy tasks created (seen by polling)', h.churn ? h.churn.created : '-', r.churn ? r.churn.created : '-', '0']);
    rows.push(['`docker service ps -q` rows before -> after', h.churn ? `${h.churn.rowsBefore} -> ${h.churn.rowsAfter}` : '-', r.churn ? `${r.churn.rowsBefore} -> ${r.churn.rowsAfter}` : '-', '']);
    rows.push(['churn duration', h.churn ? `${h.churn.seconds.toFixed(0)} s` : '-', r.churn ? `${r.churn.seconds.toFixed(0)} s` : '-', '']);
    out.push('\n' + table(rows));
    out.push(`   (${P.churn} services created, relabelled, removed 5 at a time; A scaled 1 -> ${P.scaleTo} -> 1; 2 request loops, new connection each, 15 s timeout;`);
    out.push('    `docker service ps` keeps at most TaskHistoryRetentionLimit (5 here) tasks per slot, so its row count saturates)');
  }
  if (h.burst) {
    const b = h.burst;
    out.push('\n' + table([
      ['4. burst of label changes (hitless)', 'value', 'baseline', 'ratio'],
      [`reloads for ${b.changes} changes`, b.reloads, b.changes, x(b.reloads, b.changes)],
      ['models applied (core versions)', b.models, b.changes, x(b.models, b.changes)],
      ['deliveries (extension submissions)', b.deliveries, b.changes, x(b.deliveries, b.changes)],
      [`${b.changes} changes took`, ms(b.changesMs), '', ''],
      ['last change served after (from first)', ms(b.servedMs), '', ''],
    ]));
  }
  for (const [k, mem] of Object.entries(res.memory || {})) {
    const rows = [[`5. ${k}: memory, ${mem.sockets} WS open`, 'before', `after ${mem.changes} changes`, 'ratio', ...(mem.bound ? [`${mem.boundS + 10} s later`, 'ratio'] : [])]];
    const line = (label, f, showRatio = true) => {
      const row = [label, f(mem.before), f(mem.after), showRatio ? x(f(mem.after), f(mem.before)) : ''];
      if (mem.bound) row.push(f(mem.bound), showRatio ? x(f(mem.bound), f(mem.before)) : '');
      return row;
    };
    rows.push(line('container RSS (MiB, sum of VmRSS)', (o) => Number((o.rssKiB / 1024).toFixed(1))));
    rows.push(line('processes', (o) => o.procs));
    rows.push(line('draining (core metric)', (o) => o.draining, false));
    rows.push(line('WebSockets open', (o) => o.open, false));
    rows.push(line('WebSockets answering a ping', (o) => (o.answering ?? o.open), false));
    rows.push(line('processes by name', (o) => Object.entries(o.byName).map(([n, c]) => `${n}:${c}`).join(' '), false));
    out.push('\n' + table(rows));
    out.push(`   ${mem.changes} relabels of another service paced every ${P.paceMs} ms took ${ms(mem.changesMs)} and gave ${mem.reloads} reloads`);
  }
  for (const [k, notes] of Object.entries(res.notes || {})) for (const n of notes) out.push(`   note (${k}): ${n}`);
  return out.join('\n');
}

async function main() {
  const res = { memory: {}, notes: {} };
  const plan = SWARM_BURST
    ? [{ tag: 'swarmburst', opts: { hitless: true, portIndex: 5 }, phases: ['swarmburst'] }]
    : [
        { tag: 'hitless', opts: { hitless: true, portIndex: 0 }, phases: ['create', 'relabel', 'churn', 'burst', 'memory'] },
        { tag: 'rolling', opts: { hitless: false, portIndex: 1 }, phases: ['create', 'relabel', 'churn'] },
      ];
  if (!NO_HAPROXY && !SWARM_BURST) plan.push({ tag: 'haproxy', opts: { kind: 'haproxy', portIndex: 2 }, phases: ['memory'] });
  if (BOUND_S && !SWARM_BURST) {
    plan.push({ tag: 'bound-nginx', opts: { portIndex: 3, config: `WorkerShutdownTimeout = "${BOUND_S}s"` }, phases: ['memory'], boundS: BOUND_S });
    if (!NO_HAPROXY) plan.push({ tag: 'bound-haproxy', opts: { kind: 'haproxy', portIndex: 4, config: `HardStopAfter = "${BOUND_S}s"` }, phases: ['memory'], boundS: BOUND_S });
  }
  if (argv.includes('--wait-idle')) {
    if (!(await until(async () => (await otherLoad()) !== 'e2e', 30 * 60_000, 15_000))) throw new Error('a jest run kept running for 30 min');
  }
  const sampler = setInterval(() => otherLoad().then((busy) => busy && overlapped.add(`${phase}: ${busy} jest`)), 2000);
  const started = Date.now();
  if (ONLY.length) for (const step of plan) step.phases = step.phases.filter((p) => ONLY.includes(p));
  for (const step of plan.filter((p) => p.phases.length)) {
    if (aborted) break;
    const inst = new Installation(step.tag, step.opts);
    try {
      phase = `${step.tag} deploy`;
      await inst.deploy();
      const r = (res[step.tag] ??= {});
      const at = (name) => (phase = `${step.tag} ${name}`);
      if (step.phases.includes('create') && at('create')) r.create = await phaseCreate(inst);
      if (step.phases.includes('relabel') && at('relabel')) r.relabel = await phaseRelabel(inst);
      if (step.phases.includes('churn') && at('churn')) {
        // The phase 1/2 services go first (one removal), so churn runs with route A and 20 others only.
        await inst.rm([...inst.services].filter((s) => /-s\d+$/.test(s)));
        await inst.settle();
        r.churn = await phaseChurn(inst);
      }
      if (step.phases.includes('burst') && at('burst')) r.burst = await phaseBurst(inst);
      if (step.phases.includes('swarmburst') && at('swarm burst')) r.swarmBurst = await phaseSwarmBurst(inst);
      if (step.phases.includes('memory') && at('memory')) res.memory[`${inst.tag} (${inst.kind}${step.boundS ? `, bound ${step.boundS} s` : ', default 5m bound'})`] = await phaseMemory(inst, step.boundS);
    } catch (err) {
      inst.notes.push(`aborted: ${err.message}`);
      log(`${inst.tag}: ${err.message}`);
    } finally {
      log(`${inst.tag}: removing`);
      await inst.teardown();
      if (inst.notes.length) res.notes[inst.tag] = inst.notes;
    }
  }
  clearInterval(sampler);
  for (const p of overlapped) (res.notes.load ??= []).push(`other load during ${p} (e2e shares the swarm and CPU, unit tests the CPU)`);
  console.log(SWARM_BURST ? (res.swarmburst?.swarmBurst ? swarmBurstSummary(res.swarmburst.swarmBurst) : '') + Object.entries(res.notes).flatMap(([k, n]) => n.map((v) => `\n   note (${k}): ${v}`)).join('') : summary(res));
  console.log(`\n(total ${((Date.now() - started) / 60000).toFixed(1)} min)`);
}

main().catch((err) => {
  console.error(`bench failed: ${err.message}`);
  process.exitCode = 1;
});
