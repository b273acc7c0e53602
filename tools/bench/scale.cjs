#!/usr/bin/env node
// Scale benchmark: 10,000 labelled services / 30,000 tasks in the in-memory Docker engine
// (FakeDockerPort of @switchyard/reconciler/testing), through what core and the extension do on a change:
//   resync   one SnapshotWatcher round (the Docker list calls, toSnapshot, digest)
//   model    buildModel (labels + model)
//   render   renderNginx and renderHaproxy with their default options (files split above 400,000 bytes)
// Each step is timed (median of --rounds) next to the same step for a 1,000-service swarm built in the
// same run (the baseline; 10.00x would be linear). Also prints: the Docker list calls per round, the
// process RSS after the large round (this process does core's and the extension's work; the fake
// engine's own state is measured separately), the size of every rendered file against Docker's 500 KiB
// limit on a Config (512,000 bytes: swarmkit's MaxConfigSize), the RSS of a process doing only core's
// part (a child, --core-process, measured after full GCs), and whether the real `nginx -t` and
// `haproxy -c` accept the rendered files. Goal of the issue: render of 1,000 services <= 50 ms per proxy.
// The mix: every service a host; every 5th a context root, every 7th a sticky cookie, every 10th
// (i % 10 = 3) TLS terminated with its own certificate secret, every 10th (i % 10 = 7) SNI passthrough.
// Usage: node tools/bench/scale.cjs [services=10000] [--baseline=1000] [--tasks=3] [--rounds=3] [--no-check]
// Needs the packages built (npx nx run-many -t build). No Docker, no network.
'use strict';
const { performance } = require('node:perf_hooks');
const { spawnSync, execFileSync } = require('node:child_process');
const { mkdtempSync, mkdirSync, writeFileSync, rmSync, openSync, closeSync, readFileSync, copyFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join, dirname } = require('node:path');
const { SnapshotWatcher, LIST_CALLS_PER_ROUND } = require('@switchyard/reconciler');
const { FakeDockerPort } = require('@switchyard/reconciler/testing');
const { buildModel } = require('@switchyard/model');
const { renderNginx } = require('@switchyard/render-nginx');
const { renderHaproxy } = require('@switchyard/render-haproxy');

const argv = process.argv.slice(2);
const opt = (name, def) => {
  const a = argv.find((s) => s.startsWith(`--${name}=`));
  return a === undefined ? def : Number(a.slice(name.length + 3));
};
const SERVICES = Number(argv.find((a) => /^\d+$/.test(a)) || 10_000);
const BASELINE = opt('baseline', 1000);
const TASKS = opt('tasks', 3);
const ROUNDS = opt('rounds', 3);
const CHECK = !argv.includes('--no-check');
const DOCKER_CONFIG_LIMIT = 500 * 1024;
const PORTS = { httpPort: 80, httpsPort: 443 };
const silent = { debug() {}, info() {}, warn() {}, error() {} };

/** A fake swarm of `n` labelled services with `TASKS` running tasks each, on 10 overlay networks. */
function populate(n) {
  const fake = new FakeDockerPort({ now: () => 1_700_000_000_000 });
  const nets = [];
  for (let k = 0; k < 10; k++) nets.push(fake.addNetwork({ Id: `net${k}`, Name: `app-net-${k}` }));
  const at = new Date(1_700_000_000_000).toISOString();
  for (let i = 0; i < n; i++) {
    const net = nets[i % 10];
    const labels = { 'com.docker.lb.hosts': `app${i}.example.com`, 'com.docker.lb.port': '8080' };
    if (i % 5 === 0) labels['com.docker.lb.context_root'] = `/api${i}`;
    if (i % 7 === 0) labels['com.docker.lb.sticky_session_cookie'] = 'session';
    if (i % 10 === 3) {
      labels['com.docker.lb.ssl_cert'] = `cert${i}`;
      labels['com.docker.lb.ssl_key'] = `cert${i}.key`;
      fake.secrets.push({ ID: `sec${i}c`, Spec: { Name: `cert${i}`, Labels: {} }, CreatedAt: at });
      fake.secrets.push({ ID: `sec${i}k`, Spec: { Name: `cert${i}.key`, Labels: {} }, CreatedAt: at });
    }
    if (i % 10 === 7) {
      labels['com.docker.lb.ssl_passthrough'] = 'true';
      labels['com.docker.lb.port'] = '8443';
    }
    const id = `svc${i}`;
    fake.services.push({
      ID: id,
      Version: { Index: i + 1 },
      CreatedAt: new Date(1_600_000_000_000 + i * 1000).toISOString(),
      UpdatedAt: at,
      Spec: { Name: `app${i}`, Labels: labels, TaskTemplate: { Networks: [{ Target: net }] } },
      Endpoint: { VirtualIPs: [] },
    });
    for (let t = 0; t < TASKS; t++) {
      fake.tasks.push({
        ID: `task${i}-${t}`,
        ServiceID: id,
        NodeID: 'node-1',
        Slot: t + 1,
        DesiredState: 'running',
        Status: { State: 'running', Timestamp: at },
        NetworksAttachments: [{ Network: { ID: net }, Addresses: [`10.${(i >> 8) & 255}.${i & 255}.${t + 2}/16`] }],
      });
    }
  }
  return fake;
}

/** One full resync: a SnapshotWatcher's first round (list calls, toSnapshot, digest) until it emits. */
async function resync(fake) {
  const watcher = new SnapshotWatcher({ docker: fake, logger: silent, resyncIntervalMs: 3_600_000 });
  const first = new Promise((resolve) => watcher.onSnapshot((snapshot) => resolve(snapshot)));
  fake.resetCalls();
  const t0 = performance.now();
  watcher.start();
  const snapshot = await first;
  const ms = performance.now() - t0;
  const listCalls = fake.listCallCount;
  await watcher.stop();
  return { snapshot, ms, listCalls };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
async function timed(fn) {
  const times = [];
  let result;
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = performance.now();
    result = await fn();
    times.push(performance.now() - t0);
  }
  return { ms: median(times), result };
}

const modelOptions = { serviceCluster: '', secretPolicy: 'any' };

/** Every step for a swarm of `n` services. */
async function measure(n) {
  const fake = populate(n);
  const sync = [];
  let snap;
  for (let r = 0; r < ROUNDS; r++) {
    const res = await resync(fake);
    sync.push(res.ms);
    snap = res;
  }
  const model = await timed(() => buildModel(snap.snapshot, modelOptions));
  const nginx = await timed(() => renderNginx(model.result, PORTS));
  const haproxy = await timed(() => renderHaproxy(model.result, PORTS));
  return { n, fake, snapshot: snap.snapshot, listCalls: snap.listCalls, resyncMs: median(sync), model, nginx, haproxy };
}

const rss = () => process.memoryUsage().rss;
const mib = (b) => `${(b / 1024 / 1024).toFixed(1)} MiB`;

/** Lays the files out and runs the real proxy's check; the certificates named are one self-signed pair copied. */
function check(kind, files, pem) {
  const dir = mkdtempSync(join(tmpdir(), `switchyard-scale-${kind}-`));
  try {
    const secrets = join(dir, 'secrets');
    mkdirSync(secrets);
    for (const f of files) {
      mkdirSync(dirname(join(dir, 'conf', f.path)), { recursive: true });
      writeFileSync(join(dir, 'conf', f.path), f.content);
    }
    const names = new Set();
    for (const f of files) for (const m of f.content.matchAll(/\/run\/secrets\/([A-Za-z0-9._-]+?\.pem)(?:\.key)?\b/g)) names.add(m[1]);
    for (const name of names) {
      copyFileSync(pem.cert, join(secrets, name));
      copyFileSync(pem.key, join(secrets, `${name}.key`));
    }
    // Point the certificate paths at the copies (the rendered /run/secrets does not exist here).
    for (const f of files) writeFileSync(join(dir, 'conf', f.path), f.content.replaceAll('/run/secrets/', `${secrets}/`));
    const log = join(dir, 'check.log');
    const fd = openSync(log, 'w');
    const t0 = performance.now();
    let status;
    try {
      const args =
        kind === 'nginx'
          ? ['-t', '-q', '-c', join(dir, 'conf', 'nginx.conf')]
          : ['-dW', '-c', '-f', join(dir, 'conf', 'haproxy.cfg'), ...(files.some((f) => f.path.endsWith('.cfg') && f.path.startsWith('switchyard.d/')) ? ['-f', join(dir, 'conf', 'switchyard.d')] : [])];
      // nginx opens /dev/stdout itself (the default log paths): give it a file, not a pipe.
      status = spawnSync(kind, args, { stdio: ['ignore', fd, fd], cwd: dir, timeout: 120_000 }).status;
    } finally {
      closeSync(fd);
    }
    return { ok: status === 0, ms: performance.now() - t0, certs: names.size, output: readFileSync(log, 'utf8').trim().split('\n').slice(-5).join('\n') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function selfSigned() {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-scale-pki-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-subj', '/CN=scale.bench', '-days', '2'], { stdio: 'ignore' });
  return { dir, cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') };
}

function sizes(label, result) {
  const rows = result.files.map((f) => ({ path: f.path, bytes: Buffer.byteLength(f.content) }));
  const total = rows.reduce((n, r) => n + r.bytes, 0);
  const largest = rows.reduce((a, b) => (b.bytes > a.bytes ? b : a));
  const over = rows.filter((r) => r.bytes > DOCKER_CONFIG_LIMIT);
  console.log(`  ${label}: ${rows.length} file(s), ${total.toLocaleString('en-US')} bytes in all; largest ${largest.path} ${largest.bytes.toLocaleString('en-US')} bytes`);
  for (const r of rows) if (rows.length <= 6 || r.bytes > 300_000 || !/part-\d+\.cfg$|part-\d+\.conf$/.test(r.path)) console.log(`    ${r.path.padEnd(40)} ${r.bytes.toLocaleString('en-US').padStart(11)} bytes${r.bytes > DOCKER_CONFIG_LIMIT ? '  OVER 500 KiB' : ''}`);
  const errors = result.diagnostics.filter((d) => String(d.severity).includes('ERROR'));
  console.log(`    over Docker's 500 KiB Config limit: ${over.length === 0 ? 'none' : over.map((r) => r.path).join(', ')}${errors.length ? `; ${errors.length} error diagnostic(s): ${errors[0].message}` : ''}`);
  const stream = label === 'nginx' ? /\nstream \{[\s\S]*?\n\}\n/.exec(result.files[0].content) : undefined;
  if (stream) console.log(`    (nginx.conf's stream section: ${Buffer.byteLength(stream[0]).toLocaleString('en-US')} bytes; above maxFileBytes its blocks and map lines move to switchyard.d/stream/)`);
}

/**
 * `--core-process` (run by main in a child with --expose-gc): what a core process holds at SERVICES
 * services, apart from the engine. It keeps what core keeps between rounds (the last snapshot, the
 * model, and the files an extension submitted, both proxies' here) and prints RSS as JSON: at start
 * (runtime and modules), once the fake engine is populated, and after the rounds, each after a full GC.
 */
async function coreProcess() {
  const settle = () => {
    global.gc();
    global.gc();
    return rss();
  };
  // The libraries a core process loads besides the ones above, so the start figure is a core's.
  for (const m of ['dockerode', '@switchyard/proto/client', 'winston', 'prom-client', 'smol-toml']) require(m);
  const start = settle();
  const fake = populate(SERVICES);
  const populated = settle();
  let snapshot;
  for (let r = 0; r < ROUNDS; r++) snapshot = (await resync(fake)).snapshot;
  const model = buildModel(snapshot, modelOptions);
  const submitted = [renderNginx(model, PORTS).files, renderHaproxy(model, PORTS).files];
  const after = settle();
  const held = [snapshot, model, submitted];
  console.log(JSON.stringify({ start, populated, after, heapUsed: process.memoryUsage().heapUsed, held: held.length }));
}

/** Runs {@link coreProcess} in a child process and returns its figures. */
function coreProcessFigures() {
  const child = spawnSync(process.execPath, ['--expose-gc', __filename, String(SERVICES), `--tasks=${TASKS}`, `--rounds=${ROUNDS}`, '--core-process'], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (child.status !== 0) throw new Error(`core process measurement failed: ${child.stderr}`);
  return JSON.parse(child.stdout.trim().split('\n').pop());
}

async function main() {
  if (argv.includes('--core-process')) return coreProcess();
  const rss0 = rss();
  // Warm-up on a small swarm so JIT compilation is not measured.
  await measure(200);
  const base = await measure(BASELINE);
  base.fake = undefined;
  const rssBeforeLarge = rss();
  const bigFake = populate(SERVICES);
  const rssFake = rss();
  // measure() repopulates; reuse the populated engine instead.
  const big = await (async () => {
    const sync = [];
    let snap;
    for (let r = 0; r < ROUNDS; r++) {
      const res = await resync(bigFake);
      sync.push(res.ms);
      snap = res;
    }
    const model = await timed(() => buildModel(snap.snapshot, modelOptions));
    const nginx = await timed(() => renderNginx(model.result, PORTS));
    const haproxy = await timed(() => renderHaproxy(model.result, PORTS));
    return { n: SERVICES, snapshot: snap.snapshot, listCalls: snap.listCalls, resyncMs: median(sync), model, nginx, haproxy };
  })();
  const rssAfter = rss();
  const codes = {};
  for (const d of big.model.result.diagnostics ?? []) codes[d.code] = (codes[d.code] || 0) + 1;
  const modelErrors = `${(big.model.result.diagnostics ?? []).length} diagnostic(s) ${JSON.stringify(codes)}`;

  console.log(`scale bench: ${SERVICES.toLocaleString('en-US')} services / ${(SERVICES * TASKS).toLocaleString('en-US')} tasks against ${BASELINE.toLocaleString('en-US')} / ${(BASELINE * TASKS).toLocaleString('en-US')} (baseline), median of ${ROUNDS} rounds`);
  console.log(`  model: ${big.model.result.hosts.length} hosts, ${big.model.result.upstreams.length} upstreams, ${modelErrors}`);
  const row = (name, a, b) => console.log(`  ${name.padEnd(34)} ${a.toFixed(1).padStart(9)} ms   baseline ${b.toFixed(1).padStart(7)} ms   ${(a / b).toFixed(2).padStart(6)}x`);
  row('resync (list calls + snapshot)', big.resyncMs, base.resyncMs);
  row('buildModel', big.model.ms, base.model.ms);
  row('renderNginx', big.nginx.ms, base.nginx.ms);
  row('renderHaproxy', big.haproxy.ms, base.haproxy.ms);
  const total = big.resyncMs + big.model.ms + big.nginx.ms + big.haproxy.ms;
  const baseTotal = base.resyncMs + base.model.ms + base.nginx.ms + base.haproxy.ms;
  row('total', total, baseTotal);
  console.log(`  render of ${BASELINE.toLocaleString('en-US')} services (goal <= 50 ms per proxy): nginx ${base.nginx.ms.toFixed(1)} ms ${base.nginx.ms <= 50 ? 'met' : 'NOT met'}, haproxy ${base.haproxy.ms.toFixed(1)} ms ${base.haproxy.ms <= 50 ? 'met' : 'NOT met'}`);
  console.log(`  Docker list calls per round: ${big.listCalls} at ${SERVICES.toLocaleString('en-US')} services, ${base.listCalls} at ${BASELINE.toLocaleString('en-US')} (LIST_CALLS_PER_ROUND = ${LIST_CALLS_PER_ROUND})`);
  console.log(`  RSS: ${mib(rssAfter)} after the ${SERVICES.toLocaleString('en-US')}-service rounds; at start ${mib(rss0)}, after the baseline ${mib(rssBeforeLarge)}, after populating the fake engine ${mib(rssFake)} (its state, not core's)`);
  console.log(`    core's share (after - fake populated): ${mib(rssAfter - rssFake)}; heap used ${mib(process.memoryUsage().heapUsed)}`);
  const core = coreProcessFigures();
  const coreRss = core.start + (core.after - core.populated);
  console.log(
    `  core process (child, full GC before each reading; holds the snapshot, model and both submitted configs): ${mib(core.start)} at start + ${mib(core.after - core.populated)} for ${SERVICES.toLocaleString('en-US')} services = ${mib(coreRss)} (goal <= 300 MB: ${coreRss <= 300e6 ? 'met' : 'NOT met'}); the fake engine took ${mib(core.populated - core.start)} on top, which a real core does not hold`,
  );

  console.log(`\nrendered files (${SERVICES.toLocaleString('en-US')} services, default maxFileBytes):`);
  sizes('nginx', big.nginx.result);
  sizes('haproxy', big.haproxy.result);

  if (CHECK) {
    const pem = selfSigned();
    try {
      console.log('\nchecked by the real binaries:');
      for (const [kind, result] of [['nginx', big.nginx.result], ['haproxy', big.haproxy.result]]) {
        const c = check(kind, result.files, pem);
        console.log(`  ${kind === 'nginx' ? 'nginx -t' : 'haproxy -c'}: ${c.ok ? 'ok' : 'FAILED'} (${(c.ms / 1000).toFixed(1)} s, ${c.certs} certificates)${c.ok ? '' : `\n${c.output}`}`);
        if (!c.ok) process.exitCode = 1;
      }
    } finally {
      rmSync(pem.dir, { recursive: true, force: true });
    }
  }
}

main().catch((err) => {
  console.error(`scale bench failed: ${err.stack || err.message}`);
  process.exit(1);
});
