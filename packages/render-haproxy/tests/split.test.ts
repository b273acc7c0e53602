/**
 * The split layout (`maxFileBytes`): no golden files; every file set is laid out in a temp dir exactly as
 * the proxy sees it and checked with the real `haproxy -c -f haproxy.cfg -f switchyard.d`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ProxyModel, Severity } from '@switchyard/proto';
import type { HttpHost, RenderedFile, SniRoute, Upstream } from '@switchyard/proto';
import { endpoint, upstream as upstreamOf } from '../../../tools/testing/model.js';
import { DEFAULT_MAX_FILE_BYTES, renderHaproxy } from '../src/index.js';
import { installCert, makePki } from './helpers/tools.js';
import type { TestPki } from './helpers/tools.js';

jest.setTimeout(60_000);

let pki: TestPki;

beforeAll(() => {
  pki = makePki(['example.com', '*.example.com']);
  installCert(pki, pki.dir, 'big.pem');
});

afterAll(() => pki.cleanup());

/** Writes `files` under a new temp dir (main file at the top, the others at their relative paths). */
function layOut(files: RenderedFile[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'sy-haproxy-split-'));
  for (const file of files) {
    mkdirSync(dirname(join(dir, file.path)), { recursive: true });
    writeFileSync(join(dir, file.path), file.content);
  }
  mkdirSync(join(dir, 'switchyard.d'), { recursive: true });
  return dir;
}

/** `haproxy -dW -c` (zero-warning mode) on the laid-out set, as the proxy image starts it. */
function check(files: RenderedFile[]): { status: number | null; output: string } {
  const dir = layOut(files);
  try {
    const res = spawnSync('haproxy', ['-dW', '-c', '-f', join(dir, 'haproxy.cfg'), '-f', join(dir, 'switchyard.d')], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    return { status: res.status, output: `${res.stdout ?? ''}${res.stderr ?? ''}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** An upstream with an endpoint on port 8080 at each address. */
const upstream = (name: string, addresses: string[], extra: Partial<Upstream> = {}): Upstream =>
  upstreamOf(name, addresses.map((address, k) => endpoint(address, 8080, name, 1, `${name}-task-${k}-0123456789abcdef`)), extra);

/** 1,500 services × 3 endpoints with context roots, sticky cookies, wildcards, redirects and SNI routes. */
function bigModel(): ProxyModel {
  const hosts: HttpHost[] = [];
  const upstreams: Upstream[] = [];
  const sniRoutes: SniRoute[] = [];
  for (let i = 0; i < 1500; i++) {
    const name = `app${i}`;
    const addresses = [0, 1, 2].map((k) => `10.${k}.${i >> 8}.${i & 255}`);
    upstreams.push(upstream(name, addresses, { stickyCookie: 'SESSION' }));
    hosts.push({
      host: `app${i}.example.com`,
      certificate: i % 100 === 0 ? 'big' : '',
      sslOnly: i % 100 === 0,
      routes: [
        { path: '/', upstream: name, stripPrefix: false, websocket: false },
        { path: `/api${i}`, upstream: name, stripPrefix: true, websocket: i % 3 === 0 },
      ],
      redirects: i % 10 === 0 ? [{ fromPath: '/old', toUrl: `https://app${i}.example.com/new` }] : [],
    });
    if (i % 50 === 0) hosts.push({ host: `*.w${i}.example.com`, certificate: '', sslOnly: false, routes: [{ path: '/', upstream: name, stripPrefix: false, websocket: false }], redirects: [] });
    if (i % 25 === 0) sniRoutes.push({ host: i % 50 === 0 ? `*.pass${i}.example.com` : `pass${i}.example.com`, upstream: name });
  }
  return ProxyModel.fromPartial({
    hosts,
    upstreams,
    sniRoutes,
    certificates: [{ name: 'big', certSecret: 'big.crt', keySecret: 'big.key', certFile: 'big.pem', keyFile: 'big.pem.key' }],
  });
}

function smallModel(): ProxyModel {
  return ProxyModel.fromPartial({
    hosts: ['a', 'b', 'c', 'd', 'e', 'f'].map((h) => ({
      host: `${h}.example.com`,
      routes: [
        { path: '/', upstream: h },
        { path: '/api', upstream: `${h}-api`, stripPrefix: true },
      ],
      redirects: [{ fromPath: '/old', toUrl: 'http://new.example.com' }],
    })),
    upstreams: ['a', 'b', 'c', 'd', 'e', 'f'].flatMap((h) => [upstream(h, [2, 3, 4, 5, 6, 7].map((k) => `10.0.0.${k}`)), upstream(`${h}-api`, ['10.0.1.2'])]),
    sniRoutes: [{ host: 'pass.example.com', upstream: 'a' }],
  });
}

/** `n` TLS hosts, each with a certificate of its own (the files installed in the test PKI's directory). */
function certificatesModel(n: number): ProxyModel {
  for (let i = 0; i < n; i++) if (!existsSync(join(pki.dir, `c${i}.pem`))) installCert(pki, pki.dir, `c${i}.pem`);
  return ProxyModel.fromPartial({
    hosts: Array.from({ length: n }, (_v, i) => ({ host: `tls${i}.example.com`, certificate: `c${i}`, routes: [{ path: '/', upstream: 'web' }] })),
    upstreams: [upstream('web', ['10.0.0.2'])],
    certificates: Array.from({ length: n }, (_v, i) => ({ name: `c${i}`, certSecret: `c${i}.crt`, keySecret: `c${i}.key`, certFile: `c${i}.pem`, keyFile: `c${i}.pem.key` })),
  });
}

function expectValidLayout(files: RenderedFile[], max: number): void {
  expect(files[0]?.path).toBe('haproxy.cfg');
  const rest = files.slice(1).map((f) => f.path);
  expect(rest).toEqual([...rest].sort());
  for (const path of rest) expect(path).toMatch(/^switchyard\.d\/(?:part-\d{3}\.cfg|[a-z-]+-\d{3}\.map|certificates(?:-\d{3})?\.crt-list)$/);
  expect(new Set(files.map((f) => f.path)).size).toBe(files.length);
  for (const file of files) expect(Buffer.byteLength(file.content)).toBeLessThanOrEqual(max);
}

describe('split layout', () => {
  it('splits a 1,500-service model into files of at most 400,000 bytes that haproxy -c accepts', () => {
    const model = bigModel();
    const secretsDir = pki.dir;
    const oneFile = renderHaproxy(model, { secretsDir, maxFileBytes: Number.POSITIVE_INFINITY });
    expect(Buffer.byteLength(oneFile.files[0]!.content)).toBeGreaterThan(DEFAULT_MAX_FILE_BYTES);

    const { files, diagnostics } = renderHaproxy(model, { secretsDir });
    expect(diagnostics).toEqual(oneFile.diagnostics);
    expect(diagnostics).toEqual([]);
    expectValidLayout(files, DEFAULT_MAX_FILE_BYTES);
    const paths = files.map((f) => f.path);
    expect(paths.filter((p) => p.endsWith('.cfg')).length).toBeGreaterThanOrEqual(3);
    for (const table of ['hosts', 'wildcards', 'ssl-only', 'routes', 'sni', 'sni-wildcards']) {
      expect(paths).toContain(`switchyard.d/${table}-001.map`);
    }
    // Every backend and every route is still there, each exactly once.
    const all = files.map((f) => f.content).join('\n');
    expect(all.match(/^backend up_/gm)).toHaveLength(1500);
    expect(all.match(/^backend tcp_/gm)).toHaveLength(60);
    expect(all.match(/^ {4}server task-/gm)).toHaveLength(4680);
    expect(all.match(/^app\d+\.example\.com\/\S* \d+:up_app\d+$/gm)).toHaveLength(3000);
    // The main file routes through the maps: no per-host rule is left in it.
    const main = files[0]!.content;
    expect(main).toContain('    default-path config\n');
    expect(main).not.toMatch(/app\d+\.example\.com/);
    expect(Buffer.byteLength(main)).toBeLessThan(10_000);

    const { status, output } = check(files);
    expect(output).not.toMatch(/WARNING|ALERT/);
    expect(status).toBe(0);
  });

  it('splits a small model when maxFileBytes is tiny, and haproxy -c accepts the set', () => {
    const model = smallModel();
    const whole = renderHaproxy(model);
    expect(whole.files).toHaveLength(1);
    const { files, diagnostics } = renderHaproxy(model, { maxFileBytes: 5500 });
    expect(diagnostics).toEqual([]);
    expectValidLayout(files, 5500);
    // The main file, the maps, and the backends packed into as many parts as the limit needs.
    const paths = files.map((f) => f.path);
    expect(paths.filter((p) => !/^switchyard\.d\/part-\d{3}\.cfg$/.test(p))).toEqual(['haproxy.cfg', 'switchyard.d/hosts-001.map', 'switchyard.d/routes-001.map', 'switchyard.d/sni-001.map']);
    expect(paths.filter((p) => p.startsWith('switchyard.d/part-')).length).toBeGreaterThanOrEqual(1);
    const routes = files.find((f) => f.path === 'switchyard.d/routes-001.map')!.content;
    // Longest prefix first within a host (a redirect first on an equal length); "/api" strips 1 path segment.
    expect(routes).toContain('a.example.com/old/ redirect:http://new.example.com\na.example.com/api/ 1:up_a-api\na.example.com/ 0:up_a\n');
    const { status, output } = check(files);
    expect(output).not.toMatch(/WARNING|ALERT/);
    expect(status).toBe(0);
  });

  it('keeps the one-file output unchanged when the configuration fits', () => {
    const model = smallModel();
    expect(renderHaproxy(model, { maxFileBytes: 100_000 })).toEqual(renderHaproxy(model, { maxFileBytes: Number.POSITIVE_INFINITY }));
    expect(renderHaproxy(model).files.map((f) => f.path)).toEqual(['haproxy.cfg']);
  });

  it('accepts an empty switchyard.d directory next to a one-file configuration', () => {
    const { files } = renderHaproxy(smallModel());
    expect(files).toHaveLength(1);
    const { status, output } = check(files);
    expect(output).not.toMatch(/WARNING|ALERT/);
    expect(status).toBe(0);
  });

  it('is deterministic: same files for the same model, whatever the input order', () => {
    const model = smallModel();
    const reversed = ProxyModel.fromPartial({ ...model, hosts: [...model.hosts].reverse(), upstreams: [...model.upstreams].reverse() });
    const one = renderHaproxy(model, { maxFileBytes: 5500 });
    expect(renderHaproxy(model, { maxFileBytes: 5500 })).toEqual(one);
    expect(renderHaproxy(reversed, { maxFileBytes: 5500 })).toEqual(one);
  });

  it('reports an invalid maxFileBytes and uses the default', () => {
    for (const bad of [0, -5, 1.5, 100, Number.NaN]) {
      const { files, diagnostics } = renderHaproxy(smallModel(), { maxFileBytes: bad });
      expect(diagnostics.map((d) => [d.code, d.severity])).toEqual([['invalid-option', Severity.SEVERITY_ERROR]]);
      expect(diagnostics[0]?.message).toContain('maxFileBytes');
      expect(files).toHaveLength(1);
    }
  });

  it('splits a long certificate list into certificates-NNN.crt-list files, all on the bind line, and haproxy -c accepts the set', () => {
    const model = certificatesModel(400);
    const secretsDir = pki.dir;
    const oneFile = renderHaproxy(model, { secretsDir, maxFileBytes: Number.POSITIVE_INFINITY });
    const whole = oneFile.files.find((f) => f.path === 'switchyard.d/certificates.crt-list')!;
    const max = 6000;
    expect(Buffer.byteLength(whole.content)).toBeGreaterThan(3 * max);

    const { files, diagnostics } = renderHaproxy(model, { secretsDir, maxFileBytes: max });
    expect(diagnostics).toEqual([]);
    expectValidLayout(files, max);
    const lists = files.filter((f) => f.path.endsWith('.crt-list'));
    expect(lists.map((f) => f.path)).toEqual(lists.map((_f, i) => `switchyard.d/certificates-${String(i + 1).padStart(3, '0')}.crt-list`));
    expect(lists.length).toBeGreaterThanOrEqual(4);
    // The same lines in the same order, each file with the header comment.
    const lines = (text: string) => text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    expect(lists.flatMap((f) => lines(f.content))).toEqual(lines(whole.content));
    expect(lines(whole.content)).toHaveLength(400);
    for (const list of lists) expect(list.content).toMatch(/^# .*\n# Certificates of the terminating bind/m);
    // One bind line names every list, in order.
    const bind = files[0]!.content.split('\n').find((l) => l.includes(' crt-list '))!;
    expect(bind.match(/crt-list (\S+)/g)).toEqual(lists.map((f) => `crt-list ${f.path}`));

    const { status, output } = check(files);
    expect(output).not.toMatch(/WARNING|ALERT/);
    expect(status).toBe(0);
  });

  it('keeps one certificates.crt-list when it fits, even when haproxy.cfg is split', () => {
    const { files, diagnostics } = renderHaproxy(certificatesModel(40), { secretsDir: pki.dir, maxFileBytes: 6000 });
    expect(diagnostics).toEqual([]);
    expect(files.map((f) => f.path).filter((p) => p.endsWith('.crt-list'))).toEqual(['switchyard.d/certificates.crt-list']);
    expect(files.some((f) => f.path.startsWith('switchyard.d/part-'))).toBe(true);
    expect(check(files).status).toBe(0);
  });

  it('reports a bind line past the 64 words HAProxy reads (too many crt-list files for a tiny maxFileBytes)', () => {
    // 27 lists: 61 words, accepted.
    const near = renderHaproxy(certificatesModel(400), { secretsDir: pki.dir, maxFileBytes: 1024 });
    expect(near.files.filter((f) => f.path.endsWith('.crt-list'))).toHaveLength(27);
    expect(near.diagnostics.map((d) => d.code)).not.toContain('too-many-certificate-lists');
    expect(check(near.files).status).toBe(0);
    // More lists than the line holds: reported, and HAProxy does refuse it.
    const { files, diagnostics } = renderHaproxy(certificatesModel(600), { secretsDir: pki.dir, maxFileBytes: 1024 });
    expect(files.filter((f) => f.path.endsWith('.crt-list')).length).toBeGreaterThan(29);
    expect(diagnostics.map((d) => [d.code, d.severity])).toContainEqual(['too-many-certificate-lists', Severity.SEVERITY_ERROR]);
    const refused = check(files);
    expect(refused.output).toContain('too many words');
    expect(refused.status).not.toBe(0);
  });

  it('reports a file that cannot be made small enough (one huge backend)', () => {
    const addresses = Array.from({ length: 200 }, (_v, k) => `10.9.${k >> 8}.${k & 255}`);
    const model = ProxyModel.fromPartial({ hosts: [{ host: 'big.example.com', routes: [{ path: '/', upstream: 'big' }] }], upstreams: [upstream('big', addresses)] });
    const { files, diagnostics } = renderHaproxy(model, { maxFileBytes: 5500 });
    const part = files.find((f) => f.path === 'switchyard.d/part-001.cfg');
    expect(Buffer.byteLength(part!.content)).toBeGreaterThan(5000);
    expect(diagnostics.map((d) => d.code)).toEqual(['file-too-large']);
    expect(diagnostics[0]?.message).toContain('switchyard.d/part-001.cfg');
    // Still a valid configuration.
    expect(check(files).status).toBe(0);
  });
});

