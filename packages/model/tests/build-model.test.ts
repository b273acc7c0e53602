import { BackendMode, Severity, type Diagnostic, type ProxyModel, type SwarmSnapshot, type Upstream } from '@switchyard/proto';
import type { ServiceRouteSpec } from '@switchyard/labels';
import { buildModel, CONFLICT_RULES, modelHash, UPSTREAM_NAME_PATTERN, type ServiceLabelParser } from '../src/index.js';
import { lb, SnapshotBuilder } from './snapshot-builder.js';

const WEIGHT = 'com.switchyard.lb.weight';

function codes(diagnostics: Diagnostic[], service?: string): string[] {
  return diagnostics.filter((d) => service === undefined || d.service === service).map((d) => d.code);
}

function find(diagnostics: Diagnostic[], code: string): Diagnostic | undefined {
  return diagnostics.find((d) => d.code === code);
}

function upstreamOf(model: ProxyModel, host: string, path = '/'): Upstream | undefined {
  const name = model.hosts.find((h) => h.host === host)?.routes.find((r) => r.path === path)?.upstream;
  return model.upstreams.find((u) => u.name === name);
}

describe('service clusters', () => {
  const snap = new SnapshotBuilder()
    .service('a', lb('a.local'))
    .service('b', lb('b.local', 8080, { service_cluster: 'east' }))
    .service('plain', {}, {})
    .build();

  it('keeps only the services of the requested cluster ("" by default)', () => {
    const def = buildModel(snap);
    expect(def.serviceCluster).toBe('');
    expect(def.hosts.map((h) => h.host)).toEqual(['a.local']);
    expect(def.services.map((s) => s.name)).toEqual(['a']);
    const east = buildModel(snap, { serviceCluster: 'east' });
    expect(east.serviceCluster).toBe('east');
    expect(east.hosts.map((h) => h.host)).toEqual(['b.local']);
    expect(east.services).toEqual([{ id: 'svc-b', name: 'b', serviceCluster: 'east', hosts: ['b.local'], routed: true, runningTasks: 1 }]);
  });

  it('puts diagnostics of a skipped service in the model of its cluster label', () => {
    const s = new SnapshotBuilder().service('bad', lb('x.local', 0, { service_cluster: 'east' })).build();
    expect(codes(buildModel(s).diagnostics)).toEqual([]);
    const east = buildModel(s, { serviceCluster: 'east' });
    expect(codes(east.diagnostics)).toContain('invalid-port');
    // The host it meant to claim stays visible for operators, though it is not routed.
    expect(east.services).toEqual([{ id: 'svc-bad', name: 'bad', serviceCluster: 'east', hosts: ['x.local'], routed: false, runningTasks: 1 }]);
    expect(east.hosts).toEqual([]);
  });

  it('lists only the valid entries of an unparseable hosts label in the service status', () => {
    const s = new SnapshotBuilder().service('bad', lb('ok.local,bad;host,Other.Local', 80)).build();
    expect(buildModel(s).services[0]).toMatchObject({ routed: false, hosts: ['ok.local', 'other.local'] });
  });

  it('puts diagnostics of a service whose cluster label is invalid in every model', () => {
    const s = new SnapshotBuilder().service('bad', lb('x.local', 8080, { service_cluster: 'no way' })).build();
    for (const cluster of ['', 'east', 'west']) {
      const model = buildModel(s, { serviceCluster: cluster });
      expect(codes(model.diagnostics)).toContain('invalid-service-cluster');
      expect(model.services.map((x) => [x.name, x.routed])).toEqual([['bad', false]]);
    }
  });
});

describe('tasks', () => {
  it('counts only tasks running and desired running, and makes endpoints of them', () => {
    const snap = new SnapshotBuilder()
      .service('web', lb('web.local'), { replicas: 2 })
      .task('web', { state: 'running', desiredState: 'shutdown' })
      .task('web', { state: 'preparing', desiredState: 'running' })
      .task('web', { state: 'failed', desiredState: 'shutdown' })
      .build();
    const model = buildModel(snap);
    expect(model.services[0]?.runningTasks).toBe(2);
    expect(upstreamOf(model, 'web.local')?.endpoints.map((e) => e.taskId)).toEqual(['web.1', 'web.2']);
  });

  it('routes a service without running tasks to an empty upstream', () => {
    const model = buildModel(new SnapshotBuilder().service('idle', lb('idle.local'), { replicas: 0 }).build());
    expect(model.hosts.map((h) => h.routes)).toEqual([[{ path: '/', stripPrefix: false, upstream: 'idle', websocket: false }]]);
    expect(model.upstreams).toEqual([expect.objectContaining({ name: 'idle', endpoints: [], services: ['idle'] })]);
    expect(model.services[0]).toMatchObject({ routed: true, runningTasks: 0 });
    expect(model.diagnostics).toEqual([]);
  });
});

describe('networks', () => {
  it('uses the network label, by name or by ID', () => {
    for (const value of ['back', 'net-back']) {
      const snap = new SnapshotBuilder().service('web', lb('w.local', 80, { network: value }), { networks: ['front', 'back'] }).build();
      const model = buildModel(snap);
      expect(model.networks).toEqual([{ id: 'net-back', name: 'back' }]);
      expect(model.diagnostics).toEqual([]);
      expect(upstreamOf(model, 'w.local')?.endpoints[0]?.address).toMatch(/^10\.2\./);
    }
  });

  it('rejects a network label naming none of the service networks (unknown-network)', () => {
    const snap = new SnapshotBuilder().network('other').service('web', lb('w.local', 80, { network: 'other' }), { networks: ['front'] }).build();
    const model = buildModel(snap);
    expect(find(model.diagnostics, 'unknown-network')).toMatchObject({
      service: 'web',
      label: 'com.docker.lb.network',
      severity: Severity.SEVERITY_ERROR,
    });
    expect(model.hosts).toEqual([]);
    expect(model.networks).toEqual([]);
    expect(model.services[0]?.routed).toBe(false);
  });

  it('without the label takes the only non-ingress network', () => {
    const snap = new SnapshotBuilder().network('ingress', { ingress: true }).service('web', lb('w.local'), { networks: ['ingress', 'app'] }).build();
    const model = buildModel(snap);
    expect(model.networks).toEqual([{ id: 'net-app', name: 'app' }]);
    expect(model.diagnostics).toEqual([]);
  });

  it('with several networks takes the first by name and warns (ambiguous-network)', () => {
    const snap = new SnapshotBuilder().service('web', lb('w.local'), { networks: ['zeta', 'alpha', 'mid'] }).build();
    const model = buildModel(snap);
    expect(model.networks).toEqual([{ id: 'net-alpha', name: 'alpha' }]);
    expect(find(model.diagnostics, 'ambiguous-network')).toMatchObject({ severity: Severity.SEVERITY_WARNING, label: 'com.docker.lb.network' });
    expect(model.services[0]?.routed).toBe(true);
  });

  it('skips a service on the ingress network only (no-network)', () => {
    const snap = new SnapshotBuilder().network('ingress', { ingress: true }).service('web', lb('w.local'), { networks: ['ingress'] }).build();
    const model = buildModel(snap);
    expect(find(model.diagnostics, 'no-network')).toMatchObject({ service: 'web', label: '', severity: Severity.SEVERITY_ERROR });
    expect(model.upstreams).toEqual([]);
  });

  it('lists the networks of all routed services once, sorted by name', () => {
    const snap = new SnapshotBuilder()
      .service('a', lb('a.local'), { networks: ['net-z'] })
      .service('b', lb('b.local'), { networks: ['net-b'] })
      .service('c', lb('c.local'), { networks: ['net-z'] })
      .build();
    expect(buildModel(snap).networks.map((n) => n.name)).toEqual(['net-b', 'net-z']);
  });
});

describe('endpoints', () => {
  it('targets each task address on the chosen network at the port label, sorted numerically', () => {
    const snap = new SnapshotBuilder()
      .service('web', lb('w.local', 9000), { replicas: 0, networks: ['app', 'other'] })
      .task('web', { addresses: { app: ['10.0.0.10'], other: ['10.9.0.1'] } })
      .task('web', { addresses: { app: ['10.0.0.9/24'] } })
      .task('web', { addresses: { other: ['10.9.0.2'] } })
      .build();
    const model = buildModel(snap);
    expect(upstreamOf(model, 'w.local')?.endpoints).toEqual([
      { address: '10.0.0.9', port: 9000, weight: 1, service: 'web', taskId: 'web.2' },
      { address: '10.0.0.10', port: 9000, weight: 1, service: 'web', taskId: 'web.1' },
    ]);
    expect(model.services[0]?.runningTasks).toBe(3);
  });

  it('vip mode: one endpoint at the service VIP on the chosen network', () => {
    const snap = new SnapshotBuilder()
      .service('web', lb('w.local', 80, { backend_mode: 'vip' }), { replicas: 3, vips: { app: '10.1.0.100' } })
      .build();
    const up = upstreamOf(buildModel(snap), 'w.local');
    expect(up?.mode).toBe(BackendMode.BACKEND_MODE_VIP);
    expect(up?.endpoints).toEqual([{ address: '10.1.0.100', port: 80, weight: 1, service: 'web', taskId: '' }]);
  });

  it('task mode is the default mode', () => {
    const up = upstreamOf(buildModel(new SnapshotBuilder().service('w', lb('w.local')).build()), 'w.local');
    expect(up?.mode).toBe(BackendMode.BACKEND_MODE_TASK);
  });
});

describe('routes', () => {
  it('routes each host at the context root with strip_prefix = context_root_rewrite', () => {
    const snap = new SnapshotBuilder()
      .service('app', lb('b.local,a.local', 80, { context_root: '/app', context_root_rewrite: 'true' }))
      .service('root', lb('a.local', 80))
      .build();
    const model = buildModel(snap);
    expect(model.hosts.map((h) => h.host)).toEqual(['a.local', 'b.local']);
    expect(model.hosts[0]?.routes).toEqual([
      { path: '/app', stripPrefix: true, upstream: 'app', websocket: false },
      { path: '/', stripPrefix: false, upstream: 'root', websocket: false },
    ]);
    expect(model.hosts[1]?.routes).toEqual([{ path: '/app', stripPrefix: true, upstream: 'app', websocket: false }]);
  });

  it('adds a websocket route per websocket endpoint, or flags an identical path', () => {
    const snap = new SnapshotBuilder()
      .service('chat', lb('c.local', 80, { context_root: '/chat', websocket_endpoints: '/chat,/ws/live' }))
      .build();
    expect(buildModel(snap).hosts[0]?.routes).toEqual([
      { path: '/ws/live', stripPrefix: false, upstream: 'chat', websocket: true },
      { path: '/chat', stripPrefix: false, upstream: 'chat', websocket: true },
    ]);
  });

  it('a websocket path under a stripped context root flags the context-root route', () => {
    const snap = new SnapshotBuilder()
      .service('chat', lb('c.local', 80, { context_root: '/chat', context_root_rewrite: 'true', websocket_endpoints: '/chat/ws' }))
      .build();
    expect(buildModel(snap).hosts[0]?.routes).toEqual([{ path: '/chat', stripPrefix: true, upstream: 'chat', websocket: true }]);
  });

  it('ignores a websocket path already routed to another upstream (websocket-conflict)', () => {
    const snap = new SnapshotBuilder()
      .service('api', lb('c.local', 80, { context_root: '/api' }))
      .service('web', lb('c.local', 80, { websocket_endpoints: '/api' }))
      .build();
    const model = buildModel(snap);
    expect(model.hosts[0]?.routes).toEqual([
      { path: '/api', stripPrefix: false, upstream: 'api', websocket: false },
      { path: '/', stripPrefix: false, upstream: 'web', websocket: false },
    ]);
    expect(find(model.diagnostics, 'websocket-conflict')).toMatchObject({ service: 'web', severity: Severity.SEVERITY_WARNING });
  });
});

describe('upstream pools', () => {
  it('services claiming the same host and path share one pool (canary), split by task count', () => {
    const snap = new SnapshotBuilder()
      .service('demo-v2', lb('demo.local'), { replicas: 1 })
      .service('demo-v1', lb('demo.local'), { replicas: 4 })
      .build();
    const model = buildModel(snap);
    expect(model.upstreams).toHaveLength(1);
    const up = model.upstreams[0] as Upstream;
    expect(up.services).toEqual(['demo-v1', 'demo-v2']);
    expect(up.name).toMatch(UPSTREAM_NAME_PATTERN);
    expect(up.name).toMatch(/^demo-v1_demo-v2-[0-9a-f]{10}$/);
    expect(up.endpoints).toHaveLength(5);
    expect(up.endpoints.every((e) => e.weight === 1)).toBe(true);
    expect(model.hosts[0]?.routes[0]?.upstream).toBe(up.name);
  });

  it('a service with several hosts reuses one upstream for all of them', () => {
    const model = buildModel(new SnapshotBuilder().service('web', lb('a.local,b.local,c.local')).build());
    expect(model.upstreams.map((u) => u.name)).toEqual(['web']);
    expect(new Set(model.hosts.flatMap((h) => h.routes.map((r) => r.upstream)))).toEqual(new Set(['web']));
  });

  it('copies the pool options onto the upstream', () => {
    const snap = new SnapshotBuilder()
      .service('web', lb('w.local', 443, { sticky_session_cookie: 'sid', ssl_backend: 'true', ssl_backend_tls_verify: 'required' }))
      .build();
    expect(buildModel(snap).upstreams[0]).toMatchObject({ stickyCookie: 'sid', ipHash: false, tls: true, tlsVerify: true });
  });

  it.each([
    ['sticky_session_cookie', { sticky_session_cookie: 'a' }, { sticky_session_cookie: 'b' }],
    ['ip_hash', {}, { ip_hash: 'true' }],
    ['ssl_backend', {}, { ssl_backend: 'true' }],
    ['ssl_backend_tls_verify', { ssl_backend: 'true' }, { ssl_backend: 'true', ssl_backend_tls_verify: 'required' }],
    ['backend_mode', {}, { backend_mode: 'vip' }],
    ['context_root_rewrite', { context_root: '/a' }, { context_root: '/a', context_root_rewrite: 'true' }],
  ])('conflicting %s: the older service wins, the newer gets route-conflict', (what, older, newer) => {
    const snap = new SnapshotBuilder()
      .service('young', lb('x.local', 80, newer), { createdAt: 5000, vips: { app: '10.1.0.200' } })
      .service('old', lb('x.local', 80, older), { createdAt: 1000, vips: { app: '10.1.0.100' } })
      .build();
    const model = buildModel(snap);
    expect(model.upstreams.map((u) => u.services)).toEqual([['old']]);
    expect(find(model.diagnostics, 'route-conflict')).toMatchObject({
      service: 'young',
      label: `com.docker.lb.${what}`,
      severity: Severity.SEVERITY_ERROR,
    });
    expect(model.services.map((s) => [s.name, s.routed])).toEqual([
      ['old', true],
      ['young', false],
    ]);
  });

  it('breaks age ties by service name', () => {
    const snap = new SnapshotBuilder()
      .service('b', lb('x.local', 80, { ip_hash: 'true' }), { createdAt: 1 })
      .service('a', lb('x.local', 80), { createdAt: 1 })
      .build();
    const model = buildModel(snap);
    expect(model.upstreams.map((u) => u.services)).toEqual([['a']]);
    expect(codes(model.diagnostics, 'b')).toEqual(['route-conflict']);
  });

  it('a conflict excludes the newer service from that route only', () => {
    const snap = new SnapshotBuilder()
      .service('old', lb('x.local', 80), { createdAt: 1 })
      .service('new', lb('x.local,y.local', 80, { ip_hash: 'true' }), { createdAt: 2 })
      .build();
    const model = buildModel(snap);
    expect(upstreamOf(model, 'x.local')?.services).toEqual(['old']);
    expect(upstreamOf(model, 'y.local')?.services).toEqual(['new']);
    expect(model.services.find((s) => s.name === 'new')?.routed).toBe(true);
  });
});

describe('weighted canary', () => {
  it('gives each service weight/Σweights of the traffic regardless of replica counts', () => {
    const snap = new SnapshotBuilder()
      .service('stable', lb('w.local', 80, { [WEIGHT]: '90' }), { replicas: 3 })
      .service('canary', lb('w.local', 80, { [WEIGHT]: '10' }), { replicas: 1 })
      .build();
    const up = upstreamOf(buildModel(snap), 'w.local') as Upstream;
    const share = (svc: string): number => up.endpoints.filter((e) => e.service === svc).reduce((a, e) => a + e.weight, 0);
    const total = share('stable') + share('canary');
    expect(share('stable') / total).toBeCloseTo(0.9, 10);
    expect(share('canary') / total).toBeCloseTo(0.1, 10);
    expect(up.endpoints.every((e) => Number.isInteger(e.weight) && e.weight >= 1)).toBe(true);
  });

  it('counts a service without a weight label as weight 100', () => {
    const snap = new SnapshotBuilder()
      .service('a', lb('w.local', 80, { [WEIGHT]: '300' }), { replicas: 1 })
      .service('b', lb('w.local', 80), { replicas: 5 })
      .build();
    const up = upstreamOf(buildModel(snap), 'w.local') as Upstream;
    const share = (svc: string): number => up.endpoints.filter((e) => e.service === svc).reduce((a, e) => a + e.weight, 0);
    expect(share('a') / (share('a') + share('b'))).toBeCloseTo(0.75, 10);
  });

  it('stays within 1..256 and close to the target shares when exact weights would be too large', () => {
    const snap = new SnapshotBuilder()
      .service('a', lb('w.local', 80, { [WEIGHT]: '997' }), { replicas: 7 })
      .service('b', lb('w.local', 80, { [WEIGHT]: '3' }), { replicas: 11 })
      .build();
    const up = upstreamOf(buildModel(snap), 'w.local') as Upstream;
    expect(up.endpoints.every((e) => e.weight >= 1 && e.weight <= 256)).toBe(true);
    const share = (svc: string): number => up.endpoints.filter((e) => e.service === svc).reduce((a, e) => a + e.weight, 0);
    expect(share('a') / (share('a') + share('b'))).toBeCloseTo(0.997, 2);
  });
});

describe('TLS termination', () => {
  const base = (): SnapshotBuilder => new SnapshotBuilder().secret('web.cert').secret('web.key');

  it('names the certificate after its cert secret and mounts it as <name>.pem / <name>.pem.key', () => {
    const snap = base()
      .service('web', lb('w.local', 80, { ssl_cert: 'web.cert', ssl_key: 'web.key', ssl_only: 'true' }))
      .build();
    const model = buildModel(snap);
    expect(model.certificates).toEqual([
      { name: 'web.cert', certSecret: 'web.cert', keySecret: 'web.key', certFile: 'web.cert.pem', keyFile: 'web.cert.pem.key' },
    ]);
    expect(model.hosts[0]).toMatchObject({ host: 'w.local', certificate: 'web.cert', sslOnly: true });
  });

  it('skips a service naming a secret that does not exist (unknown-secret)', () => {
    const snap = new SnapshotBuilder().secret('web.cert').service('web', lb('w.local', 80, { ssl_cert: 'web.cert', ssl_key: 'nope' })).build();
    const model = buildModel(snap);
    expect(find(model.diagnostics, 'unknown-secret')).toMatchObject({ service: 'web', label: 'com.docker.lb.ssl_key', severity: Severity.SEVERITY_ERROR });
    expect(model.hosts).toEqual([]);
    expect(model.certificates).toEqual([]);
  });

  it('two services giving one host different certificates: the older wins', () => {
    const snap = base()
      .secret('other.cert')
      .service('new', lb('w.local', 80, { ssl_cert: 'other.cert', ssl_key: 'web.key' }), { createdAt: 2 })
      .service('old', lb('w.local', 80, { ssl_cert: 'web.cert', ssl_key: 'web.key' }), { createdAt: 1 })
      .build();
    const model = buildModel(snap);
    expect(model.hosts[0]?.certificate).toBe('web.cert');
    expect(model.certificates.map((c) => c.name)).toEqual(['web.cert']);
    expect(find(model.diagnostics, 'certificate-conflict')).toMatchObject({ service: 'new', label: 'com.docker.lb.ssl_cert' });
    expect(upstreamOf(model, 'w.local')?.services).toEqual(['new', 'old']);
  });

  it('one certificate secret paired with two key secrets: the newer service is skipped', () => {
    const snap = base()
      .secret('other.key')
      .service('new', lb('n.local', 80, { ssl_cert: 'web.cert', ssl_key: 'other.key' }), { createdAt: 2 })
      .service('old', lb('o.local', 80, { ssl_cert: 'web.cert', ssl_key: 'web.key' }), { createdAt: 1 })
      .build();
    const model = buildModel(snap);
    expect(model.hosts.map((h) => h.host)).toEqual(['o.local']);
    expect(model.certificates.map((c) => c.keySecret)).toEqual(['web.key']);
    expect(find(model.diagnostics, 'certificate-conflict')).toMatchObject({ service: 'new', label: 'com.docker.lb.ssl_key' });
  });

  it('a host both passed through and terminated: the older claim wins (tls-conflict)', () => {
    const snap = base()
      .service('term', lb('w.local', 80, { ssl_cert: 'web.cert', ssl_key: 'web.key' }), { createdAt: 2 })
      .service('pass', lb('w.local', 443, { ssl_passthrough: 'true' }), { createdAt: 1 })
      .build();
    const model = buildModel(snap);
    expect(model.sniRoutes).toEqual([{ host: 'w.local', upstream: 'pass' }]);
    expect(model.hosts[0]?.certificate).toBe('');
    expect(find(model.diagnostics, 'tls-conflict')).toMatchObject({ service: 'term' });
  });
});

describe('TLS passthrough', () => {
  it('becomes an SNI route (not an HTTP host) to the tasks on the port label', () => {
    const snap = new SnapshotBuilder().service('secure', lb('s.local', 8443, { ssl_passthrough: 'true' }), { replicas: 2 }).build();
    const model = buildModel(snap);
    expect(model.hosts).toEqual([]);
    expect(model.sniRoutes).toEqual([{ host: 's.local', upstream: 'secure' }]);
    expect(model.upstreams[0]?.endpoints.map((e) => e.port)).toEqual([8443, 8443]);
  });

  it('with ssl_only adds an HTTP host without routes that only redirects to HTTPS', () => {
    const snap = new SnapshotBuilder().service('secure', lb('s.local', 8443, { ssl_passthrough: 'true', ssl_only: 'true' })).build();
    const model = buildModel(snap);
    expect(model.hosts).toEqual([{ host: 's.local', certificate: '', sslOnly: true, routes: [], redirects: [] }]);
    expect(model.sniRoutes).toEqual([{ host: 's.local', upstream: 'secure' }]);
  });
});

describe('redirects', () => {
  it('adds a Redirect to the source host, one of the service\'s own hosts', () => {
    const snap = new SnapshotBuilder()
      .service('new', lb('new.local,old.local', 80, { redirects: 'http://old.local,http://new.local;http://new.local/legacy,https://new.local/v2' }))
      .build();
    const model = buildModel(snap);
    expect(model.hosts.find((h) => h.host === 'old.local')).toEqual({
      host: 'old.local',
      certificate: '',
      sslOnly: false,
      routes: [{ path: '/', stripPrefix: false, upstream: 'new', websocket: false }],
      redirects: [{ fromPath: '/', toUrl: 'http://new.local' }],
    });
    expect(model.hosts.find((h) => h.host === 'new.local')?.redirects).toEqual([{ fromPath: '/legacy', toUrl: 'https://new.local/v2' }]);
  });

  it('same source, different targets: the older service wins (redirect-conflict)', () => {
    // Both share old.local under their own context roots, so neither route answers "/".
    const snap = new SnapshotBuilder()
      .service('b', lb('old.local', 80, { context_root: '/b', redirects: 'http://old.local,http://b.local' }), { createdAt: 2 })
      .service('a', lb('old.local', 80, { context_root: '/a', redirects: 'http://old.local,http://a.local' }), { createdAt: 1 })
      .build();
    const model = buildModel(snap);
    expect(model.hosts.find((h) => h.host === 'old.local')?.redirects).toEqual([{ fromPath: '/', toUrl: 'http://a.local' }]);
    expect(find(model.diagnostics, 'redirect-conflict')).toMatchObject({ service: 'b', severity: Severity.SEVERITY_WARNING });
  });
});

describe('default backend', () => {
  it('is the upstream of the oldest default_backend service; the others get a warning', () => {
    const snap = new SnapshotBuilder()
      .service('fallback2', { 'com.docker.lb.default_backend': 'true', 'com.docker.lb.port': '80' }, { createdAt: 9 })
      .service('fallback', { 'com.docker.lb.default_backend': 'true', 'com.docker.lb.port': '80' }, { createdAt: 5 })
      .service('web', lb('w.local'))
      .build();
    const model = buildModel(snap);
    expect(model.defaultUpstream).toBe('fallback');
    expect(model.upstreams.find((u) => u.name === 'fallback')?.endpoints).toHaveLength(1);
    expect(find(model.diagnostics, 'default-backend-conflict')).toMatchObject({ service: 'fallback2', severity: Severity.SEVERITY_WARNING });
    expect(model.services.map((s) => [s.name, s.routed])).toEqual([
      ['fallback', true],
      ['fallback2', false],
      ['web', true],
    ]);
  });

  it('is "" when no service asks for it', () => {
    expect(buildModel(new SnapshotBuilder().service('web', lb('w.local')).build()).defaultUpstream).toBe('');
  });
});

describe('model envelope', () => {
  const snap = new SnapshotBuilder().service('web', lb('w.local')).build();

  it('stamps the version, fills the hash, and the hash ignores the version', () => {
    const v0 = buildModel(snap);
    const v7 = buildModel(snap, { version: 7 });
    expect(v0.version).toBe(0);
    expect(v7.version).toBe(7);
    expect(v7.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(v7.hash).toBe(v0.hash);
    expect(modelHash(v7)).toBe(v7.hash);
  });

  it('the hash changes with the content', () => {
    const other = new SnapshotBuilder().service('web', lb('w.local', 8081)).build();
    expect(buildModel(other).hash).not.toBe(buildModel(snap).hash);
  });

  it('reports parser warnings of routed services and sorts diagnostics by service, label, code', () => {
    const s = new SnapshotBuilder()
      .service('z', lb('z.local', 80, { 'com.docker.lb.bogus': 'x' }))
      .service('a', lb('a.local', 80, { 'com.docker.lb.zzz': 'x', 'com.docker.lb.aaa': 'y' }))
      .build();
    const model = buildModel(s);
    expect(model.diagnostics.map((d) => [d.service, d.label, d.code])).toEqual([
      ['a', 'com.docker.lb.aaa', 'unknown-label'],
      ['a', 'com.docker.lb.zzz', 'unknown-label'],
      ['z', 'com.docker.lb.bogus', 'unknown-label'],
    ]);
    expect(model.services.every((x) => x.routed)).toBe(true);
  });

  it('documents a conflict rule for every conflict code it emits', () => {
    expect(CONFLICT_RULES.map((r) => r.code)).toEqual(
      expect.arrayContaining(['route-conflict', 'certificate-conflict', 'tls-conflict', 'websocket-conflict', 'redirect-conflict', 'default-backend-conflict']),
    );
  });
});

describe('injected parser', () => {
  const spec = (over: Partial<ServiceRouteSpec>): ServiceRouteSpec => ({
    hosts: [],
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
    ...over,
  });

  it('is used instead of the real parser', () => {
    const parse: ServiceLabelParser = (service) => ({ spec: spec({ hosts: [`${service}.injected`] }), diagnostics: [] });
    const snap: SwarmSnapshot = new SnapshotBuilder().service('web', { 'com.docker.lb.anything': 'x' }).build();
    expect(buildModel(snap, { parse }).hosts.map((h) => h.host)).toEqual(['web.injected']);
  });

  it('never lets an unsafe host, path or URL into the model (unsafe-value)', () => {
    const parse: ServiceLabelParser = () => ({
      spec: spec({ hosts: ['ok.local', 'evil.local;\n}'], contextRoot: '/a b' }),
      diagnostics: [],
    });
    const model = buildModel(new SnapshotBuilder().service('web', { 'com.docker.lb.hosts': 'x' }).build(), { parse });
    expect(model.hosts).toEqual([]);
    expect(codes(model.diagnostics)).toEqual(['unsafe-value', 'unsafe-value']);
  });

  it('requires a port for a service that needs an upstream (missing-port)', () => {
    const parse: ServiceLabelParser = () => ({ spec: spec({ hosts: ['w.local'], port: undefined }), diagnostics: [] });
    const model = buildModel(new SnapshotBuilder().service('web', { 'com.docker.lb.hosts': 'w.local' }).build(), { parse });
    expect(codes(model.diagnostics)).toEqual(['missing-port']);
    expect(model.upstreams).toEqual([]);
  });
});
