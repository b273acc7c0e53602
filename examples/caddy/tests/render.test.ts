import fc from 'fast-check';
import { hostMatches, isSafeHost } from '@switchyard/labels/safe';
import { ProxyModel, Severity, configChecksum, type Diagnostic } from '@switchyard/proto';
import {
  CADDY_FILE,
  CaddyRenderOptionsError,
  endpointDial,
  hostMatcher,
  matchingOrder,
  pathPatterns,
  renderCaddy,
  type CaddyConfig,
  type CaddyHandler,
  type CaddyMatcherSet,
  type CaddyRoute,
  type ReverseProxyHandler,
} from '../src/index.js';
import { endpoint, host, model, route, upstream } from '../../../tools/testing/model.js';

const routesOf = (config: CaddyConfig): CaddyRoute[] => config.apps.http.servers['switchyard']?.routes ?? [];
const matcherOf = (r: CaddyRoute): CaddyMatcherSet | undefined => r.match?.[0];
/** A route in short form: `host path -> handlers`, for readable expectations. */
function describeRoute(r: CaddyRoute): string {
  const m = matcherOf(r);
  const where = m?.host?.[0] ?? (m?.header_regexp ? `~${m.header_regexp['Host']?.pattern}` : '*');
  const paths = m?.path ? ` ${m.path.join('|')}` : '';
  return `${where}${paths} -> ${r.handle.map(describeHandler).join(', ')}`;
}
function describeHandler(h: CaddyHandler): string {
  if (h.handler === 'reverse_proxy') return `proxy ${h.upstreams.map((u) => u.dial).join(',')}`;
  if (h.handler === 'rewrite') return `strip ${h.strip_path_prefix}`;
  return String(h.status_code);
}
const proxyOf = (r: CaddyRoute | undefined): ReverseProxyHandler | undefined => r?.handle.find((h): h is ReverseProxyHandler => h.handler === 'reverse_proxy');
const codes = (diagnostics: Diagnostic[]): string[] => diagnostics.map((d) => d.code);

const shop = model({
  version: 12,
  hosts: [
    host('shop.example.test', [route('/', 'web'), route('/api', 'api', { stripPrefix: true }), route('/api/v2/', 'api-v2')]),
    host('admin.example.test', [route('/', 'admin')]),
  ],
  upstreams: [
    upstream('admin', [['fd00::A', 9000]]),
    upstream('api', [['10.0.1.3', 8080], ['10.0.1.2', 8080]]),
    upstream('api-v2', [['10.0.1.9', 9000]]),
    upstream('web', [['10.0.2.2', 3000]]),
  ],
});

describe('renderCaddy', () => {
  it('renders one caddy.json: admin on localhost:2019, one plain-HTTP server on :80 with automatic HTTPS off', () => {
    const { files, config, diagnostics } = renderCaddy(shop);
    expect(diagnostics).toEqual([]);
    expect(files.map((f) => f.path)).toEqual([CADDY_FILE]);
    expect(JSON.parse(files[0]!.content)).toEqual(config);
    expect(files[0]!.content.endsWith('}\n')).toBe(true);
    expect(config.admin).toEqual({ listen: 'localhost:2019', config: { persist: false } });
    expect(Object.keys(config.apps.http.servers)).toEqual(['switchyard']);
    expect(config.apps.http.servers['switchyard']).toMatchObject({ listen: [':80'], automatic_https: { disable: true } });
  });

  it('takes the HTTP port and the admin address as options', () => {
    const { config } = renderCaddy(shop, { httpPort: 8080, adminAddress: '127.0.0.1:24019' });
    expect(config.admin.listen).toBe('127.0.0.1:24019');
    expect(config.apps.http.servers['switchyard']?.listen).toEqual([':8080']);
    expect(renderCaddy(shop, { adminAddress: '[::1]:2019' }).config.admin.listen).toBe('[::1]:2019');
  });

  it.each([
    [{ httpPort: 0 }, /httpPort/],
    [{ httpPort: 65536 }, /httpPort/],
    [{ httpPort: 80.5 }, /httpPort/],
    [{ adminAddress: 'localhost' }, /adminAddress/],
    [{ adminAddress: 'localhost:99999' }, /adminAddress/],
    [{ adminAddress: '{env.ADMIN}:2019' }, /adminAddress/],
  ])('throws CaddyRenderOptionsError for bad options %j', (options, message) => {
    expect(() => renderCaddy(shop, options)).toThrow(CaddyRenderOptionsError);
    expect(() => renderCaddy(shop, options)).toThrow(message);
    try {
      renderCaddy(shop, options);
    } catch (err) {
      expect((err as CaddyRenderOptionsError).code).toBe('invalid-caddy-render-options');
    }
  });

  it('routes each (host, path) with host and path matchers, longest path first, then 404 for unknown hosts', () => {
    const routes = routesOf(renderCaddy(shop).config);
    expect(routes.map(describeRoute)).toEqual([
      'admin.example.test -> proxy [fd00::a]:9000',
      'shop.example.test /api/v2|/api/v2/* -> proxy 10.0.1.9:9000',
      'shop.example.test /api|/api/* -> strip /api, proxy 10.0.1.2:8080,10.0.1.3:8080',
      'shop.example.test -> proxy 10.0.2.2:3000',
      '* -> 404',
    ]);
    expect(routes.slice(0, -1).every((r) => r.terminal === true)).toBe(true);
    expect(routes.at(-1)).toEqual({ handle: [{ handler: 'static_response', status_code: 404, headers: { 'Content-Type': ['text/plain; charset=utf-8'] }, body: '404 Not Found\n' }] });
  });

  it('balances round robin, retries other endpoints (at most 3) and marks failed ones down only when there are several', () => {
    const many = model({ hosts: [host('a.test', [route('/', 'many')]), host('b.test', [route('/', 'one')])], upstreams: [upstream('many', [1, 2, 3, 4, 5, 6].map((n): [string, number] => [`10.0.0.${n}`, 80])), upstream('one', [['10.0.1.1', 80]])] });
    const [a, b] = routesOf(renderCaddy(many).config);
    expect(proxyOf(a)).toEqual({
      handler: 'reverse_proxy',
      upstreams: [1, 2, 3, 4, 5, 6].map((n) => ({ dial: `10.0.0.${n}:80` })),
      load_balancing: { selection_policy: { policy: 'round_robin' }, retries: 3 },
      health_checks: { passive: { fail_duration: '10s' } },
    });
    expect(proxyOf(b)).toEqual({ handler: 'reverse_proxy', upstreams: [{ dial: '10.0.1.1:80' }], load_balancing: { selection_policy: { policy: 'round_robin' } } });
  });

  it('pins clients by address with ip_hash and speaks TLS without verification to ssl_backend tasks', () => {
    const m = model({ hosts: [host('a.test', [route('/', 'app')])], upstreams: [upstream('app', [['10.0.0.2', 8443]], { ipHash: true, tls: true })] });
    const { config, diagnostics } = renderCaddy(m);
    expect(diagnostics).toEqual([]);
    expect(proxyOf(routesOf(config)[0])).toMatchObject({ load_balancing: { selection_policy: { policy: 'ip_hash' } }, transport: { protocol: 'http', tls: { insecure_skip_verify: true } } });
  });

  it('normalizes a trailing slash, sorts paths longest first whatever the model order, and skips a duplicate path', () => {
    const m = model({ hosts: [host('a.test', [route('/', 'web'), route('/a', 'web'), route('/a/b/', 'web'), route('/a/b', 'web')])], upstreams: [upstream('web', [['10.0.0.2', 80]])] });
    const { config, diagnostics } = renderCaddy(m);
    expect(routesOf(config).map((r) => matcherOf(r)?.path ?? null)).toEqual([['/a/b', '/a/b/*'], ['/a', '/a/*'], null, null]);
    expect(diagnostics).toEqual([expect.objectContaining({ code: 'duplicate-route', severity: Severity.SEVERITY_WARNING, service: 'web', label: 'com.docker.lb.context_root' })]);
  });

  it('answers 503 on routes whose upstream has no endpoints or is missing, and on the other paths of a host without "/"', () => {
    const m = model({
      hosts: [host('empty.test', [route('/', 'zero')]), host('ghost.test', [route('/', 'missing')]), host('partial.test', [route('/only', 'web')])],
      upstreams: [upstream('web', [['10.0.0.2', 80]]), upstream('zero', [])],
    });
    const { config, diagnostics } = renderCaddy(m);
    expect(routesOf(config).map(describeRoute)).toEqual(['empty.test -> 503', 'ghost.test -> 503', 'partial.test /only|/only/* -> proxy 10.0.0.2:80', 'partial.test -> 503', '* -> 404']);
    expect(diagnostics.map((d) => [d.code, d.severity, d.service])).toEqual([
      ['empty-upstream', Severity.SEVERITY_WARNING, 'zero'],
      ['unknown-upstream', Severity.SEVERITY_ERROR, ''],
    ]);
  });

  it('sends unknown hosts to the model default upstream when it has one', () => {
    const m = model({ hosts: [host('a.test', [route('/', 'web')])], defaultUpstream: 'fallback', upstreams: [upstream('fallback', [['10.0.9.9', 80]]), upstream('web', [['10.0.0.2', 80]])] });
    expect(routesOf(renderCaddy(m).config).map(describeRoute)).toEqual(['a.test -> proxy 10.0.0.2:80', '* -> proxy 10.0.9.9:80']);
    const missing = renderCaddy({ ...m, defaultUpstream: 'gone' });
    expect(routesOf(missing.config).map(describeRoute).at(-1)).toBe('* -> 503');
    expect(codes(missing.diagnostics)).toEqual(['unknown-upstream']);
  });

  it('matches exact hosts before wildcards, and the more specific wildcard first', () => {
    const m = model({
      hosts: [host('*.example.com', [route('/', 'any')]), host('www.example.com', [route('/', 'www')]), host('*.eu.example.com', [route('/', 'eu')]), host('api.example.com', [route('/', 'www')])],
      upstreams: [upstream('any', [['10.0.0.1', 80]]), upstream('eu', [['10.0.0.2', 80]]), upstream('www', [['10.0.0.3', 80]])],
    });
    expect(routesOf(renderCaddy(m).config).map(describeRoute).map((d) => d.split(' -> ')[1])).toEqual(['proxy 10.0.0.3:80', 'proxy 10.0.0.3:80', 'proxy 10.0.0.2:80', 'proxy 10.0.0.1:80', '404']);
    expect(matchingOrder(['*.com', 'b.test', '*.a.b.com', 'a.test', '*.b.com'])).toEqual(['a.test', 'b.test', '*.a.b.com', '*.b.com', '*.com']);
  });

  it('reports each feature it does not implement as a warning naming the service and the feature, and still routes plain HTTP', () => {
    const m = model({
      hosts: [
        host('secure.test', [route('/', 'secure')], { certificate: 'secure-cert', sslOnly: true }),
        host('shop.test', [route('/', 'shop')], { redirects: [{ fromPath: '/old', toUrl: 'https://new.test' }] }),
        host('verified.test', [route('/', 'verified')]),
      ],
      sniRoutes: [{ host: 'pass.test', upstream: 'pass' }],
      upstreams: [
        upstream('pass', [['10.0.0.9', 443]]),
        upstream('secure', [['10.0.0.2', 80]]),
        { ...upstream('shop', []), endpoints: [endpoint('10.0.1.2', 80, 'shop', 1), endpoint('10.0.1.3', 80, 'shop', 5)], stickyCookie: 'sid' },
        upstream('verified', [['10.0.3.2', 443]], { tls: true, tlsVerify: true }),
      ],
    });
    const { config, diagnostics } = renderCaddy(m);
    expect(diagnostics.every((d) => d.severity === Severity.SEVERITY_WARNING)).toBe(true);
    expect(diagnostics.map((d) => [d.code, d.service, d.label])).toEqual([
      ['unsupported-tls', 'secure', 'com.docker.lb.ssl_cert'],
      ['unsupported-ssl-only', 'secure', 'com.docker.lb.ssl_only'],
      ['unsupported-redirect', 'shop', 'com.docker.lb.redirects'],
      ['unsupported-sticky-session', 'shop', 'com.docker.lb.sticky_session_cookie'],
      ['unsupported-weight', 'shop', 'com.switchyard.lb.weight'],
      ['unsupported-backend-tls-verify', 'verified', 'com.docker.lb.ssl_backend_tls_verify'],
      ['unsupported-sni-passthrough', 'pass', 'com.docker.lb.ssl_passthrough'],
    ]);
    for (const d of diagnostics) expect(d.message).toMatch(/^services? [a-z-]+: .* (is|are) not supported by the Caddy example/);
    expect(routesOf(config).map(describeRoute)).toEqual([
      'secure.test -> proxy 10.0.0.2:80',
      'shop.test -> proxy 10.0.1.2:80,10.0.1.3:80',
      // Proxying unverified when verification was asked for would be worse than answering 503.
      'verified.test -> 503',
      '* -> 404',
    ]);
  });

  it('reports an upstream problem once however many routes use it, and never for upstreams no route uses', () => {
    const m = model({ hosts: [host('a.test', [route('/', 'zero'), route('/x', 'zero')]), host('b.test', [route('/', 'zero')])], upstreams: [upstream('unused', []), upstream('zero', [])] });
    expect(codes(renderCaddy(m).diagnostics)).toEqual(['empty-upstream']);
  });

  it('skips endpoints that are not an IP address and port, and duplicates', () => {
    const m = model({ hosts: [host('a.test', [route('/', 'web')])], upstreams: [upstream('web', [['web.internal', 80], ['10.0.0.2', 0], ['10.0.0.3', 80], ['10.0.0.3', 80], ['{env.X}', 80]])] });
    const { config, diagnostics } = renderCaddy(m);
    expect(proxyOf(routesOf(config)[0])?.upstreams).toEqual([{ dial: '10.0.0.3:80' }]);
    expect(codes(diagnostics).sort()).toEqual(['duplicate-endpoint', 'unsafe-value', 'unsafe-value', 'unsafe-value']);
  });

  it('renders an empty model as the 404 catch-all alone', () => {
    const { config, diagnostics } = renderCaddy(ProxyModel.fromPartial({}));
    expect(diagnostics).toEqual([]);
    expect(routesOf(config).map(describeRoute)).toEqual(['* -> 404']);
  });
});

describe('no model value can inject configuration', () => {
  const injections = [
    'evil"}]},{"handle":[{"handler":"static_response","status_code":200}]}',
    'a.test"],"path":["/',
    '{env.HOME}.example.test',
    'x.test\n"admin":{}',
    'a.test\\',
  ];

  it.each(injections)('a host %j is skipped with an error, and the config keeps its structure', (bad) => {
    const m = model({ hosts: [host(bad, [route('/', 'web')]), host('ok.test', [route('/', 'web')])], upstreams: [upstream('web', [['10.0.0.2', 80]])] });
    const { files, config, diagnostics } = renderCaddy(m);
    expect(routesOf(config).map(describeRoute)).toEqual(['ok.test -> proxy 10.0.0.2:80', '* -> 404']);
    expect(JSON.parse(files[0]!.content)).toEqual(config);
    // The value appears nowhere in the file, not even escaped; the diagnostic quotes it as one string.
    expect(files[0]!.content).not.toContain(JSON.stringify(bad).slice(1, -1));
    expect(diagnostics).toEqual([expect.objectContaining({ code: 'unsafe-value', severity: Severity.SEVERITY_ERROR, label: 'com.docker.lb.hosts', message: `host ${JSON.stringify(bad)} is not a valid host name; skipped` })]);
  });

  it('skips paths that Caddy would read as placeholders or patterns', () => {
    const m = model({ hosts: [host('a.test', [route('/{http.request.uri}', 'web'), route('/a*b', 'web'), route('/a"b', 'web'), route('/', 'web')])], upstreams: [upstream('web', [['10.0.0.2', 80]])] });
    const { config, diagnostics } = renderCaddy(m);
    expect(routesOf(config).map(describeRoute)).toEqual(['a.test -> proxy 10.0.0.2:80', '* -> 404']);
    expect(codes(diagnostics)).toEqual(['unsafe-value', 'unsafe-value', 'unsafe-value']);
  });

  it('for arbitrary hosts and paths: valid JSON, every host and path matched is a safe one, one route group per safe host', () => {
    const text = fc.oneof(fc.string(), fc.constantFrom('a.test', '*.w.test', 'A.test', '/', '/api', '/a/', '{x}', '"', '\\', '*', '/a/*'));
    fc.assert(
      fc.property(fc.array(fc.record({ name: text, paths: fc.array(text, { maxLength: 3 }) }), { maxLength: 6 }), (hosts) => {
        const m = model({ hosts: hosts.map((h) => host(h.name, h.paths.map((p) => route(p, 'web')))), upstreams: [upstream('web', [['10.0.0.2', 80]])] });
        const { files, config } = renderCaddy(m);
        expect(JSON.parse(files[0]!.content)).toEqual(config);
        const routes = routesOf(config);
        for (const r of routes.slice(0, -1)) {
          const match = matcherOf(r);
          const name = match?.host?.[0];
          if (name !== undefined) expect(isSafeHost(name)).toBe(true);
          for (const p of match?.path ?? []) expect(p).toMatch(/^(\/[A-Za-z0-9._~+=:@-]+)+(\/\*)?$/);
        }
        const safe = new Set(hosts.map((h) => h.name).filter(isSafeHost));
        const matched = new Set(routes.slice(0, -1).map((r) => JSON.stringify(matcherOf(r)?.host ?? matcherOf(r)?.header_regexp)));
        expect(matched.size).toBe(safe.size);
        expect(routes.at(-1)?.match).toBeUndefined();
      }),
      { numRuns: 300 },
    );
  });
});

describe('determinism', () => {
  it('gives byte-identical output for an equal model, whatever the order of its lists', () => {
    const first = renderCaddy(shop);
    const shuffled: ProxyModel = {
      ...shop,
      hosts: [...shop.hosts].reverse().map((h) => ({ ...h, routes: [...h.routes].reverse() })),
      upstreams: [...shop.upstreams].reverse().map((u) => ({ ...u, endpoints: [...u.endpoints].reverse() })),
    };
    const again = renderCaddy(shuffled);
    expect(again.files[0]!.content).toBe(first.files[0]!.content);
    expect(configChecksum(again.files)).toBe(configChecksum(first.files));
  });

  it('changes the content when an endpoint changes', () => {
    const moved = { ...shop, upstreams: shop.upstreams.map((u) => (u.name === 'web' ? upstream('web', [['10.0.2.3', 3000]]) : u)) };
    expect(renderCaddy(moved).files[0]!.content).not.toBe(renderCaddy(shop).files[0]!.content);
  });
});

describe('building blocks', () => {
  it('endpointDial formats IP literals only, brackets IPv6, and checks the port', () => {
    expect(endpointDial('10.0.0.1', 80)).toBe('10.0.0.1:80');
    expect(endpointDial('FD00::1', 8080)).toBe('[fd00::1]:8080');
    expect([endpointDial('web', 80), endpointDial('10.0.0.1', 0), endpointDial('10.0.0.1', 65536), endpointDial('[::1]', 80), endpointDial('10.0.0.1:80', 80)]).toEqual([undefined, undefined, undefined, undefined, undefined]);
  });

  it('pathPatterns: a prefix matches itself and what is under it; "/" matches everything', () => {
    expect(pathPatterns('/api')).toEqual(['/api', '/api/*']);
    expect(pathPatterns('/')).toBeUndefined();
  });

  it('hostMatcher: exact names use the host matcher; a wildcard matches as hostMatches does, in any case, with or without a port', () => {
    expect(hostMatcher('a.example.com')).toEqual({ host: ['a.example.com'] });
    const pattern = hostMatcher('*.example.com').header_regexp?.['Host']?.pattern ?? '';
    expect(pattern.startsWith('(?i)')).toBe(true);
    // RE2's (?i) prefix is JavaScript's "i" flag; the rest is the same syntax.
    const re = new RegExp(pattern.slice(4), 'i');
    const candidates = ['a.example.com', 'a.b.example.com', 'a_b.example.com', 'example.com', 'aexample.com', 'a.example.com.evil.test', 'a.example.comx', '.example.com'];
    for (const name of candidates) expect([name, re.test(name)]).toEqual([name, hostMatches('*.example.com', name)]);
    expect(['A.Example.COM', 'a.example.com:8080'].every((name) => re.test(name))).toBe(true);
    expect(re.test('a.example.com:http')).toBe(false);
  });
});
