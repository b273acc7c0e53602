/**
 * One service can never redirect, intercept TLS of, or break another's routes, and labels that are
 * each valid never make `nginx -t` fail for everyone. Each case runs a real nginx on loopback.
 */
import https from 'node:https';
import type net from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ProxyModel } from '@switchyard/proto';
import type { TlsCertificate } from '@switchyard/proto';
import { closeAll, httpGet, httpsGet, listen, makeCa, startEcho, startNginx, tlsProbe, up } from './suites/live.js';
import type { LiveProxy, TestCa } from './suites/live.js';

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

describe('certificates', () => {
  it("presents the victim's own certificate, not another service's whose SAN names the victim's host", async () => {
    proxy = await startNginx(
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

  it('loads 40 certificates (past the 64-word line limit) and serves each host with its own', async () => {
    const n = 40;
    for (let i = 0; i < n; i++) ca.issue(`many${i}.pem`, [`many${i}.test`]);
    proxy = await startNginx(
      ProxyModel.fromPartial({
        hosts: Array.from({ length: n }, (_, i) => ({ host: `many${i}.test`, certificate: `many${i}`, routes: [{ path: '/', upstream: 'web' }] })),
        certificates: Array.from({ length: n }, (_, i) => cert(`many${i}`)),
        upstreams: [up('web', [ports['web']!])],
      }),
      ca.dir,
    );
    expect(significant(proxy)).toEqual([]);
    for (const i of [0, 17, n - 1]) {
      expect((await tlsProbe(proxy.httpsPort, `many${i}.test`)).cn).toBe(`many${i}.test`);
      expect((await httpsGet(proxy.httpsPort, `many${i}.test`, ca.caPem)).server).toBe('web');
    }
  });
});

describe('host normalization', () => {
  it('routes Host "name." (trailing dot, with or without a port) to the host "name", not the default backend', async () => {
    proxy = await startNginx(
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
    proxy = await startNginx(ProxyModel.fromPartial({ ...model, upstreams: [up('api', [ports['api']!])] }), ca.dir, options);
    // The route on the redirect's own path is shadowed (and said so).
    expect(significant(proxy).filter((d) => !d.startsWith('duplicate-location: host web.test: route /same '))).toEqual([]);
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
  ])('services named like internal zones and upstreams route normally (%s)', async (_layout, options) => {
    const names = ['switchyard_ssl', 'switchyard_tls_terminate', 'sni_web', 'default', 'up_web'];
    proxy = await startNginx(
      ProxyModel.fromPartial({
        hosts: [
          ...names.map((name) => ({ host: `${name.replace(/_/g, '-')}.test`, routes: [{ path: '/', upstream: name }] })),
          { host: 'victim.test', certificate: 'victim', routes: [{ path: '/', upstream: 'victim' }] },
        ],
        sniRoutes: [
          { host: 'x.pass.test', upstream: 'switchyard_tls_terminate' },
          { host: 'y.pass.test', upstream: 'web' },
        ],
        certificates: [cert('victim')],
        upstreams: [...names.map((name) => up(name, [ports['web']!])), up('web', [ports['pass']!]), up('victim', [ports['victim']!])],
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

describe('SNI map keys are never map parameters', () => {
  it.each([
    ['one file', {}],
    ['split: the map lines in switchyard.d/stream/sni-NNN.map', { maxFileBytes: 1024 }],
  ])('passes through server names "default", "include", "hostnames" and "volatile" and keeps the default (%s)', async (_layout, options) => {
    const keys = ['default', 'hostnames', 'include', 'volatile'];
    proxy = await startNginx(
      ProxyModel.fromPartial({
        hosts: [{ host: 'victim.test', certificate: 'victim', routes: [{ path: '/', upstream: 'victim' }] }],
        sniRoutes: keys.map((host) => ({ host, upstream: 'pass' })),
        certificates: [cert('victim')],
        upstreams: [up('pass', [ports['pass']!]), up('victim', [ports['victim']!])],
      }),
      ca.dir,
      options,
    );
    expect(significant(proxy)).toEqual([]);
    if ('maxFileBytes' in options) expect(proxy.files.map((f) => f.path)).toContain('switchyard.d/stream/sni-001.map');
    for (const key of keys) expect((await tlsProbe(proxy.httpsPort, key)).cn).toBe('*.pass.test');
    // Everything else still goes to termination, not to the "default" route.
    expect((await tlsProbe(proxy.httpsPort, 'victim.test')).cn).toBe('victim.test');
    expect((await tlsProbe(proxy.httpsPort, 'other.test')).ok).toBe(false);
  });
});

describe('wildcards never capture TLS of other services', () => {
  it("a wildcard certificate does not serve another service's plain-HTTP exact host over HTTPS", async () => {
    proxy = await startNginx(
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
    proxy = await startNginx(
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
