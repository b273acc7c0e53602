#!/usr/bin/env node
// Data-plane benchmark: requests per second and p99 latency through Switchyard's rendered nginx and
// HAProxy configurations, next to a hand-written, expert-tuned configuration of the same proxy for the
// same routes, measured in the same run (the baseline). No Docker: everything runs on loopback.
//   - backends: small Node HTTP servers (child processes, keep-alive, fixed 100-byte body) on 127.0.0.1;
//   - Switchyard: the real renderers (@switchyard/render-nginx, @switchyard/render-haproxy) with their
//     default Config, only the paths moved into a temp dir (pid, admin socket; logs to the proxy's
//     stdout, a file here, as the container's stdout is a pipe to Docker's log driver);
//   - hand-written: upstream keepalive, buffered access log, same worker/thread count as Switchyard's;
//   - load: wrk on 127.0.0.1, rotating the Host header over the routes, each proxy in turn, the order
//     alternating between rounds (Switchyard first in even rounds, hand-written first in odd ones).
// Prints the median over rounds of req/s, p99 and the proxy's CPU time per request (its processes'
// utime + stime from /proc over the run / requests served: the figure least moved by other load on the
// machine) per configuration, and the ratios Switchyard / hand-written, both of the medians and the
// median of the per-round (paired) ratios (goal of the issue: req/s ratio >= 0.97, p99 at most +0.5 ms).
// Usage: node tools/bench/dataplane.cjs [--rounds=6] [--duration=3] [--connections=32] [--threads=2]
//          [--routes=2] [--backends=2] [--attribute] [--only=nginx|haproxy]
//   --attribute also measures Switchyard's config with AccessLogPath = "off" and with HideInfoHeaders
//   = true, to tell what the difference is made of.
// Needs the packages built (npx nx run-many -t build) and nginx, haproxy and wrk on PATH.
// Bounded: wrk runs for --duration seconds; the whole run aborts after 10 minutes; every child
// process (backends, proxies, wrk) is killed and the temp dir removed at exit, also on error or Ctrl-C.
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const { mkdtempSync, mkdirSync, writeFileSync, rmSync, openSync, closeSync, readFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join, dirname } = require('node:path');
const net = require('node:net');
const http = require('node:http');

const argv = process.argv.slice(2);
const opt = (name, def) => {
  const a = argv.find((s) => s.startsWith(`--${name}=`));
  return a === undefined ? def : a.slice(name.length + 3);
};
const ROUNDS = Number(opt('rounds', 6));
const DURATION_S = Number(opt('duration', 3));
const CONNECTIONS = Number(opt('connections', 32));
const THREADS = Number(opt('threads', 2));
const ROUTES = Number(opt('routes', 2));
const BACKENDS = Number(opt('backends', 2));
const ATTRIBUTE = argv.includes('--attribute');
const ONLY = opt('only', '');
const MAX_RUN_MS = 10 * 60_000;
const BODY_BYTES = 100;

for (const bin of ['nginx', 'haproxy', 'wrk']) {
  if (spawnSync('sh', ['-c', `command -v ${bin}`]).status !== 0) {
    console.error(`dataplane bench: '${bin}' is not installed or not on PATH (Debian: apt-get install -y ${bin}); nothing was measured.`);
    process.exit(2);
  }
}

let renderNginx, renderHaproxy, ProxyModel, BackendMode;
try {
  ({ renderNginx } = require('@switchyard/render-nginx'));
  ({ renderHaproxy } = require('@switchyard/render-haproxy'));
  ({ ProxyModel, BackendMode } = require('@switchyard/proto'));
} catch (err) {
  console.error(`dataplane bench: the packages are not built (npx nx run-many -t build): ${err.message}`);
  process.exit(2);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const work = mkdtempSync(join(tmpdir(), 'switchyard-dataplane-'));
/** Every child process started, killed at exit. */
const children = new Set();
let cleaned = false;

/** Kills every child (SIGTERM, then SIGKILL after 2 s) and removes the temp dir. Bounded; never throws. */
async function cleanup() {
  if (cleaned) return;
  cleaned = true;
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
  const deadline = Date.now() + 2000;
  while (Date.now() < deadline && [...children].some((c) => c.exitCode === null && c.signalCode === null)) await sleep(50);
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
}
function cleanupSync() {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  if (!cleaned) rmSync(work, { recursive: true, force: true });
}
process.on('exit', cleanupSync);
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    console.error(`\n${sig}: stopping`);
    cleanup().finally(() => process.exit(130));
  });
}
const watchdog = setTimeout(() => {
  console.error(`dataplane bench: still running after ${MAX_RUN_MS / 60000} min; stopping`);
  cleanup().finally(() => process.exit(1));
}, MAX_RUN_MS);
watchdog.unref();

function track(child) {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** A free loopback port (listened on, then closed). */
function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function waitForPort(port, child, what, log) {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${what} exited (${child.exitCode ?? child.signalCode}): ${log()}`);
    const ok = await new Promise((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await sleep(50);
  }
  throw new Error(`${what} did not listen on ${port}: ${log()}`);
}

// ---- backends -------------------------------------------------------------------------------------

const BACKEND_SOURCE = `
const http = require('node:http');
const body = Buffer.from((process.argv[1] + ' ').padEnd(${BODY_BYTES - 1}, '.') + '\\n');
const server = http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length });
  res.end(body);
});
// Longer than the proxies' upstream keepalive timeouts, so an idle pooled connection is never closed under them.
server.keepAliveTimeout = 120000;
server.headersTimeout = 121000;
server.listen(0, '127.0.0.1', () => process.stdout.write(server.address().port + '\\n'));
`;

/** Starts a backend child process; resolves to its port. */
function startBackend(name) {
  return new Promise((resolve, reject) => {
    const child = track(spawn(process.execPath, ['-e', BACKEND_SOURCE, name], { stdio: ['ignore', 'pipe', 'inherit'] }));
    let out = '';
    const timer = setTimeout(() => reject(new Error(`backend ${name} did not start`)), 10_000);
    child.stdout.on('data', (c) => {
      out += c;
      if (out.includes('\n')) {
        clearTimeout(timer);
        resolve(Number(out.trim()));
      }
    });
    child.once('exit', (code) => reject(new Error(`backend ${name} exited (${code})`)));
  });
}

// ---- configurations -------------------------------------------------------------------------------

/** The routes: host r<i>.bench -> upstream r<i> with BACKENDS loopback endpoints. */
function proxyModel(routes) {
  return ProxyModel.fromPartial({
    hosts: routes.map((r) => ({ host: r.host, routes: [{ path: '/', upstream: r.name }] })),
    upstreams: routes.map((r) => ({
      name: r.name,
      mode: BackendMode.BACKEND_MODE_TASK,
      services: [r.name],
      endpoints: r.ports.map((port, i) => ({ address: '127.0.0.1', port, weight: 1, service: r.name, taskId: `${r.name}${i}` })),
    })),
  });
}

function writeFiles(dir, files) {
  for (const f of files) {
    mkdirSync(dirname(join(dir, f.path)), { recursive: true });
    writeFileSync(join(dir, f.path), f.content);
  }
}

function throwOnErrors(what, diagnostics) {
  const errors = diagnostics.filter((d) => String(d.severity).includes('ERROR'));
  if (errors.length > 0) throw new Error(`${what}: ${errors.map((d) => d.message).join('; ')}`);
}

function switchyardNginx(dir, port, routes, extraConfig = {}) {
  const { files, diagnostics } = renderNginx(proxyModel(routes), {
    httpPort: port,
    httpsPort: port + 1,
    proxyId: 'bench',
    config: { PidPath: join(dir, 'nginx.pid'), ...extraConfig },
  });
  throwOnErrors('renderNginx', diagnostics);
  writeFiles(dir, files);
  return join(dir, 'nginx.conf');
}

function switchyardHaproxy(dir, port, routes, extraConfig = {}) {
  const { files, diagnostics } = renderHaproxy(proxyModel(routes), {
    httpPort: port,
    httpsPort: port + 1,
    proxyId: 'bench',
    config: { PidPath: join(dir, 'haproxy.pid'), AdminSocketPath: join(dir, 'admin.sock'), ...extraConfig },
  });
  throwOnErrors('renderHaproxy', diagnostics);
  writeFiles(dir, files);
  return join(dir, 'haproxy.cfg');
}

/** What an operator tuning nginx by hand for these routes would write (same worker count as Switchyard's default). */
function handNginx(dir, port, routes) {
  const upstreams = routes
    .map((r) => `    upstream ${r.name} {\n${r.ports.map((p) => `        server 127.0.0.1:${p};\n`).join('')}        keepalive 64;\n        keepalive_requests 10000;\n        keepalive_timeout 60s;\n    }\n`)
    .join('\n');
  const servers = routes
    .map((r) => `    server {\n        listen ${port};\n        server_name ${r.host};\n        location / {\n            proxy_pass http://${r.name};\n        }\n    }\n`)
    .join('\n');
  const conf = `worker_processes 1;
pid ${join(dir, 'nginx.pid')};
error_log /dev/stdout warn;

events {
    worker_connections 4096;
}

http {
    default_type application/octet-stream;
    server_tokens off;
    sendfile on;
    tcp_nodelay on;
    keepalive_timeout 75s;
    keepalive_requests 10000;
    client_body_temp_path ${join(dir, 'body')};
    proxy_temp_path ${join(dir, 'proxy')};

    log_format main '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent '
                    '"$http_referer" "$http_user_agent" "$http_x_forwarded_for"';
    access_log /dev/stdout main buffer=64k flush=1s;

    proxy_http_version 1.1;
    proxy_set_header Connection "";
    proxy_set_header Host $host;
    proxy_set_header X-Real-IP $remote_addr;
    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    proxy_set_header X-Forwarded-Proto $scheme;
    proxy_next_upstream error timeout;
    proxy_connect_timeout 1s;

${upstreams}
    server {
        listen ${port} default_server;
        server_name _;
        return 503;
    }

${servers}}
`;
  writeFileSync(join(dir, 'nginx.conf'), conf);
  return join(dir, 'nginx.conf');
}

/** What an operator tuning HAProxy by hand would write (same thread count as Switchyard's: HAProxy's default). */
function handHaproxy(dir, port, routes) {
  const conf = `global
    maxconn 4096
    pidfile ${join(dir, 'haproxy.pid')}

defaults
    mode http
    option http-keep-alive
    option forwardfor
    http-reuse always
    retries 3
    option redispatch
    timeout connect 1s
    timeout client 60s
    timeout server 60s
    timeout http-keep-alive 75s

frontend fe_http
    bind 127.0.0.1:${port}
${routes.map((r) => `    use_backend ${r.name} if { req.hdr(host),host_only,lower -m str ${r.host} }\n`).join('')}    default_backend none

backend none
    http-request return status 503

${routes
  .map((r) => `backend ${r.name}\n    balance roundrobin\n${r.ports.map((p, i) => `    server s${i} 127.0.0.1:${p} check inter 2s\n`).join('')}`)
  .join('\n')}`;
  writeFileSync(join(dir, 'haproxy.cfg'), conf);
  return join(dir, 'haproxy.cfg');
}

// ---- proxies --------------------------------------------------------------------------------------

/** Starts a proxy in the foreground; its stdout (nginx's /dev/stdout logs) goes to a file in its dir. */
async function startProxy(kind, dir, cfg, port) {
  const outFile = join(dir, 'stdout.log');
  const fd = openSync(outFile, 'a');
  const args = kind === 'nginx' ? ['-p', dir, '-c', cfg, '-e', join(dir, 'startup-error.log'), '-g', 'daemon off;'] : ['-W', '-db', '-f', cfg];
  const child = track(spawn(kind, args, { stdio: ['ignore', fd, fd], cwd: dir }));
  closeSync(fd);
  const log = () => {
    try {
      return readFileSync(outFile, 'utf8').slice(-2000);
    } catch {
      return '';
    }
  };
  await waitForPort(port, child, `${kind} (${cfg})`, log);
  return child;
}

function get(port, host) {
  return new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/', headers: { host }, agent: false, timeout: 3000 }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.on('error', (e) => resolve({ status: 0, body: e.message }));
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end();
  });
}

// ---- CPU accounting ------------------------------------------------------------------------------

const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
const { readdirSync } = require('node:fs');

/** utime + stime (ms) of a process and all of its descendants (nginx master + workers, HAProxy master + worker). */
function treeCpuMs(rootPid) {
  const parent = new Map();
  const cpu = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parent.set(Number(name), Number(f[1]));
      cpu.set(Number(name), ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK);
    } catch {
      // the process ended meanwhile
    }
  }
  let total = 0;
  for (const [pid, ms] of cpu) {
    for (let p = pid, hops = 0; p > 1 && hops < 8; p = parent.get(p) ?? 0, hops++) {
      if (p === rootPid) {
        total += ms;
        break;
      }
    }
  }
  return total;
}

// ---- load -----------------------------------------------------------------------------------------

const UNIT_MS = { us: 0.001, ms: 1, s: 1000, m: 60_000 };
const toMs = (v) => {
  const m = /^([0-9.]+)(us|ms|s|m)$/.exec(v);
  return m ? Number(m[1]) * UNIT_MS[m[2]] : NaN;
};

/**
 * Runs wrk against 127.0.0.1:port for `seconds`; resolves to { rps, p99, p50, errors, requests, cpuUs }
 * (cpuUs: CPU time of the proxy's processes per request, in microseconds). Killed after seconds + 15.
 */
async function wrkOn(c, seconds, script) {
  const cpu0 = treeCpuMs(c.child.pid);
  const r = await wrk(c.port, seconds, script);
  r.cpuUs = ((treeCpuMs(c.child.pid) - cpu0) * 1000) / r.requests;
  return r;
}

function wrk(port, seconds, script) {
  return new Promise((resolve, reject) => {
    const args = [`-t${THREADS}`, `-c${CONNECTIONS}`, `-d${seconds}s`, '--latency', '--timeout', '2s', '-s', script, `http://127.0.0.1:${port}/`];
    const child = track(spawn('wrk', args, { stdio: ['ignore', 'pipe', 'pipe'] }));
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (out += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), (seconds + 15) * 1000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      const rps = Number((/Requests\/sec:\s+([0-9.]+)/.exec(out) || [])[1]);
      const p99 = toMs((/^\s+99%\s+(\S+)/m.exec(out) || [])[1] || '');
      const p50 = toMs((/^\s+50%\s+(\S+)/m.exec(out) || [])[1] || '');
      const requests = Number((/(\d+) requests in/.exec(out) || [])[1]);
      const non2xx = Number((/Non-2xx or 3xx responses:\s+(\d+)/.exec(out) || [0, 0])[1]);
      const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
      const socketErrors = sock ? sock.slice(1).reduce((n, v) => n + Number(v), 0) : 0;
      if (code !== 0 || !Number.isFinite(rps)) reject(new Error(`wrk failed (${code}): ${out}`));
      else resolve({ rps, p99, p50, requests, errors: non2xx + socketErrors });
    });
  });
}

const median = (values) => {
  const s = [...values].sort((a, b) => a - b);
  const n = s.length;
  return n === 0 ? NaN : n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
};

// ---- main -----------------------------------------------------------------------------------------

async function main() {
  const routes = [];
  for (let i = 0; i < ROUTES; i++) {
    const name = `r${i}`;
    const ports = [];
    for (let b = 0; b < BACKENDS; b++) ports.push(await startBackend(`${name}-${b}`));
    routes.push({ name, host: `${name}.bench`, ports });
  }
  const script = join(work, 'hosts.lua');
  writeFileSync(
    script,
    `local hosts = { ${routes.map((r) => `"${r.host}"`).join(', ')} }\nlocal i = 0\nrequest = function()\n  i = i % #hosts + 1\n  return wrk.format("GET", "/", { ["Host"] = hosts[i] })\nend\n`,
  );

  /** Configurations to measure, grouped by proxy kind; the first of each group is the baseline. */
  const configs = [];
  const add = async (kind, name, write) => {
    const dir = join(work, name.replace(/[^a-z0-9]+/gi, '-'));
    mkdirSync(dir, { recursive: true });
    const port = await freePort();
    const cfg = write(dir, port);
    configs.push({ kind, name, dir, cfg, port, runs: [] });
  };
  if (ONLY !== 'haproxy') {
    await add('nginx', 'nginx hand-written', (d, p) => handNginx(d, p, routes));
    await add('nginx', 'nginx Switchyard', (d, p) => switchyardNginx(d, p, routes));
    if (ATTRIBUTE) {
      await add('nginx', 'nginx Switchyard, AccessLogPath=off', (d, p) => switchyardNginx(d, p, routes, { AccessLogPath: 'off' }));
      await add('nginx', 'nginx Switchyard, HideInfoHeaders', (d, p) => switchyardNginx(d, p, routes, { HideInfoHeaders: true }));
    }
  }
  if (ONLY !== 'nginx') {
    await add('haproxy', 'haproxy hand-written', (d, p) => handHaproxy(d, p, routes));
    await add('haproxy', 'haproxy Switchyard', (d, p) => switchyardHaproxy(d, p, routes));
    if (ATTRIBUTE) await add('haproxy', 'haproxy Switchyard, HideInfoHeaders', (d, p) => switchyardHaproxy(d, p, routes, { HideInfoHeaders: true }));
  }

  for (const c of configs) {
    c.child = await startProxy(c.kind, c.dir, c.cfg, c.port);
    for (const r of routes) {
      const res = await get(c.port, r.host);
      if (res.status !== 200 || !res.body.startsWith(`${r.name}-`)) throw new Error(`${c.name}: ${r.host} answered ${res.status} ${res.body.slice(0, 200)}`);
    }
  }
  console.log(`dataplane bench: ${ROUTES} routes x ${BACKENDS} Node backends (${BODY_BYTES}-byte body, keep-alive), wrk -t${THREADS} -c${CONNECTIONS} -d${DURATION_S}s, ${ROUNDS} rounds, order alternating`);
  console.log(`  nginx ${spawnSync('nginx', ['-v'], { encoding: 'utf8' }).stderr.trim().replace('nginx version: ', '')}, ${spawnSync('haproxy', ['-v'], { encoding: 'utf8' }).stdout.split('\n')[0]}`);

  // Warm-up: one short run per configuration (connections, JIT of the backends), not counted.
  for (const c of configs) await wrk(c.port, 1, script);
  const load0 = loadavg();

  for (let round = 0; round < ROUNDS; round++) {
    for (const kind of ['nginx', 'haproxy']) {
      const group = configs.filter((c) => c.kind === kind);
      const order = round % 2 === 0 ? [...group].reverse() : group;
      for (const c of order) {
        const r = await wrkOn(c, DURATION_S, script);
        c.runs.push(r);
        process.stdout.write(`  round ${round + 1} ${c.name.padEnd(38)} ${r.rps.toFixed(0).padStart(7)} req/s  p50 ${r.p50.toFixed(2)} ms  p99 ${r.p99.toFixed(2).padStart(6)} ms  proxy CPU ${r.cpuUs.toFixed(1)} us/req${r.errors ? `  ERRORS ${r.errors}` : ''}\n`);
      }
    }
  }

  console.log(`\nmedian of ${ROUNDS} rounds; "paired" = median of the per-round ratios (runs next to each other share the machine's load):`);
  console.log(`  load average (1 min) ${load0} at the start, ${loadavg()} at the end (${require('node:os').cpus().length} CPUs)`);
  for (const kind of ['nginx', 'haproxy']) {
    const group = configs.filter((c) => c.kind === kind);
    if (group.length === 0) continue;
    const base = group[0];
    const m = (c, key) => median(c.runs.map((r) => r[key]));
    const paired = (c, key) => median(c.runs.map((r, i) => r[key] / base.runs[i][key]));
    for (const c of group) {
      const head = `  ${c.name.padEnd(38)} ${m(c, 'rps').toFixed(0).padStart(7)} req/s  p99 ${m(c, 'p99').toFixed(2).padStart(6)} ms  CPU ${m(c, 'cpuUs').toFixed(1).padStart(5)} us/req`;
      const errors = c.runs.reduce((n, r) => n + r.errors, 0);
      const dp99 = m(c, 'p99') - m(base, 'p99');
      const rel =
        c === base
          ? '  (baseline)'
          : `  req/s ${(m(c, 'rps') / m(base, 'rps')).toFixed(3)}x (paired ${paired(c, 'rps').toFixed(3)}x), p99 ${dp99 >= 0 ? '+' : ''}${dp99.toFixed(2)} ms, CPU/req ${(m(c, 'cpuUs') / m(base, 'cpuUs')).toFixed(3)}x (paired ${paired(c, 'cpuUs').toFixed(3)}x)`;
      console.log(`${head}${rel}${errors ? `  errors ${errors}` : ''}`);
    }
    const sy = group.find((c) => c.name === `${kind} Switchyard`);
    if (sy) {
      const ratio = m(sy, 'rps') / m(base, 'rps');
      const dp99 = m(sy, 'p99') - m(base, 'p99');
      console.log(`  ${kind} goal (>= 0.97x req/s, p99 <= +0.5 ms): ${ratio >= 0.97 && dp99 <= 0.5 ? 'met' : 'NOT met'} (req/s ${ratio.toFixed(3)}x, p99 ${dp99 >= 0 ? '+' : ''}${dp99.toFixed(2)} ms)`);
    }
  }
}

const loadavg = () => require('node:os').loadavg()[0].toFixed(2);

main()
  .catch((err) => {
    console.error(`dataplane bench failed: ${err.message}`);
    process.exitCode = 1;
  })
  .finally(() => cleanup());
