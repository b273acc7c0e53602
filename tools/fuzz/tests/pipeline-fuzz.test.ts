/**
 * Cross-package fuzz: thousands of random and hostile label sets go through the whole pure pipeline
 * (labels → model → nginx and HAProxy renderers). Every rendered file must pass the real binary's
 * check, and no hostile label value (config metacharacters plus a marker) may appear anywhere in the
 * output (valid values are plain tokens; anything else must have been refused with a diagnostic).
 * Label sets are batched into snapshots of BATCH services, so the binaries run a few dozen times.
 * SWITCHYARD_FUZZ_RUNS sets the number of label sets (default 10,000); the counts are printed at the end.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { buildModel } from '@switchyard/model';
import type { SwarmSnapshot } from '@switchyard/proto';
import { renderHaproxy } from '@switchyard/render-haproxy';
import { renderNginx } from '@switchyard/render-nginx';

/** Label sets to generate: SWITCHYARD_FUZZ_RUNS, default 10,000. */
const LABEL_SETS = Number(process.env['SWITCHYARD_FUZZ_RUNS'] ?? '') || 10_000;
const BATCH = 150;
const SECRETS = ['site-cert', 'site-key', 'other.crt', 'other.key'];
// eslint-disable-next-line no-control-regex -- control characters are exactly what we look for
const DANGEROUS = /[;{}"'`$\\#\s\u0000-\u001f\u007f]/;

// Every hostile payload carries the marker "evil" so a leak cannot be confused with the
// renderers' own text (which legitimately contains `$host`, `;`, `{` and so on).
const hostile = fc.constantFrom(
  'a.local;return 200 evil',
  'x.local}\nserver{listen 9999;} # evil',
  '"evil".local',
  "evil's.local",
  '$evil_host',
  'a.local\r\nX-Evil: 1',
  '/app; proxy_pass http://evil',
  '/evil {',
  '/..%2f../evil',
  '\\x00evil',
  'http://ok.local,http://evil.local;return 301 http://x',
  'session; path=/evil',
  '8080; evil',
  '80 80 evil',
  '${jndi:evil}',
  `evil${'a'.repeat(300)};`,
  'ex\u0430mple.evil;',
  '#evil comment',
  'backend evil\n  server y 1.2.3.4:80',
);
const plain = fc.stringMatching(/^[a-z0-9][a-z0-9.-]{0,20}$/);
const value = fc.oneof(
  { weight: 3, arbitrary: plain },
  { weight: 3, arbitrary: hostile },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 1, arbitrary: fc.constantFrom('true', 'false', '1', 'yes', 'none', 'required', 'vip', 'task', '8080', '443', '/api', '/ws,/chat') },
  { weight: 1, arbitrary: fc.constantFrom(...SECRETS) },
);
const key = fc.constantFrom(
  'hosts', 'port', 'network', 'context_root', 'context_root_rewrite', 'ssl_cert', 'ssl_key', 'ssl_passthrough', 'ssl_only',
  'ssl_backend', 'ssl_backend_tls_verify', 'websocket_endpoints', 'sticky_session_cookie', 'ip_hash', 'redirects',
  'backend_mode', 'default_backend', 'unknown_thing',
);
/** Values each label accepts, so that a good share of the sets is routed and rendered. */
const validFor: Record<string, fc.Arbitrary<string>> = {
  context_root: plain.map((p) => `/${p}`),
  context_root_rewrite: fc.constantFrom('true', 'false'),
  ssl_passthrough: fc.constant('false'),
  ssl_only: fc.constantFrom('true', 'false'),
  ssl_backend: fc.constantFrom('true', 'false'),
  ssl_backend_tls_verify: fc.constantFrom('none', 'required'),
  websocket_endpoints: plain.map((p) => `/ws-${p}`),
  sticky_session_cookie: fc.constantFrom('session', 'JSESSIONID', '_sid'),
  ip_hash: fc.constantFrom('true', 'false'),
  backend_mode: fc.constantFrom('task', 'vip'),
  default_backend: fc.constantFrom('false'),
};
const mostlyValid = fc.tuple(plain, fc.subarray(Object.keys(validFor), { maxLength: 4 })).chain(([host, keys]) =>
  fc.tuple(fc.constant(host), ...keys.map((k) => validFor[k]!.map((v) => [k, v] as const))),
).map(([host, ...pairs]) => {
  const labels: Record<string, string> = { 'com.docker.lb.hosts': `${host}.test`, 'com.docker.lb.port': '8080' };
  for (const [k, v] of pairs as (readonly [string, string])[]) labels[`com.docker.lb.${k}`] = v;
  return labels;
});
const randomSet = fc.tuple(
  fc.oneof(plain.map((h) => `${h}.test`), hostile),
  fc.oneof(fc.constant('8080'), value),
  fc.dictionary(key, value, { maxKeys: 6 }),
).map(([hosts, port, rest]) => {
  const labels: Record<string, string> = { 'com.docker.lb.hosts': hosts, 'com.docker.lb.port': port };
  for (const [k, v] of Object.entries(rest)) labels[`com.docker.lb.${k}`] = v;
  return labels;
});
const labelSet = fc.oneof(mostlyValid, randomSet);

function snapshotOf(sets: Record<string, string>[], offset: number): SwarmSnapshot {
  const snap: SwarmSnapshot = {
    services: [],
    tasks: [],
    networks: [{ id: 'n1', name: 'app-net', driver: 'overlay', scope: 'swarm', ingress: false }],
    secrets: SECRETS.map((name, i) => ({ id: `sec${i}`, name, labels: { 'com.switchyard.lb.allowed-services': '*' } })),
  };
  sets.forEach((labels, i) => {
    const id = `s${offset + i}`;
    snap.services.push({ id, name: `svc${offset + i}`, labels, containerLabels: {}, networkIds: ['n1'], virtualIps: [{ networkId: 'n1', address: `10.1.${(offset + i) >> 8 & 255}.${(offset + i) & 255}` }], createdAtUnixMs: offset + i });
    snap.tasks.push({ id: `t${offset + i}`, serviceId: id, nodeId: 'node', slot: 1, state: 'running', desiredState: 'running', attachments: [{ networkId: 'n1', addresses: [`10.2.${(offset + i) >> 8 & 255}.${(offset + i) & 255}`] }] });
  });
  return snap;
}

describe('labels → model → renderers, fuzzed', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'switchyard-fuzz-'));
    const run = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
    run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=fuzz', '-keyout', 'key.pem', '-out', 'cert.pem']);
    for (const s of SECRETS) {
      execFileSync('cp', [join(dir, 'cert.pem'), join(dir, `${s}.pem`)]);
      execFileSync('cp', [join(dir, 'key.pem'), join(dir, `${s}.pem.key`)]);
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it(`${LABEL_SETS} label sets: every config passes nginx -t and haproxy -c, no hostile text leaks`, () => {
    const sets = fc.sample(labelSet, { numRuns: LABEL_SETS, seed: 20261125 });
    let routed = 0;
    let refused = 0;
    let checks = 0;
    const byCode = new Map<string, number>();
    for (let offset = 0; offset < sets.length; offset += BATCH) {
      const batch = sets.slice(offset, offset + BATCH);
      const model = buildModel(snapshotOf(batch, offset), { serviceCluster: '' });
      routed += model.services.filter((s) => s.routed).length;
      refused += model.services.filter((s) => !s.routed).length;
      for (const d of model.diagnostics) byCode.set(d.code, (byCode.get(d.code) ?? 0) + 1);
      const nginx = renderNginx(model, { secretsDir: dir }).files[0]!.content;
      const haproxy = renderHaproxy(model, { secretsDir: dir }).files[0]!.content;
      for (const labels of batch) {
        for (const v of Object.values(labels)) {
          if (v.includes('evil') && DANGEROUS.test(v)) {
            expect({ value: v, inNginx: nginx.includes(v), inHaproxy: haproxy.includes(v) }).toEqual({ value: v, inNginx: false, inHaproxy: false });
          }
        }
      }
      const nf = join(dir, `nginx-${offset}.conf`);
      writeFileSync(nf, nginx);
      // nginx opens /dev/stdout for its logs: give it a real file (jest's stdout may be a socket).
      const out = openSync(join(dir, 'nginx.out'), 'w');
      const n = spawnSync('nginx', ['-t', '-q', '-c', nf], { encoding: 'utf8', stdio: ['ignore', out, 'pipe'] });
      closeSync(out);
      expect({ batch: offset, status: n.status, stderr: n.stderr }).toEqual({ batch: offset, status: 0, stderr: '' });
      const hf = join(dir, `haproxy-${offset}.cfg`);
      writeFileSync(hf, haproxy);
      const h = spawnSync('haproxy', ['-c', '-q', '-f', hf], { encoding: 'utf8' });
      expect({ batch: offset, status: h.status, out: h.stderr.trim() }).toEqual({ batch: offset, status: 0, out: '' });
      checks += 2;
    }
    // The generator must exercise both outcomes, or the test proves nothing.
    expect(routed).toBeGreaterThan(LABEL_SETS / 10);
    expect(refused).toBeGreaterThan(LABEL_SETS / 10);
    const codes = [...byCode.entries()].sort((a, b) => b[1] - a[1]).map(([code, n]) => `${code} ${n}`).join(', ');
    console.log(`pipeline fuzz: ${LABEL_SETS} label sets, ${routed} routed, ${refused} refused, ${checks} binary checks (nginx -t, haproxy -c)\ndiagnostics by code: ${codes}`);
  }, 300_000);
});
