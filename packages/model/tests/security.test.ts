import { Severity, SwarmSnapshot, type Diagnostic, type ProxyModel } from '@switchyard/proto';
import type { ServiceRouteSpec } from '@switchyard/labels';
import { buildModel, RESERVED_NAME_PREFIXES, tlsExclusions, upstreamName, type ServiceLabelParser } from '../src/index.js';
import { lb, SnapshotBuilder } from './snapshot-builder.js';

// Regression tests of attacks by a newer service on other services' routes: each offending label
// gets a diagnostic, that part is skipped, everything else keeps working.

function diagnosticsOf(model: ProxyModel, code: string): Diagnostic[] {
  return model.diagnostics.filter((d) => d.code === code);
}

function host(model: ProxyModel, name: string): ProxyModel['hosts'][number] | undefined {
  return model.hosts.find((h) => h.host === name);
}

function routedServices(model: ProxyModel): string[] {
  return model.services.filter((s) => s.routed).map((s) => s.name);
}

describe('redirect hijack', () => {
  const victim = (): SnapshotBuilder => new SnapshotBuilder().service('victim', lb('victim.test'), { createdAt: 1 });

  it('drops a redirect of a host the service does not claim (redirect-not-owned)', () => {
    const snap = victim()
      .service('evil', lb('evil.test', 80, { redirects: 'http://victim.test,https://attacker.test' }), { createdAt: 2 })
      .build();
    const model = buildModel(snap);
    expect(host(model, 'victim.test')).toEqual({
      host: 'victim.test',
      certificate: '',
      sslOnly: false,
      routes: [{ path: '/', stripPrefix: false, upstream: 'victim', websocket: false }],
      redirects: [],
    });
    expect(diagnosticsOf(model, 'redirect-not-owned')).toEqual([
      {
        service: 'evil',
        label: 'com.docker.lb.redirects',
        code: 'redirect-not-owned',
        severity: Severity.SEVERITY_ERROR,
        message: expect.stringContaining('victim.test is not one of the service') as string,
      },
    ]);
    // The rest of the attacker's service still works.
    expect(host(model, 'evil.test')?.routes.map((r) => r.upstream)).toEqual(['evil']);
    expect(routedServices(model)).toEqual(['evil', 'victim']);
  });

  it('drops the redirect of a newer service sharing the host pool (canary cannot take 100%)', () => {
    const snap = victim()
      .service('evil', lb('victim.test', 8080, { redirects: 'http://victim.test,https://attacker.test' }), { createdAt: 2 })
      .build();
    const model = buildModel(snap);
    expect(host(model, 'victim.test')?.redirects).toEqual([]);
    expect(diagnosticsOf(model, 'redirect-not-owned')[0]?.message).toMatch(/victim\.test\/ is served by the older service victim/);
    // The shared pool (Interlock's canary) is intact.
    expect(model.upstreams.find((u) => u.name === host(model, 'victim.test')?.routes[0]?.upstream)?.services).toEqual(['evil', 'victim']);
  });

  it('drops a redirect of a path another service\'s route answers, keeps one under the service\'s own context root', () => {
    const snap = victim()
      .service(
        'evil',
        lb('victim.test', 8080, { context_root: '/x', redirects: 'http://victim.test/,https://attacker.test;http://victim.test/x/old,https://attacker.test/new' }),
        { createdAt: 2 },
      )
      .build();
    const model = buildModel(snap);
    expect(host(model, 'victim.test')?.redirects).toEqual([{ fromPath: '/x/old', toUrl: 'https://attacker.test/new' }]);
    expect(diagnosticsOf(model, 'redirect-not-owned').map((d) => d.message)).toEqual([expect.stringContaining('victim.test/ is served by the older service victim')]);
  });

  it('drops the redirect of a service left out of the host by a route conflict', () => {
    const snap = victim()
      .service('evil', lb('victim.test', 8080, { ip_hash: 'true', redirects: 'http://victim.test,https://attacker.test' }), { createdAt: 2 })
      .build();
    const model = buildModel(snap);
    expect(host(model, 'victim.test')?.redirects).toEqual([]);
    expect(diagnosticsOf(model, 'route-conflict')).toHaveLength(1);
    expect(diagnosticsOf(model, 'redirect-not-owned')[0]?.message).toMatch(/not routed on victim\.test/);
  });

  it('drops a redirect that would create a host inside a service\'s own wildcard', () => {
    const snap = victim()
      .service('evil', lb('*.victim.test', 8080, { redirects: 'http://www.victim.test,https://attacker.test' }), { createdAt: 2 })
      .build();
    const model = buildModel(snap);
    expect(host(model, 'www.victim.test')).toBeUndefined();
    expect(diagnosticsOf(model, 'redirect-not-owned')).toHaveLength(1);
  });
});

describe('wildcard TLS vs other services\' exact hosts', () => {
  const snapshot = (): SwarmSnapshot =>
    new SnapshotBuilder()
      .secret('victim.cert')
      .secret('victim.key')
      .service('victim', lb('victim.good.test', 80, { ssl_cert: 'victim.cert', ssl_key: 'victim.key' }), { createdAt: 1 })
      .service('plain', lb('plain.good.test'), { createdAt: 2 })
      .service('other-pass', lb('pass.good.test', 443, { ssl_passthrough: 'true' }), { createdAt: 3 })
      .service('evil', lb('*.good.test', 443, { ssl_passthrough: 'true' }), { createdAt: 4 })
      .build();

  it('lists the exact hosts a wildcard passthrough route must not capture, and tells its service', () => {
    const model = buildModel(snapshot());
    expect(model.sniRoutes).toEqual([
      { host: '*.good.test', upstream: 'evil' },
      { host: 'pass.good.test', upstream: 'other-pass' },
    ]);
    expect(tlsExclusions(model)).toEqual([
      { wildcard: '*.good.test', kind: 'passthrough', hosts: ['pass.good.test', 'plain.good.test', 'victim.good.test'], services: ['evil'] },
    ]);
    expect(diagnosticsOf(model, 'wildcard-excludes-host')).toEqual([
      {
        service: 'evil',
        label: 'com.docker.lb.ssl_passthrough',
        code: 'wildcard-excludes-host',
        severity: Severity.SEVERITY_WARNING,
        message: 'wildcard passthrough host *.good.test does not take TLS for hosts other services route: pass.good.test, plain.good.test, victim.good.test',
      },
    ]);
    // Everybody keeps their routes.
    expect(host(model, 'victim.good.test')?.certificate).toBe('victim.cert');
    expect(routedServices(model)).toEqual(['evil', 'other-pass', 'plain', 'victim']);
  });

  it('lists the plain-HTTP exact hosts a wildcard certificate host must not answer HTTPS for', () => {
    const snap = new SnapshotBuilder()
      .secret('wild.cert')
      .secret('wild.key')
      .secret('own.cert')
      .secret('own.key')
      .service('plain', lb('plain.good.test'), { createdAt: 1 })
      .service('owncert', lb('own.good.test', 80, { ssl_cert: 'own.cert', ssl_key: 'own.key' }), { createdAt: 2 })
      .service('evil', lb('*.good.test,mine.good.test', 80, { ssl_cert: 'wild.cert', ssl_key: 'wild.key' }), { createdAt: 3 })
      .service('outside', lb('plain.other.test'), { createdAt: 4 })
      .build();
    const model = buildModel(snap);
    expect(tlsExclusions(model)).toEqual([{ wildcard: '*.good.test', kind: 'certificate', hosts: ['plain.good.test'], services: ['evil'] }]);
    expect(diagnosticsOf(model, 'wildcard-excludes-host').map((d) => [d.service, d.label])).toEqual([['evil', 'com.docker.lb.ssl_cert']]);
  });

  it('does not exclude hosts of the wildcard\'s own services', () => {
    const snap = new SnapshotBuilder()
      .service('svc', lb('*.good.test,a.good.test', 443, { ssl_passthrough: 'true' }))
      .build();
    const model = buildModel(snap);
    expect(tlsExclusions(model)).toEqual([]);
    expect(diagnosticsOf(model, 'wildcard-excludes-host')).toEqual([]);
  });
});

describe('upstream names differing only in case', () => {
  it('are lower-case and distinct case-insensitively (nginx compares them so)', () => {
    const snap = new SnapshotBuilder().service('Web', lb('a.test')).service('web', lb('b.test')).service('WEB', lb('c.test')).build();
    const model = buildModel(snap);
    const names = model.upstreams.map((u) => u.name);
    expect(new Set(names.map((n) => n.toLowerCase())).size).toBe(3);
    for (const n of names) expect(n).toBe(n.toLowerCase());
    expect(names).toContain('web');
    expect(buildModel(snap).upstreams).toEqual(model.upstreams);
    expect(upstreamName(['Web'])).toBe(`web-${upstreamName(['Web']).slice(-10)}`);
    expect(upstreamName(['Web'])).not.toBe(upstreamName(['WEB']));
  });
});

describe('service names equal to renderers\' internal identifiers', () => {
  it.each(['switchyard_ssl', 'switchyard_tls_terminate', 'sy_default', 'sy-x', 'Switchyard_SSL'])('%s never gives a reserved upstream name', (name) => {
    const model = buildModel(new SnapshotBuilder().service(name, lb('a.test')).build());
    const upstream = model.upstreams[0]?.name ?? '';
    expect(upstream).toMatch(/^svc-/);
    for (const p of RESERVED_NAME_PREFIXES) expect(upstream.startsWith(p)).toBe(false);
  });

  it('also for pools whose readable part would begin with a reserved prefix', () => {
    expect(upstreamName(['switchyard_a', 'web'])).toMatch(/^svc-switchyard_a_web-[0-9a-f]{10}$/);
  });
});

describe('websocket endpoints cap', () => {
  it('keeps the service routed with the first 64 paths of a 430-path label', () => {
    const paths = Array.from({ length: 430 }, (_, i) => `/ws${i}`);
    const model = buildModel(new SnapshotBuilder().service('ws', lb('ws.test', 80, { websocket_endpoints: paths.join(',') })).build());
    expect(host(model, 'ws.test')?.routes).toHaveLength(65);
    expect(diagnosticsOf(model, 'too-many-websocket-endpoints')).toHaveLength(1);
    expect(routedServices(model)).toEqual(['ws']);
  });

  it('refuses an injected spec with more paths than the cap (unsafe-value)', () => {
    const parse: ServiceLabelParser = () => ({
      spec: { ...minimalSpec(), websocketEndpoints: Array.from({ length: 65 }, (_, i) => `/p${i}`) },
      diagnostics: [],
    });
    const model = buildModel(new SnapshotBuilder().service('ws', lb('ws.test')).build(), { parse });
    expect(diagnosticsOf(model, 'unsafe-value')).toHaveLength(1);
    expect(model.hosts).toEqual([]);
  });
});

describe('secrets by reference only where allowed', () => {
  const tls = { ssl_cert: 'site.cert', ssl_key: 'site.key' };
  const withSecrets = (labels: Record<string, string>, keyLabels = labels): SnapshotBuilder =>
    new SnapshotBuilder().secret('site.cert', labels).secret('site.key', keyLabels).service('bystander', lb('other.test'));

  it('skips a service naming a secret without access labels (secret-not-allowed); others keep working', () => {
    const snap = withSecrets({}).service('evil', lb('evil.test', 80, tls)).build();
    const model = buildModel(snap);
    expect(diagnosticsOf(model, 'secret-not-allowed').map((d) => [d.service, d.label, d.severity])).toEqual([
      ['evil', 'com.docker.lb.ssl_cert', Severity.SEVERITY_ERROR],
      ['evil', 'com.docker.lb.ssl_key', Severity.SEVERITY_ERROR],
    ]);
    expect(model.certificates).toEqual([]);
    expect(model.hosts.map((h) => h.host)).toEqual(['other.test']);
    expect(routedServices(model)).toEqual(['bystander']);
  });

  it('allows the services named in allowed-services, or any with "*"', () => {
    const named = withSecrets({ 'com.switchyard.lb.allowed-services': 'web, api' })
      .service('web', lb('w.test', 80, tls))
      .service('evil', lb('evil.test', 80, tls))
      .build();
    const model = buildModel(named);
    expect(host(model, 'w.test')?.certificate).toBe('site.cert');
    expect(host(model, 'evil.test')).toBeUndefined();
    expect(diagnosticsOf(model, 'secret-not-allowed').map((d) => d.service)).toEqual(['evil', 'evil']);
    const any = buildModel(withSecrets({ 'com.switchyard.lb.allowed-services': '*' }).service('evil', lb('evil.test', 80, tls)).build());
    expect(host(any, 'evil.test')?.certificate).toBe('site.cert');
  });

  it('allows by allowed-hosts only when they cover every host of the service', () => {
    const hostsLabel = { 'com.switchyard.lb.allowed-hosts': 'site.test,*.site.test' };
    const snap = withSecrets(hostsLabel)
      .service('good', lb('site.test,www.site.test', 80, tls))
      .service('evil', lb('x.site.test,victim.test', 80, tls))
      .build();
    const model = buildModel(snap);
    expect(host(model, 'www.site.test')?.certificate).toBe('site.cert');
    expect(host(model, 'victim.test')).toBeUndefined();
    expect(host(model, 'x.site.test')).toBeUndefined();
    expect(diagnosticsOf(model, 'secret-not-allowed').map((d) => d.service)).toEqual(['evil', 'evil']);
  });

  it('needs both secrets of the pair to allow the service', () => {
    const snap = withSecrets({ 'com.switchyard.lb.allowed-services': '*' }, {}).service('web', lb('w.test', 80, tls)).build();
    const model = buildModel(snap);
    expect(diagnosticsOf(model, 'secret-not-allowed').map((d) => d.label)).toEqual(['com.docker.lb.ssl_key']);
    expect(host(model, 'w.test')).toBeUndefined();
  });

  it('treats a secret without labels as allowing nobody, also after a protobuf round trip', () => {
    const snap = withSecrets({}).service('web', lb('w.test', 80, tls)).build();
    const bare: SwarmSnapshot = SwarmSnapshot.decode(SwarmSnapshot.encode({ ...snap, secrets: snap.secrets.map((s) => ({ id: s.id, name: s.name, labels: {} })) }).finish());
    expect(diagnosticsOf(buildModel(bare), 'secret-not-allowed')).toHaveLength(2);
  });

  it("keeps Interlock's behaviour with secretPolicy 'any'", () => {
    const snap = withSecrets({}).service('web', lb('w.test', 80, tls)).build();
    const model = buildModel(snap, { secretPolicy: 'any' });
    expect(diagnosticsOf(model, 'secret-not-allowed')).toEqual([]);
    expect(host(model, 'w.test')?.certificate).toBe('site.cert');
  });
});

function minimalSpec(): ServiceRouteSpec {
  return {
    hosts: ['ws.test'],
    port: 80,
    network: undefined,
    contextRoot: undefined,
    contextRootRewrite: false,
    sslCert: undefined,
    sslKey: undefined,
    sslPassthrough: false,
    sslOnly: false,
    sslBackend: false,
    sslBackendTlsVerify: 'none',
    websocketEndpoints: [],
    serviceCluster: '',
    stickySessionCookie: undefined,
    ipHash: false,
    redirects: [],
    backendMode: 'task',
    defaultBackend: false,
    weight: undefined,
  };
}
