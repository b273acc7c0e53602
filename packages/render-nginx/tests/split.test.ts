/**
 * The split layout (`maxFileBytes`): no golden files; every file set is laid out in a temp dir exactly
 * as the proxy sees it and checked with the real `nginx -t -c <dir>/nginx.conf` (plus `nginx -T` to
 * see which files nginx actually read).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProxyModel, Severity, type HttpHost, type Upstream } from '@switchyard/proto';
import { endpoint, upstream as upstreamOf } from '../../../tools/testing/model.js';
import { DEFAULT_MAX_FILE_BYTES, renderNginx, type NginxRenderOptions } from '../src/index.js';
import { createPki, nginxCheckFiles, populateSecrets, type FileLike, type TestPki } from './helpers.js';

jest.setTimeout(60_000);

let pki: TestPki;
let secrets: string;

beforeAll(() => {
  pki = createPki(['localhost']);
  secrets = mkdtempSync(join(tmpdir(), 'render-nginx-split-secrets-'));
  populateSecrets(pki, secrets, [{ certFile: 'big.crt', keyFile: 'big.key' }]);
});

afterAll(() => {
  pki?.cleanup();
  if (secrets) rmSync(secrets, { recursive: true, force: true });
});

/** An upstream with an endpoint on port 8080 at each address. */
const upstream = (name: string, addresses: string[], extra: Partial<Upstream> = {}): Upstream =>
  upstreamOf(name, addresses.map((address) => endpoint(address, 8080, name, 1, '')), extra);

/** 1,500 hosts × 3 endpoints with context roots (stripped), sticky cookies, some TLS and redirects. */
function bigModel(): ProxyModel {
  const hosts: HttpHost[] = [];
  const upstreams: Upstream[] = [];
  for (let i = 0; i < 1500; i++) {
    const name = `app${i}`;
    upstreams.push(upstream(name, [0, 1, 2].map((k) => `10.${k}.${i >> 8}.${i & 255}`), { stickyCookie: 'session' }));
    hosts.push({
      host: `app${i}.example.com`,
      certificate: i % 100 === 0 ? 'big' : '',
      sslOnly: i % 200 === 0,
      routes: [
        { path: '/', upstream: name, stripPrefix: false, websocket: false },
        { path: `/api${i}`, upstream: name, stripPrefix: true, websocket: i % 3 === 0 },
      ],
      redirects: i % 10 === 0 ? [{ fromPath: '/old', toUrl: `https://app${i}.example.com/new` }] : [],
    });
  }
  return ProxyModel.fromPartial({
    hosts,
    upstreams,
    certificates: [{ name: 'big', certSecret: 'big.crt', keySecret: 'big.key', certFile: 'big.crt', keyFile: 'big.key' }],
  });
}

function smallModel(): ProxyModel {
  const names = ['a', 'b', 'c', 'd', 'e', 'f'];
  return ProxyModel.fromPartial({
    hosts: names.map((h) => ({
      host: `${h}.example.com`,
      routes: [
        { path: '/', upstream: h },
        { path: '/api', upstream: `${h}-api`, stripPrefix: true },
      ],
    })),
    upstreams: names.flatMap((h) => [upstream(h, ['10.0.0.2', '10.0.0.3', '10.0.0.4']), upstream(`${h}-api`, ['10.0.1.2'])]),
  });
}

/** `http` hosts of {@link smallModel} plus `n` passthrough hosts, two per upstream (every tenth a wildcard). */
function passthroughModel(n: number): ProxyModel {
  const base = smallModel();
  const sniRoutes = Array.from({ length: n }, (_v, i) => ({ host: i % 10 === 9 ? `*.pass${i}.example.com` : `pass${i}.example.com`, upstream: `pass${i >> 1}` }));
  const upstreams = Array.from({ length: Math.ceil(n / 2) }, (_v, i) => upstream(`pass${i}`, [`10.8.${i >> 8}.${i & 255}`, `10.9.${i >> 8}.${i & 255}`]));
  return ProxyModel.fromPartial({ ...base, sniRoutes, upstreams: [...base.upstreams, ...upstreams] });
}

/** Options that let nginx -t run unprivileged-friendly paths (logs and pid in the temp dir are not needed for -t). */
const opts = (extra: NginxRenderOptions = {}): NginxRenderOptions => ({ ...extra, config: { RLimitNoFile: 0, ...extra.config } });

function expectValidLayout(files: FileLike[], max: number): void {
  expect(files[0]?.path).toBe('nginx.conf');
  const rest = files.slice(1).map((f) => f.path);
  expect(rest).toEqual(rest.map((_p, i) => `switchyard.d/part-${String(i + 1).padStart(3, '0')}.conf`));
  for (const file of files) expect(Buffer.byteLength(file.content)).toBeLessThanOrEqual(max);
  expect(files[0]?.content).toContain('\n    include switchyard.d/*.conf;\n');
}

function count(files: FileLike[], re: RegExp): number {
  return files.reduce((n, f) => n + (f.content.match(re)?.length ?? 0), 0);
}

describe('split layout', () => {
  it('splits 1,500 hosts × 3 endpoints into files of at most 400,000 bytes that nginx -t accepts', () => {
    const model = bigModel();
    const oneFile = renderNginx(model, opts({ maxFileBytes: Number.POSITIVE_INFINITY }));
    expect(Buffer.byteLength(oneFile.files[0]!.content)).toBeGreaterThan(DEFAULT_MAX_FILE_BYTES);

    const { files, diagnostics } = renderNginx(model, opts());
    expect(diagnostics).toEqual([]);
    expect(diagnostics).toEqual(oneFile.diagnostics);
    expect(files.length).toBeGreaterThanOrEqual(3);
    expectValidLayout(files, DEFAULT_MAX_FILE_BYTES);
    // Nothing lost, nothing doubled: the same blocks as the one-file rendering.
    for (const re of [/^ {4}upstream /gm, /^ {4}server \{$/gm, /^ {8}server_name /gm, /^ {8}location /gm, /^ {8}server 10\./gm]) {
      expect(count(files, re)).toBe(count(oneFile.files, re));
    }
    expect(count(files, /^ {4}upstream /gm)).toBe(1500);
    expect(files[0]!.content).not.toMatch(/app\d+\.example\.com/);

    const check = nginxCheckFiles(files, secrets);
    expect(check.output).toBe('');
    expect(check.ok).toBe(true);
    expect(check.loaded).toEqual(files.map((f) => f.path));
  });

  it('splits a small model when maxFileBytes is tiny, and nginx -t accepts the set', () => {
    const model = smallModel();
    expect(renderNginx(model, opts()).files).toHaveLength(1);
    const { files, diagnostics } = renderNginx(model, opts({ maxFileBytes: 3200 }));
    expect(diagnostics).toEqual([]);
    expectValidLayout(files, 3200);
    expect(files.length).toBeGreaterThanOrEqual(3);
    // Upstreams first, then the server blocks, in the one-file order.
    const joined = files.slice(1).map((f) => f.content.replace(/^#.*\n/gm, '')).join('');
    const whole = renderNginx(model, opts()).files[0]!.content;
    const upstreamBlocks = whole.slice(whole.indexOf('\n\n    upstream ') + 1, whole.indexOf('\n\n    # Unknown hosts') + 1);
    const serverBlocks = whole.slice(whole.indexOf('\n\n    server {\n        listen 80;\n        server_name a.') + 1, whole.lastIndexOf('}\n'));
    const blocks = upstreamBlocks + serverBlocks;
    expect(joined).toBe(blocks);

    const check = nginxCheckFiles(files, secrets);
    expect(check.output).toBe('');
    expect(check.ok).toBe(true);
    expect(check.loaded).toEqual(files.map((f) => f.path));
  });

  it('keeps the one-file output unchanged when the configuration fits', () => {
    const model = smallModel();
    expect(renderNginx(model, opts({ maxFileBytes: 100_000 }))).toEqual(renderNginx(model, opts({ maxFileBytes: Number.POSITIVE_INFINITY })));
    const { files } = renderNginx(model, opts());
    expect(files.map((f) => f.path)).toEqual(['nginx.conf']);
    expect(files[0]?.content).not.toContain('include switchyard.d');
  });

  it('is deterministic: same files for the same model, whatever the input order', () => {
    const model = smallModel();
    const reversed = ProxyModel.fromPartial({ ...model, hosts: [...model.hosts].reverse(), upstreams: [...model.upstreams].reverse() });
    const one = renderNginx(model, opts({ maxFileBytes: 3200 }));
    expect(renderNginx(model, opts({ maxFileBytes: 3200 }))).toEqual(one);
    expect(renderNginx(reversed, opts({ maxFileBytes: 3200 }))).toEqual(one);
  });

  it('reports an invalid maxFileBytes and uses the default', () => {
    for (const bad of [0, -5, 1.5, 100, Number.NaN]) {
      const { files, diagnostics } = renderNginx(smallModel(), opts({ maxFileBytes: bad }));
      expect(diagnostics.map((d) => [d.code, d.severity])).toEqual([['invalid-option', Severity.SEVERITY_ERROR]]);
      expect(diagnostics[0]?.message).toContain('maxFileBytes');
      expect(files).toHaveLength(1);
    }
  });

  it('splits the stream {} block too (passthrough upstreams and SNI map lines), and nginx -t accepts the set', () => {
    // 400 passthrough hosts (two hosts per upstream, some wildcards) next to a few HTTP hosts.
    const model = passthroughModel(400);
    const oneFile = renderNginx(model, opts({ maxFileBytes: Number.POSITIVE_INFINITY }));
    const max = 8000;
    expect(Buffer.byteLength(oneFile.files[0]!.content)).toBeGreaterThan(4 * max);

    const { files, diagnostics } = renderNginx(model, opts({ maxFileBytes: max }));
    expect(diagnostics).toEqual([]);
    expect(diagnostics).toEqual(oneFile.diagnostics);
    const paths = files.map((f) => f.path);
    expect(paths).toEqual([...paths].sort((a, b) => (a === 'nginx.conf' ? -1 : b === 'nginx.conf' ? 1 : a < b ? -1 : 1)));
    const of = (re: RegExp) => paths.filter((p) => re.test(p));
    expect(of(/^switchyard\.d\/part-\d{3}\.conf$/).length).toBeGreaterThanOrEqual(1);
    expect(of(/^switchyard\.d\/stream\/part-\d{3}\.conf$/).length).toBeGreaterThanOrEqual(2);
    expect(of(/^switchyard\.d\/stream\/sni-\d{3}\.map$/).length).toBeGreaterThanOrEqual(2);
    expect(paths.length).toBe(1 + of(/^switchyard\.d\/(stream\/)?part-\d{3}\.conf$/).length + of(/\.map$/).length);
    for (const file of files) expect(Buffer.byteLength(file.content)).toBeLessThanOrEqual(max);

    const main = files[0]!.content;
    expect(main).toContain('\n    include switchyard.d/*.conf;\n');
    expect(main).toContain('\n        include switchyard.d/stream/*.map;\n');
    expect(main).toContain('\n    include switchyard.d/stream/*.conf;\n');
    expect(main).not.toMatch(/pass\d+\.example\.com/);
    // Nothing lost, nothing doubled: the same upstreams and map lines as the one-file rendering.
    for (const re of [/^ {4}upstream sni_/gm, /^ {8}server 10\./gm, /^ {8}'[^']+' sni_\w+;$/gm]) {
      expect(count(files, re)).toBe(count(oneFile.files, re));
    }
    expect(count(files, /^ {8}'[^']+' sni_\w+;$/gm)).toBe(400);
    // The stream parts hold only stream upstreams, the map files only map lines.
    for (const file of files.filter((f) => f.path.startsWith('switchyard.d/stream/'))) {
      const body = file.content.replace(/^#.*\n/gm, '');
      if (file.path.endsWith('.map')) expect(body).toMatch(/^( {8}'[^']+' sni_\w+;\n)+$/);
      else expect(body.match(/^ {4}upstream /gm)?.every(Boolean)).toBe(true);
      if (file.path.endsWith('.conf')) expect(body).not.toMatch(/^ {4}(server|map) /m);
    }

    const check = nginxCheckFiles(files, secrets);
    expect(check.output).toBe('');
    expect(check.ok).toBe(true);
    // nginx reads the map files first (the map comes before the upstreams); the modules snippets too.
    expect(check.loaded.filter((p) => !p.startsWith('/')).sort()).toEqual([...paths].sort());
  });

  it('keeps stream {} in nginx.conf when splitting the http blocks is enough', () => {
    const model = passthroughModel(4);
    const { files, diagnostics } = renderNginx(model, opts({ maxFileBytes: 6000 }));
    expect(diagnostics).toEqual([]);
    expect(files.map((f) => f.path).filter((p) => p.startsWith('switchyard.d/stream/'))).toEqual([]);
    expect(files[0]!.content).toContain("'\\\\pass0.example.com' sni_pass0;");
    expect(files[0]!.content).not.toContain('include switchyard.d/stream/');
    expect(nginxCheckFiles(files, secrets).ok).toBe(true);
  });

  it('reports a file that cannot be made small enough (one huge upstream), still valid for nginx', () => {
    const addresses = Array.from({ length: 150 }, (_v, k) => `10.9.${k >> 8}.${k & 255}`);
    const model = ProxyModel.fromPartial({ hosts: [{ host: 'big.example.com', routes: [{ path: '/', upstream: 'big' }] }], upstreams: [upstream('big', addresses)] });
    const { files, diagnostics } = renderNginx(model, opts({ maxFileBytes: 3000 }));
    expect(files.map((f) => f.path)).toEqual(['nginx.conf', 'switchyard.d/part-001.conf', 'switchyard.d/part-002.conf']);
    expect(diagnostics.map((d) => d.code)).toEqual(['file-too-large']);
    expect(diagnostics[0]?.message).toContain('switchyard.d/part-001.conf');
    const check = nginxCheckFiles(files, secrets);
    expect(check.output).toBe('');
    expect(check.ok).toBe(true);
  });
});
