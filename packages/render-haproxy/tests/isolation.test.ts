/**
 * One service can never redirect, intercept TLS of, or break another's routes, and labels that are
 * each valid never make `haproxy -c` fail for everyone. Each case runs a real HAProxy on loopback.
 */
import https from 'node:https';
import type net from 'node:net';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ProxyModel } from '@switchyard/proto';
import type { TlsCertificate } from '@switchyard/proto';
import { closeAll, httpGet, httpsGet, listen, makeCa, startEcho, startHaproxy, tlsProbe, up } from './helpers/live.js';
import type { LiveProxy, TestCa } from './helpers/live.js';

jest.setTimeout(60_000);

let ca: TestCa;
const servers: net.Server[] = [];
const ports: Record<string, number> = {};
let proxy: LiveProxy | undefined;

/** Diagnostics other than the split layout's oversized main file (tiny maxFileBytes on purpose). */
const significant = (p: LiveProxy): string[] => p.diagnostics.filter((d) => d.code !== 'file-too-large').map((d) => `${d.code}: ${d.message}`);

const cert = (name: string): TlsCertificate => ({ name, certSecret: name, keySecret: `${name}.key`, certFile: `${name}.pem`, keyFile: `${name}.pem.key` });

beforeAll(async () => {
  ca = makeCa();
  ca.issue('attacker.pem', ['attacker.test', 'victim.test']);
  ca.issue('victim.pem', ['victim.test']);
  ca.issue('wild.pem', ['*.good.test']);
  ca.issue('owned.pem', ['owned.pass.test']);
  ca.issue('passwild.pem', ['*.pass.test']);
  for (const name of ['attacker', 'victim', 'wild', 'web', 'api', 'default', 'owned', 'plain']) ports[name] = await startEcho(name, servers);
  const passServer = https.createServer({ cert: readFileSync(join(ca.dir, 'passwild.pem')), key: readFileSync(join(ca.dir, 'passwild.pem.key')) }, (_req, res) =>
    res.end(JSON.stringify({ server: 'passthrough' })),
  );
  servers.push(passServer);
  ports['pass'] = await listen(passServer);
});

afterEach(async () => {
  await proxy?.stop();
  proxy = undefined;
});

afterAll(async () => {
  await closeAll(servers);
  ca?.cleanup();
});

describe('certificates (crt-list with an SNI filter per certificate)', () => {
  it("presents the victim's own certificate, not another service's whose SAN names the victim's host", async () => {
    proxy = await startHaproxy(
      ProxyModel.fromPartial({
        hosts: [
          { host: 'attacker.test', certificate: 'attacker', routes: [{ path: '/', upstream: 'attacker' }] },
          { host: 'victim.test', certificate: 'victim', routes: [{ path: '/', upstream: 'victim' }] },
        ],
        certificates: [cert('attacker'), cert('victim')],
        upstreams: [up('attacker', [ports['attacker']!]), up('victim', [ports['victim']!])],
      }),
      ca.dir,
    );
    expect(significant(proxy)).toEqual([]);
    const probe = await tlsProbe(proxy.httpsPort, 'victim.test');
    expect(probe).toMatchObject({ ok: true, cn: 'victim.test' });
    expect((await tlsProbe(proxy.httpsPort, 'attacker.test')).cn).toBe('attacker.test');
    expect((await httpsGet(proxy.httpsPort, 'victim.test', ca.caPem)).server).toBe('victim');
  });

  it.each([
    ['one file', {}],
    ['split: certificates-NNN.crt-list', { maxFileBytes: 1024 }],
  ])('loads 40 certificates (past the 64-word line limit) and serves each host with its own (%s)', async (_layout, options) => {
    const n = 40;
    for (let i = 0; i < n; i++) if (!existsSync(join(ca.dir, `many${i}.pem`))) ca.issue(`many${i}.pem`, [`many${i}.test`]);
    proxy = await startHaproxy(
      ProxyModel.fromPartial({
        hosts: Array.from({ length: n }, (_, i) => ({ host: `many${i}.test`, certificate: `many${i}`, routes: [{ path: '/', upstream: 'web' }] })),
        certificates: Array.from({ length: n }, (_, i) => cert(`many${i}`)),
        upstreams: [up('web', [ports['web']!])],
      }),
      ca.dir,
      options,
    );
    expect(significant(proxy)).toEqual([]);
    const lists = proxy.files.filter((f) => f.path.endsWith('.crt-list')).map((f) => f.path);
    expect(lists.length === 1).toBe(!('maxFileBytes' in options));
    for (const i of [0, 17, n - 1]) {
      expect((await tlsProbe(proxy.httpsPort, `many${i}.test`)).cn).toBe(`many${i}.test`);
      expect((await httpsGet(proxy.httpsPort, `many${i}.test`, ca.caPem)).server).toBe('web');
    }
  });
});

describe('host normalization', () => {
  it('routes Host "name." (trailing dot, with or without a port) to the host "name", not the default backend', async () => {
    proxy = await startHaproxy(
      ProxyModel.fromPartial({
        hosts: [{ host: 'web.test', routes: [{ path: '/', upstream: 'web' }] }],
        defaultUpstream: 'default',
        upstreams: [up('web', [ports['web']!]), up('default', [ports['default']!])],
      }),
      ca.dir,
    );
    expect((await httpGet(proxy.httpPort, 'web.test.', '/')).server).toBe('web');
    expect((await httpGet(proxy.httpPort, 'WEB.test.:8080', '/')).server).toBe('web');
    expect((await httpGet(proxy.httpPort, 'other.test', '/')).server).toBe('default');
  });
});

describe('redirects and context roots: the most specific path wins, a redirect on an equal path', () => {
  const model = ProxyModel.fromPartial({
    hosts: [
      {
        host: 'web.test',
        routes: [
          { path: '/api', upstream: 'api' },
          { path: '/same', upstream: 'api' },
        ],
        redirects: [
          { fromPath: '/', toUrl: 'http://elsewhere.test' },
          { fromPath: '/api/old', toUrl: 'http://old.test' },
          { fromPath: '/same', toUrl: 'http://same.test' },
        ],
      },
    ],
    upstreams: [up('api', [ports['api'] ?? 1])],
  });

  it.each([
    ['one file', {}],
    ['split', { maxFileBytes: 1024 }],
  ])('%s', async (_layout, options) => {
    proxy = await startHaproxy(ProxyModel.fromPartial({ ...model, upstreams: [up('api', [ports['api']!])] }), ca.dir, options);
    expect(significant(proxy)).toEqual([]);
    const api = await httpGet(proxy.httpPort, 'web.test', '/api/users');
    expect(api.status).toBe(200);
    expect(api.server).toBe('api');
    const old = await httpGet(proxy.httpPort, 'web.test', '/api/old/x?q=1');
    expect(old.status).toBe(302);
    expect(old.headers.location).toBe('http://old.test/api/old/x?q=1');
    const root = await httpGet(proxy.httpPort, 'web.test', '/other');
    expect(root.status).toBe(302);
    expect(root.headers.location).toBe('http://elsewhere.test/other');
    expect((await httpGet(proxy.httpPort, 'web.test', '/same/x')).headers.location).toBe('http://same.test/same/x');
  });
});

describe('internal names are namespaced', () => {
  it.each([
    ['one file', {}],
    ['split', { maxFileBytes: 1024 }],
  ])('services named like internal sections route normally (%s)', async (_layout, options) => {
    const names = ['sy_default', 'sy_stats', 'sy_tls_terminate', 'sy_tls_reject', 'sy_tcp', 'fe_http', 'fe_tls', 'stats', 'switchyard_ssl', 'up_web', 'tcp_web'];
    proxy = await startHaproxy(
      ProxyModel.fromPartial({
        hosts: [
          ...names.map((name) => ({ host: `${name.replace(/_/g, '-')}.test`, routes: [{ path: '/', upstream: name }] })),
          { host: 'victim.test', certificate: 'victim', routes: [{ path: '/', upstream: 'victim' }] },
        ],
        sniRoutes: [{ host: 'passthrough.pass.test', upstream: 'sy_tls_terminate' }],
        certificates: [cert('victim')],
        upstreams: [...names.map((name) => up(name, [ports['web']!])), up('victim', [ports['victim']!])],
      }),
      ca.dir,
      options,
    );
    expect(significant(proxy)).toEqual([]);
    for (const name of names) expect((await httpGet(proxy.httpPort, `${name.replace(/_/g, '-')}.test`)).server).toBe('web');
    expect((await httpGet(proxy.httpPort, 'unknown.test')).status).toBe(503);
    expect((await httpsGet(proxy.httpsPort, 'victim.test', ca.caPem)).server).toBe('victim');
  });
});

describe('wildcards never capture TLS of other services', () => {
  it("a wildcard certificate does not serve another service's plain-HTTP exact host over HTTPS", async () => {
    proxy = await startHaproxy(
      ProxyModel.fromPartial({
        hosts: [
          { host: '*.good.test', certificate: 'wild', routes: [{ path: '/', upstream: 'wild' }] },
          { host: 'victim.good.test', routes: [{ path: '/', upstream: 'victim' }] },
        ],
        certificates: [cert('wild')],
        upstreams: [up('wild', [ports['wild']!]), up('victim', [ports['victim']!])],
      }),
      ca.dir,
    );
    expect((await httpsGet(proxy.httpsPort, 'a.good.test', ca.caPem)).server).toBe('wild');
    expect((await httpGet(proxy.httpPort, 'victim.good.test')).server).toBe('victim');
    const probe = await tlsProbe(proxy.httpsPort, 'victim.good.test');
    expect(probe.ok).toBe(false);
  });

  it.each([
    ['one file', {}],
    ['split', { maxFileBytes: 1024 }],
  ])("a wildcard SNI passthrough route does not capture other services' exact hosts (%s)", async (_layout, options) => {
    proxy = await startHaproxy(
      ProxyModel.fromPartial({
        hosts: [
          { host: 'owned.pass.test', certificate: 'owned', routes: [{ path: '/', upstream: 'owned' }] },
          { host: 'plain.pass.test', routes: [{ path: '/', upstream: 'plain' }] },
        ],
        sniRoutes: [{ host: '*.pass.test', upstream: 'pass' }],
        certificates: [cert('owned')],
        upstreams: [up('pass', [ports['pass']!]), up('owned', [ports['owned']!]), up('plain', [ports['plain']!])],
      }),
      ca.dir,
      options,
    );
    expect(significant(proxy)).toEqual([]);
    expect((await httpsGet(proxy.httpsPort, 'x.pass.test', ca.caPem)).server).toBe('passthrough');
    // Terminated by the proxy with the owner's certificate and routed to the owner.
    expect((await tlsProbe(proxy.httpsPort, 'owned.pass.test')).cn).toBe('owned.pass.test');
    expect((await httpsGet(proxy.httpsPort, 'owned.pass.test', ca.caPem)).server).toBe('owned');
    // No TLS of its own: refused, never passed to the wildcard's tasks.
    expect((await tlsProbe(proxy.httpsPort, 'plain.pass.test')).ok).toBe(false);
  });
});
