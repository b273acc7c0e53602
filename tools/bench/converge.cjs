#!/usr/bin/env node
// Convergence benchmark on the local swarm (needs setup done and images built):
//  1. for N services (default 10): time from `docker service create` to the first 200 through the
//     proxy on 127.0.0.1, next to a baseline measured for the same service in the same run: the time
//     until Docker itself reports the task running. Prints p50/p99 of both and their ratio.
//  2. Docker API calls per minute made by core while the swarm is idle (from core's /metrics),
//     next to the calls a plain poller of the same four lists every PollInterval would make.
// Usage: node tools/bench/converge.cjs [services=10] [idleSeconds=60]
// Traffic goes only to 127.0.0.1; every loop is bounded; everything created is removed.
// The bench installation routes only its own service cluster, so other installations on the same
// swarm (e2e runs) neither route its services nor attach their proxies to its network.
'use strict';
const { execFileSync, spawnSync } = require('node:child_process');
const { mkdtempSync, writeFileSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join, resolve } = require('node:path');
const http = require('node:http');

const N = Number(process.argv[2] || 10);
const IDLE_S = Number(process.argv[3] || 60);
const PORTS = { http: 18190, https: 18490, grpc: 19190, metrics: 19191 };
const id = `sy-bench-${process.pid}`;
const root = resolve(__dirname, '../..');
const core = `${id}-core`;
const net = `${id}-core-net`;
const appNet = `${id}-app`;
const POLL_MS = 3000;

const sh = (cmd, args) => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function get(port, host, path = '/') {
  return new Promise((resolveGet) => {
    const req = http.request({ host: '127.0.0.1', port, path, headers: { host }, agent: false, timeout: 2000 }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolveGet({ status: res.statusCode, body }));
    });
    req.on('error', () => resolveGet({ status: 0, body: '' }));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

async function until(probe, timeoutMs, intervalMs = 50) {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await probe()) return true;
    await sleep(intervalMs);
  }
  return false;
}

function pct(values, p) {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}

async function metric(name) {
  const res = await get(PORTS.metrics, '127.0.0.1', '/metrics');
  let total = 0;
  for (const line of res.body.split('\n')) if (line.startsWith(name)) total += Number(line.split(' ').pop());
  return total;
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-bench-'));
  const cfg = join(dir, 'switchyard.toml');
  writeFileSync(cfg, `ListenAddr = ":8080"\nPollInterval = "3s"\nCoreAddress = "${core}:8080"\nCoreNetwork = "${net}"\n[Extensions.bench]\nServiceName = "${id}-ext"\nProxyServiceName = "${id}-proxy"\nServiceCluster = "${id}"\nProxyReplicas = 1\nProxyStopGracePeriod = "1s"\nProxyUpdateDelay = "0s"\nPublishedPort = ${PORTS.http}\nPublishedSSLPort = ${PORTS.https}\n`);
  const services = [];
  try {
    sh('docker', ['network', 'create', '--driver', 'overlay', '--attachable', appNet]);
    execFileSync('bash', [join(root, 'tools/swarm/up.sh'), cfg, core, net], { env: { ...process.env, SWITCHYARD_CORE_PUBLISH: String(PORTS.grpc), SWITCHYARD_METRICS_PUBLISH: String(PORTS.metrics) }, stdio: 'ignore' });
    // Warm-up service so the proxy exists and is attached to the app network before measuring.
    const warm = `${id}-warm`;
    services.push(warm);
    sh('docker', ['service', 'create', '--detach', '--no-resolve-image', '--name', warm, '--network', appNet, '--label', 'com.docker.lb.hosts=warm.bench', '--label', 'com.docker.lb.port=8080', '--label', `com.docker.lb.service_cluster=${id}`, 'switchyard/e2e-echo:latest']);
    if (!(await until(async () => (await get(PORTS.http, 'warm.bench')).status === 200, 180_000, 200))) throw new Error('warm-up route never answered');
    const routed = [];
    const running = [];
    for (let i = 0; i < N; i++) {
      const name = `${id}-s${i}`;
      const host = `s${i}.bench`;
      services.push(name);
      const t0 = Date.now();
      sh('docker', ['service', 'create', '--detach', '--no-resolve-image', '--name', name, '--network', appNet, '--label', `com.docker.lb.hosts=${host}`, '--label', 'com.docker.lb.port=8080', '--label', `com.docker.lb.service_cluster=${id}`, 'switchyard/e2e-echo:latest']);
      let tRunning;
      const ok = await until(async () => {
        if (tRunning === undefined) {
          const states = spawnSync('docker', ['service', 'ps', '--format', '{{.CurrentState}}', name], { encoding: 'utf8' }).stdout;
          if (/^Running/m.test(states)) tRunning = Date.now() - t0;
        }
        return (await get(PORTS.http, host)).status === 200;
      }, 120_000, 50);
      if (!ok) throw new Error(`${host} never answered`);
      routed.push(Date.now() - t0);
      running.push(tRunning ?? Date.now() - t0);
      process.stdout.write(`  ${host}: task running ${running[i]} ms, first 200 ${routed[i]} ms\n`);
    }
    console.log(`\nconvergence over ${N} services (service create -> ...):`);
    console.log(`  baseline: task running (Docker)   p50 ${pct(running, 50)} ms   p99 ${pct(running, 99)} ms`);
    console.log(`  first 200 through the proxy       p50 ${pct(routed, 50)} ms   p99 ${pct(routed, 99)} ms`);
    console.log(`  ratio first-200 / task-running    p50 ${(pct(routed, 50) / pct(running, 50)).toFixed(2)}x   p99 ${(pct(routed, 99) / pct(running, 99)).toFixed(2)}x`);
    console.log(`  (Interlock polls every ${POLL_MS / 1000} s: its expected wait after the task runs is ~${POLL_MS / 2000} s plus a proxy update)`);

    await sleep(15_000); // let settle polling after the last event end
    const before = await metric('switchyard_docker_api_calls_total');
    await sleep(IDLE_S * 1000);
    const after = await metric('switchyard_docker_api_calls_total');
    const perMin = ((after - before) * 60) / IDLE_S;
    const naive = (4 * 60_000) / POLL_MS;
    console.log(`\nidle Docker API calls: ${perMin.toFixed(1)} per minute over ${IDLE_S} s`);
    console.log(`  baseline: a poller listing services, tasks, networks, secrets every ${POLL_MS / 1000} s = ${naive} per minute`);
    console.log(`  ratio ${(perMin / naive).toFixed(2)}x`);
  } finally {
    for (const s of services) spawnSync('docker', ['service', 'rm', s], { stdio: 'ignore' });
    spawnSync('bash', [join(root, 'tools/swarm/down.sh'), core, net], { stdio: 'ignore' });
    for (let i = 0; i < 10 && spawnSync('docker', ['network', 'rm', appNet], { stdio: 'ignore' }).status !== 0; i++) await sleep(2000);
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(`bench failed: ${err.message}`);
  process.exit(1);
});
