/**
 * Hostile strings in every model field that reaches haproxy.cfg: they are skipped with a diagnostic or
 * printed only in safe form, and the rendered file always passes the real `haproxy -c`.
 * SWITCHYARD_FUZZ_RUNS models (default 10,000) get the pure checks; BINARY_BATCHES larger models
 * (a sample, 30-40 records each) go through `haproxy -c`. The counts are printed at the end.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { BackendMode, ProxyModel, Severity } from '@switchyard/proto';
import type { Upstream } from '@switchyard/proto';
import { renderHaproxy } from '../src/index.js';
import { HOST_VAR_RULE, PATH_NORMALIZATION_RULES } from '../src/view-model.js';
import { haproxyCheck, installCert, makePki } from './helpers/tools.js';

jest.setTimeout(180_000);

/** Models generated for the pure checks: SWITCHYARD_FUZZ_RUNS, default 10,000. */
const RUNS = Number(process.env['SWITCHYARD_FUZZ_RUNS'] ?? '') || 10_000;
/** Models checked with the real haproxy -c. */
const BINARY_BATCHES = 6;
const byCode = new Map<string, number>();
let pureRuns = 0;
let binaryRuns = 0;
afterAll(() => {
  const codes = [...byCode.entries()].sort((a, b) => b[1] - a[1]).map(([code, n]) => `${code} ${n}`).join(', ');
  console.log(`render-haproxy fuzz: ${pureRuns} models (pure checks), ${binaryRuns} haproxy -c runs\ndiagnostics by code: ${codes}`);
});

const HOSTILE_CHARS = [
  'a', 'b', 'z', '0', '9', '.', '-', '_', '/', '*', ':', '@', '~', '+', '=',
  ' ', '\t', '\n', '\r', '{', '}', '#', '%', '$', '"', "'", '\\', '[', ']', '(', ')', ';', ',', '<', '>', '!', '&', '|', '?',
  'A', 'Z', '\u0000', '\u007f', '\u00e9', '\u2028', '\u{1F600}',
];
const hostileChar = fc.constantFrom(...HOSTILE_CHARS);
const hostile = fc.string({ unit: hostileChar, minLength: 0, maxLength: 24 });
/** Mostly plausible values with hostile parts, so that both the accept and the reject paths run. */
const withPrefix = (prefix: string) => fc.oneof(hostile, hostile.map((s) => prefix + s), fc.constant(prefix + 'ok'));

const recordArb = fc.record({
  host: fc.oneof(withPrefix('h.example.com'), hostile.map((s) => `${s}.example.com`)),
  path: withPrefix('/p'),
  upstream: withPrefix('up'),
  cookie: withPrefix('C'),
  url: withPrefix('https://r.example.com/'),
  certFile: withPrefix('cert'),
  keySuffix: fc.constantFrom('.key', '.pem', ''),
  address: fc.oneof(fc.constantFrom('10.1.2.3', 'fd00::5', '::1', 'localhost', '10.0.0.256'), hostile),
  taskId: withPrefix('task'),
  sni: fc.boolean(),
  tls: fc.boolean(),
});
type Rec = typeof recordArb extends fc.Arbitrary<infer T> ? T : never;

function modelOf(records: Rec[]): ProxyModel {
  const upstreams: Upstream[] = records.map((r, i) => ({
    name: `${r.upstream}${i}`,
    endpoints: [{ address: r.address, port: 1000 + i, weight: 1 + (i % 3), service: `svc${i}`, taskId: r.taskId }],
    stickyCookie: r.cookie,
    ipHash: i % 2 === 0,
    tls: r.tls,
    tlsVerify: r.tls && i % 2 === 0,
    mode: BackendMode.BACKEND_MODE_TASK,
    services: [`svc${i}`],
  }));
  return ProxyModel.fromPartial({
    hosts: records.map((r, i) => ({
      host: r.host,
      certificate: `c${i}`,
      sslOnly: i % 3 === 0,
      routes: [
        { path: r.path, upstream: `${r.upstream}${i}`, stripPrefix: i % 2 === 1, websocket: i % 4 === 0 },
        { path: '/', upstream: `${r.upstream}${i}` },
      ],
      redirects: [{ fromPath: r.path, toUrl: r.url }],
    })),
    sniRoutes: records.filter((r) => r.sni).map((r) => ({ host: r.host, upstream: `${r.upstream}${records.indexOf(r)}` })),
    certificates: records.map((r, i) => ({ name: `c${i}`, certSecret: 's', keySecret: 'k', certFile: r.certFile, keyFile: r.certFile + r.keySuffix })),
    upstreams,
    defaultUpstream: records[0] ? `${records[0].upstream}0` : '',
  });
}

/** Every directive the renderer can emit when no operator option lines are configured. */
const DIRECTIVES = new Set([
  'default-path', 'maxconn', 'pidfile', 'tune.ssl.default-dh-param', 'ssl-default-bind-ciphers', 'ssl-default-bind-options',
  'ssl-server-verify', 'hard-stop-after', 'mode', 'option', 'retries', 'retry-on', 'timeout', 'bind', 'tcp-request', 'use_backend', 'default_backend',
  'server', 'acl', 'http-request', 'http-response', 'http-after-response', 'unique-id-format', 'stats', 'balance', 'hash-type',
]);
const SECTION = /^(global|defaults|defaults sy_tcp|(frontend|backend) [A-Za-z0-9_.-]+( from sy_tcp)?)$/;

/** Structural safety of the whole file, independent of the input. */
function assertSafeText(text: string): void {
  expect(text).toMatch(/^[\t\n -~]*$/); // printable ASCII and newlines only
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('# ')) continue;
    if (!line.startsWith('    ')) {
      expect(line).toMatch(SECTION);
      continue;
    }
    const body = line.slice(4);
    expect(DIRECTIVES.has(body.split(' ')[0] ?? '')).toBe(true);
    // The path normalization rules are constants (no model value reaches them).
    if (PATH_NORMALIZATION_RULES.includes(body)) continue;
    // Characters that change HAProxy's parsing may only appear in the renderer's own constructs.
    const stripped = body
      .replace(HOST_VAR_RULE, '')
      .replace(/ string '<html>[^']*<\/html>'/, '')
      .replace(/\{ [a-z_.(),0-9 -]+ \}/g, '')
      .replace(/%\[[a-z_.(),0-9/-]+\]/g, '')
      .replace(/%s[ip]/g, '')
      .replace(/%Tr$/, '');
    expect(stripped).not.toMatch(/["'\\#${}%\t]/);
    expect(stripped).not.toMatch(/ {2}/);
  }
}

const SAFE_HOST = /^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;

describe('hostile model values', () => {
  it('are skipped with an error diagnostic or printed only in safe form', () => {
    fc.assert(
      fc.property(fc.array(recordArb, { minLength: 1, maxLength: 6 }), (records) => {
        pureRuns++;
        const model = modelOf(records);
        const result = renderHaproxy(model);
        for (const d of result.diagnostics) byCode.set(d.code, (byCode.get(d.code) ?? 0) + 1);
        const text = result.files[0]!.content;
        assertSafeText(text);
        for (const file of result.files.slice(1)) {
          // The crt-list: an absolute certificate path, then safe host names.
          for (const line of file.content.split('\n').filter((l) => l !== '' && !l.startsWith('# '))) {
            const [path, ...filters] = line.split(' ');
            expect(path).toMatch(/^\/[A-Za-z0-9_./-]+$/);
            for (const f of filters) expect(f).toMatch(SAFE_HOST);
          }
        }
        expect(renderHaproxy(model)).toEqual(result);
        const errors = result.diagnostics.filter((d) => d.severity === Severity.SEVERITY_ERROR);
        for (const r of records) {
          // A wildcard `*.x` is printed as `-m end .x` (only for a host that is one: `[.x` is not).
          const hostPrinted = text.includes(` -m str ${r.host}\n`) || (r.host.startsWith('*.') && text.includes(` -m end ${r.host.slice(1)}\n`));
          if (!SAFE_HOST.test(r.host) || r.host.length > 253) {
            expect(hostPrinted).toBe(false);
            expect(errors.some((d) => d.code === 'unsafe-value' && d.label === 'com.docker.lb.hosts')).toBe(true);
          }
        }
      }),
      { numRuns: RUNS, seed: 20261125 },
    );
  });

  it('never keep the file from passing `haproxy -c` (batched)', () => {
    const pki = makePki(['example.com', '*.example.com']);
    const secrets = mkdtempSync(join(tmpdir(), 'sy-haproxy-fuzz-'));
    try {
      const batches = fc.sample(fc.array(recordArb, { minLength: 30, maxLength: 40 }), { numRuns: BINARY_BATCHES, seed: 4242 });
      for (const records of batches) {
        const model = modelOf(records);
        for (const cert of model.certificates) {
          if (/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(cert.certFile)) installCert(pki, secrets, cert.certFile);
        }
        const { files } = renderHaproxy(model);
        const { status, output } = haproxyCheck(files, secrets);
        binaryRuns++;
        expect(output).not.toMatch(/ALERT|WARNING/);
        expect(status).toBe(0);
      }
    } finally {
      pki.cleanup();
      rmSync(secrets, { recursive: true, force: true });
    }
  });
});
