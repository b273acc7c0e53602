import { Severity, type ProxyModel } from '@switchyard/proto';
import { buildModel, explainRequest } from '../src/index.js';
import { SnapshotBuilder, lb } from './snapshot-builder.js';

function model(build: (b: SnapshotBuilder) => SnapshotBuilder): ProxyModel {
  return buildModel(build(new SnapshotBuilder()).build(), { version: 7 });
}

describe('explainRequest: hosts', () => {
  const m = model((b) =>
    b
      .service('exact', lb('api.example.com'))
      .service('wild', lb('*.example.com'))
      .service('deep', lb('*.eu.example.com')),
  );

  it('routes an exact host to its upstream with its endpoints', () => {
    const e = explainRequest(m, 'api.example.com', '/users');
    expect(e).toMatchObject({ host: 'api.example.com', path: '/users', modelVersion: 7, routed: true });
    expect(e.http).toMatchObject({ kind: 'proxy', matchedHost: 'api.example.com', hostMatch: 'exact', upstream: 'exact', forwardedPath: '/users' });
    expect(e.upstreams.map((u) => u.upstream.name)).toEqual(['exact']);
    expect(e.upstreams[0]?.upstream.endpoints.map((x) => x.taskId)).toEqual(['exact.1']);
    expect(e.upstreams[0]?.shares).toEqual([{ service: 'exact', endpoints: 1, runningTasks: 1, share: 1 }]);
  });

  it('prefers the exact name over a wildcard, and the longest wildcard over a shorter one', () => {
    expect(explainRequest(m, 'api.example.com').http.upstream).toBe('exact');
    expect(explainRequest(m, 'www.example.com').http).toMatchObject({ upstream: 'wild', hostMatch: 'wildcard', matchedHost: '*.example.com' });
    expect(explainRequest(m, 'a.b.example.com').http.upstream).toBe('wild');
    expect(explainRequest(m, 'x.eu.example.com').http.upstream).toBe('deep');
  });

  it('does not let a wildcard match its bare suffix', () => {
    const e = explainRequest(m, 'example.com');
    expect(e.http.kind).toBe('unavailable');
    expect(e.routed).toBe(false);
  });

  it('ignores case, a port and a trailing dot in the host', () => {
    const e = explainRequest(m, 'API.Example.COM.:8080', '/');
    expect(e.host).toBe('api.example.com');
    expect(e.http.upstream).toBe('exact');
  });

  it('lists every service claiming the host, exact and wildcard alike', () => {
    expect(explainRequest(m, 'api.example.com').claimants.map((c) => [c.service, c.serving])).toEqual([
      ['exact', true],
      ['wild', false],
    ]);
  });
});

describe('explainRequest: paths', () => {
  const m = model((b) =>
    b
      .service('root', lb('p.local'))
      .service('api', lb('p.local', 8080, { context_root: '/api', context_root_rewrite: 'true' }))
      .service('v2', lb('p.local', 8080, { context_root: '/api/v2' }))
      .service('ws', lb('p.local', 8080, { context_root: '/chat', websocket_endpoints: '/chat/socket' })),
  );

  it('picks the longest matching prefix', () => {
    expect(explainRequest(m, 'p.local', '/api/v2/items').http).toMatchObject({ upstream: 'v2', forwardedPath: '/api/v2/items' });
    expect(explainRequest(m, 'p.local', '/api/v1/items').http.upstream).toBe('api');
    expect(explainRequest(m, 'p.local', '/other').http.upstream).toBe('root');
  });

  it('matches prefixes on whole path segments only', () => {
    expect(explainRequest(m, 'p.local', '/apix').http.upstream).toBe('root');
    expect(explainRequest(m, 'p.local', '/api').http.upstream).toBe('api');
    expect(explainRequest(m, 'p.local', '/api/').http.upstream).toBe('api');
  });

  it('strips the context root from the forwarded path when the route says so', () => {
    expect(explainRequest(m, 'p.local', '/api/v1/items?x=1').http).toMatchObject({
      route: { path: '/api', stripPrefix: true },
      forwardedPath: '/v1/items',
    });
    expect(explainRequest(m, 'p.local', '/api').http.forwardedPath).toBe('/');
  });

  it('flags websocket routes', () => {
    const e = explainRequest(m, 'p.local', '/chat/socket');
    expect(e.http.route).toMatchObject({ path: '/chat/socket', websocket: true, upstream: 'ws' });
    expect(e.http.summary).toMatch(/WebSocket/);
  });

  it('forwards the path as requested without strip_prefix, and the normalized rest with it', () => {
    // Both proxies pass the request line on unchanged when they do not rewrite it.
    expect(explainRequest(m, 'p.local', '/chat/../api//v2/./x?q=1').http).toMatchObject({ upstream: 'v2', forwardedPath: '/chat/../api//v2/./x' });
    expect(explainRequest(m, 'p.local', '/api/./v1//items').http).toMatchObject({ upstream: 'api', forwardedPath: '/v1/items' });
  });

  it('resolves dot segments, merges slashes and drops the query before matching', () => {
    expect(explainRequest(m, 'p.local', '/chat/../api//v2/./x?q=/chat').http.upstream).toBe('v2');
    expect(explainRequest(m, 'p.local', 'api/v2').path).toBe('/api/v2');
    expect(explainRequest(m, 'p.local', '/%61pi/v2').http.upstream).toBe('v2');
  });

  it('answers 503 on a known host when no route covers the path', () => {
    const only = model((b) => b.service('app', lb('q.local', 80, { context_root: '/app' })));
    const e = explainRequest(only, 'q.local', '/elsewhere');
    expect(e.http).toMatchObject({ kind: 'unavailable', matchedHost: 'q.local' });
    expect(e.http.summary).toMatch(/no route for \/elsewhere/);
    expect(e.routed).toBe(false);
  });
});

describe('explainRequest: redirects', () => {
  const m = model((b) =>
    b.service('new', lb('new.local,old.local', 80, { redirects: 'http://old.local,http://new.local;http://new.local/legacy,https://new.local/v2' })),
  );

  it('answers with the redirect target followed by the request URI', () => {
    const e = explainRequest(m, 'old.local', '/a/b?c=d');
    expect(e.http).toMatchObject({ kind: 'redirect', redirect: { fromPath: '/', toUrl: 'http://new.local' }, location: 'http://new.local/a/b?c=d' });
    expect(e.routed).toBe(true);
  });

  it('lets a redirect win over a shorter route, and a longer route over a redirect', () => {
    expect(explainRequest(m, 'new.local', '/legacy/x').http).toMatchObject({ kind: 'redirect', location: 'https://new.local/v2/legacy/x' });
    expect(explainRequest(m, 'new.local', '/legacyx').http).toMatchObject({ kind: 'proxy', upstream: 'new' });
  });
});

describe('explainRequest: TLS', () => {
  it('names the certificate of a terminated host and redirects plain HTTP when ssl_only', () => {
    const m = model((b) =>
      b.secret('web.cert').secret('web.key').service('web', lb('w.local', 80, { ssl_cert: 'web.cert', ssl_key: 'web.key', ssl_only: 'true' })),
    );
    const e = explainRequest(m, 'w.local', '/x?y');
    expect(e.http).toMatchObject({ kind: 'https-redirect', location: 'https://w.local/x?y' });
    expect(e.https).toMatchObject({ kind: 'proxy', upstream: 'web', certificate: { name: 'web.cert', certFile: 'web.cert.pem' } });
    expect(e.routed).toBe(true);
  });

  it('names the published TLS port in the ssl_only Location unless it is 443', () => {
    const m = model((b) =>
      b.secret('web.cert').secret('web.key').service('web', lb('w.local', 80, { ssl_cert: 'web.cert', ssl_key: 'web.key', ssl_only: 'true' })),
    );
    expect(explainRequest(m, 'W.Local:8080', '/x?y', { publishedHttpsPort: 8443 }).http.location).toBe('https://w.local:8443/x?y');
    expect(explainRequest(m, 'w.local', '/x?y', { publishedHttpsPort: 443 }).http.location).toBe('https://w.local/x?y');
  });

  it('says when HTTPS is not served for an HTTP-only host', () => {
    const m = model((b) => b.service('web', lb('w.local')));
    expect(explainRequest(m, 'w.local').https.kind).toBe('no-tls');
  });

  it('passes TLS through by SNI, with plain HTTP redirected when ssl_only', () => {
    const m = model((b) => b.service('secure', lb('s.local', 8443, { ssl_passthrough: 'true', ssl_only: 'true' }), { replicas: 2 }));
    const e = explainRequest(m, 's.local', '/');
    expect(e.https).toMatchObject({ kind: 'passthrough', upstream: 'secure', matchedHost: 's.local' });
    expect(e.http.kind).toBe('https-redirect');
    expect(e.upstreams[0]?.upstream.endpoints.map((x) => x.port)).toEqual([8443, 8443]);
    expect(e.routed).toBe(true);
  });
});

describe('explainRequest: unknown hosts and default backend', () => {
  it('gives the 503 page without a default backend', () => {
    const e = explainRequest(model((b) => b.service('web', lb('w.local'))), 'nobody.local');
    expect(e.http).toMatchObject({ kind: 'unavailable', upstream: '', matchedHost: '' });
    expect(e.http.summary).toMatch(/503 page/);
    expect(e.claimants).toEqual([]);
    expect(e.routed).toBe(false);
  });

  it('sends unknown hosts to the default backend, which does not count as routed', () => {
    const m = model((b) => b.service('fallback', { 'com.docker.lb.default_backend': 'true', 'com.docker.lb.port': '80' }).service('web', lb('w.local')));
    const e = explainRequest(m, 'nobody.local');
    expect(e.http).toMatchObject({ kind: 'default-backend', upstream: 'fallback' });
    expect(e.upstreams.map((u) => u.upstream.name)).toEqual(['fallback']);
    expect(e.routed).toBe(false);
  });
});

describe('explainRequest: why a service is not routed', () => {
  it('attaches the diagnostics of a claimant left out of the model', () => {
    const m = model((b) => b.service('ok', lb('c.local')).service('lost', lb('c.local', 8080, { network: 'nope' })));
    const e = explainRequest(m, 'c.local');
    const claim = e.claimants.find((c) => c.service === 'lost');
    expect(claim).toMatchObject({ routed: false, serving: false, hosts: ['c.local'] });
    expect(claim?.diagnostics.map((d) => [d.code, d.severity])).toEqual([['unknown-network', Severity.SEVERITY_ERROR]]);
    expect(e.claimants.find((c) => c.service === 'ok')).toMatchObject({ serving: true, diagnostics: [] });
  });

  it('explains a route conflict: the newer service keeps out of the older one’s route', () => {
    const m = model((b) =>
      b
        .service('old', lb('r.local'), { createdAt: 1 })
        .service('new', lb('r.local', 8080, { sticky_session_cookie: 'sid' }), { createdAt: 2 }),
    );
    const e = explainRequest(m, 'r.local');
    expect(e.http.upstream).toBe('old');
    expect(e.claimants.find((c) => c.service === 'new')?.diagnostics.map((d) => d.code)).toContain('route-conflict');
  });

  it('names a service with a bad label as a claimant of the host it meant, with why it is not routed', () => {
    const m = model((b) => b.service('broken', lb('b.local', 8080, { ip_hash: 'maybe' })));
    const e = explainRequest(m, 'b.local');
    expect(e.claimants.map((c) => [c.service, c.routed])).toEqual([['broken', false]]);
    expect(e.claimants[0]?.diagnostics[0]).toMatchObject({ code: 'invalid-boolean', severity: Severity.SEVERITY_ERROR });
    expect(e.unreadable).toEqual([]);
    expect(e.routed).toBe(false);
  });

  it('lists services whose hosts label could not be read at all (hosts unknown)', () => {
    const m = model((b) => b.service('broken', lb('bad;host', 8080)));
    const e = explainRequest(m, 'b.local');
    expect(e.claimants).toEqual([]);
    expect(e.unreadable.map((c) => c.service)).toEqual(['broken']);
    expect(e.unreadable[0]?.diagnostics[0]?.severity).toBe(Severity.SEVERITY_ERROR);
    expect(e.routed).toBe(false);
  });

  it('reports a route whose upstream has no endpoints as unavailable', () => {
    const m = model((b) => b.service('idle', lb('i.local'), { replicas: 0 }));
    const e = explainRequest(m, 'i.local');
    expect(e.http).toMatchObject({ kind: 'unavailable', upstream: 'idle', route: { path: '/' } });
    expect(e.http.summary).toMatch(/no endpoints/);
    expect(e.routed).toBe(false);
  });
});

describe('explainRequest: canary shares', () => {
  it('splits a shared upstream by endpoint weights', () => {
    const m = model((b) =>
      b
        .service('v1', lb('k.local', 8080, { 'com.switchyard.lb.weight': '90' }), { replicas: 3 })
        .service('v2', lb('k.local', 8080, { 'com.switchyard.lb.weight': '10' }), { replicas: 1 }),
    );
    const shares = explainRequest(m, 'k.local').upstreams[0]?.shares ?? [];
    expect(shares.map((s) => [s.service, s.endpoints, s.runningTasks])).toEqual([
      ['v1', 3, 3],
      ['v2', 1, 1],
    ]);
    expect(shares[0]?.share).toBeCloseTo(0.9, 10);
    expect(shares[1]?.share).toBeCloseTo(0.1, 10);
  });
});

describe('explainRequest: robustness', () => {
  it('never throws, whatever the host and path', () => {
    const m = model((b) => b.service('web', lb('w.local')));
    for (const [h, p] of [['', ''], ['[::1]:80', '/'], ['http://w.local/x', '%zz'], ['*.', '/../../..']] as const) {
      expect(() => explainRequest(m, h, p)).not.toThrow();
    }
    expect(explainRequest(m, 'http://w.local/ignored').http.upstream).toBe('web');
  });
});
