#!/usr/bin/env node
// Render benchmark: 1,000 services / 3,000 tasks through labels -> model -> nginx and HAProxy.
// Prints absolute times and ratios against a trivial baseline measured in the same run
// (JSON round-trip of the same snapshot), since machines are noisy. Needs the packages built.
// Usage: node tools/bench/render.cjs [services=1000] [tasksPerService=3] [rounds=15]
'use strict';
const { performance } = require('node:perf_hooks');
const { buildModel } = require('@switchyard/model');
const { renderNginx } = require('@switchyard/render-nginx');
const { renderHaproxy } = require('@switchyard/render-haproxy');

const services = Number(process.argv[2] || 1000);
const perService = Number(process.argv[3] || 3);
const rounds = Number(process.argv[4] || 15);

function snapshot() {
  const snap = { services: [], tasks: [], networks: [], secrets: [] };
  for (let n = 0; n < 10; n++) snap.networks.push({ id: `net${n}`, name: `app-net-${n}`, driver: 'overlay', scope: 'swarm', ingress: false });
  for (let i = 0; i < services; i++) {
    const net = `net${i % 10}`;
    const labels = { 'com.docker.lb.hosts': `app${i}.example.com`, 'com.docker.lb.port': '8080' };
    if (i % 5 === 0) labels['com.docker.lb.context_root'] = `/api${i}`;
    if (i % 7 === 0) labels['com.docker.lb.sticky_session_cookie'] = 'session';
    snap.services.push({ id: `svc${i}`, name: `app${i}`, labels, networkIds: [net], virtualIps: [], createdAtUnixMs: i });
    for (let t = 0; t < perService; t++) {
      const ip = `10.${(i >> 8) & 255}.${i & 255}.${t + 2}`;
      snap.tasks.push({ id: `t${i}-${t}`, serviceId: `svc${i}`, nodeId: 'node', slot: t + 1, state: 'running', desiredState: 'running', attachments: [{ networkId: net, addresses: [ip] }] });
    }
  }
  return snap;
}

function median(fn) {
  const times = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

const snap = snapshot();
const model = buildModel(snap, { serviceCluster: '' });
// Warm up every path once so JIT compilation is not measured.
renderNginx(model);
renderHaproxy(model);
JSON.parse(JSON.stringify(snap));

const baseline = median(() => JSON.parse(JSON.stringify(snap)));
const rows = [
  ['baseline: JSON round-trip of the snapshot', baseline],
  ['buildModel (labels + model)', median(() => buildModel(snap, { serviceCluster: '' }))],
  ['renderNginx', median(() => renderNginx(model))],
  ['renderHaproxy', median(() => renderHaproxy(model))],
];
console.log(`render bench: ${services} services, ${services * perService} tasks, median of ${rounds} rounds`);
for (const [name, ms] of rows) console.log(`  ${name.padEnd(44)} ${ms.toFixed(2).padStart(8)} ms   ${(ms / baseline).toFixed(2).padStart(6)}x baseline`);
const bytes = { nginx: renderNginx(model).files.reduce((n, f) => n + f.content.length, 0), haproxy: renderHaproxy(model).files.reduce((n, f) => n + f.content.length, 0) };
console.log(`  output size: nginx ${bytes.nginx} bytes, haproxy ${bytes.haproxy} bytes`);
