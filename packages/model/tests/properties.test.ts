import fc from 'fast-check';
import { ProxyModel, type SwarmSnapshot } from '@switchyard/proto';
import type { ServiceRouteSpec } from '@switchyard/labels';
import { isSafeHost, isSafePath, isSafeRedirectUrl } from '@switchyard/labels';
import { buildModel, UPSTREAM_NAME_PATTERN, type ServiceLabelParser } from '../src/index.js';
import { SnapshotBuilder } from './snapshot-builder.js';

const NETWORKS = ['app', 'back', 'front', 'ingress'];
const SECRETS = ['a.cert', 'a.key', 'b.cert', 'b.key'];

/** A label value: mostly plausible ones, now and then arbitrary text (the parser must reject it). */
const value = (...plausible: string[]): fc.Arbitrary<string> =>
  fc.oneof({ weight: 19, arbitrary: fc.constantFrom(...plausible) }, { weight: 1, arbitrary: fc.string({ maxLength: 12 }) });

/** An optional label, present about one time in six. */
const optional = (...plausible: string[]): fc.Arbitrary<string | undefined> =>
  fc.oneof({ weight: 5, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: value(...plausible) });

const labelsArb: fc.Arbitrary<Record<string, string>> = fc
  .record({
    'com.docker.lb.hosts': value('a.local', 'b.local', 'a.local,b.local', '*.wild.local', 'c.local'),
    'com.docker.lb.port': value('80', '8080', '443'),
    'com.docker.lb.network': optional('app', 'back', 'net-front', 'missing'),
    'com.docker.lb.context_root': optional('/app', '/api', '/app/v2'),
    'com.docker.lb.context_root_rewrite': optional('true', 'false'),
    'com.docker.lb.ssl_cert': optional('a.cert', 'b.cert', 'nope'),
    'com.docker.lb.ssl_key': optional('a.key', 'b.key'),
    'com.docker.lb.ssl_passthrough': optional('true'),
    'com.docker.lb.ssl_only': optional('true'),
    'com.docker.lb.sticky_session_cookie': optional('sid', 'other'),
    'com.docker.lb.ip_hash': optional('true'),
    'com.docker.lb.backend_mode': optional('task', 'vip'),
    'com.docker.lb.websocket_endpoints': optional('/ws', '/app/ws,/live'),
    'com.docker.lb.redirects': optional('http://old.local,http://a.local', 'http://a.local/x,https://b.local/y'),
    'com.docker.lb.default_backend': optional('true'),
    'com.docker.lb.service_cluster': optional('east'),
    'com.switchyard.lb.weight': optional('1', '10', '90', '1000'),
  })
  .map((labels) => {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(labels)) if (v !== undefined) out[k] = v;
    const cert = out['com.docker.lb.ssl_cert'];
    if (cert !== undefined && out['com.docker.lb.ssl_key'] === undefined) out['com.docker.lb.ssl_key'] = cert.replace('cert', 'key');
    return out;
  });

const serviceArb = fc.record({
  labels: labelsArb,
  networks: fc.oneof({ weight: 3, arbitrary: fc.constant<string[]>(['app']) }, { weight: 2, arbitrary: fc.subarray(NETWORKS) }),
  createdAt: fc.integer({ min: 0, max: 5 }),
  replicas: fc.integer({ min: 0, max: 3 }),
  stopped: fc.integer({ min: 0, max: 1 }),
});

const snapshotArb: fc.Arbitrary<SwarmSnapshot> = fc.array(serviceArb, { maxLength: 10 }).map((services) => {
  const b = new SnapshotBuilder().network('ingress', { ingress: true });
  // a.* secrets allow any service, b.* secrets only services whose hosts are all covered.
  for (const s of SECRETS) b.secret(s, s.startsWith('a.') ? { 'com.switchyard.lb.allowed-services': '*' } : { 'com.switchyard.lb.allowed-hosts': 'b.local,*.wild.local' });
  services.forEach((s, i) => {
    const name = `svc${i}`;
    b.service(name, s.labels, {
      networks: s.networks,
      createdAt: s.createdAt,
      replicas: s.replicas,
      vips: Object.fromEntries(s.networks.map((n, k) => [n, `10.200.${i}.${k + 1}`])),
    });
    for (let k = 0; k < s.stopped; k++) b.task(name, { state: 'shutdown', desiredState: 'shutdown' });
  });
  return b.build();
});

/** Deterministic Fisher–Yates driven by fast-check's random source. */
function shuffled<T>(items: readonly T[], rand: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

function shuffleSnapshot(s: SwarmSnapshot, rand: () => number): SwarmSnapshot {
  return {
    services: shuffled(s.services, rand).map((svc) => ({
      ...svc,
      labels: Object.fromEntries(shuffled(Object.entries(svc.labels), rand)),
      networkIds: shuffled(svc.networkIds, rand),
      virtualIps: shuffled(svc.virtualIps, rand),
    })),
    tasks: shuffled(s.tasks, rand).map((t) => ({
      ...t,
      attachments: shuffled(t.attachments, rand).map((a) => ({ ...a, addresses: shuffled(a.addresses, rand) })),
    })),
    networks: shuffled(s.networks, rand),
    secrets: shuffled(s.secrets, rand),
  };
}

function encode(model: ProxyModel): string {
  return Buffer.from(ProxyModel.encode(model).finish()).toString('hex');
}

function expectSafe(model: ProxyModel): void {
  for (const u of model.upstreams) expect(u.name).toMatch(UPSTREAM_NAME_PATTERN);
  for (const h of model.hosts) {
    expect(isSafeHost(h.host)).toBe(true);
    for (const r of h.routes) {
      expect(isSafePath(r.path)).toBe(true);
      expect(r.upstream).toMatch(UPSTREAM_NAME_PATTERN);
    }
    for (const r of h.redirects) {
      expect(isSafePath(r.fromPath)).toBe(true);
      expect(isSafeRedirectUrl(r.toUrl)).toBe(true);
    }
  }
  for (const s of model.sniRoutes) {
    expect(isSafeHost(s.host)).toBe(true);
    expect(s.upstream).toMatch(UPSTREAM_NAME_PATTERN);
  }
  const names = new Set(model.upstreams.map((u) => u.name));
  expect(names.size).toBe(model.upstreams.length);
  for (const h of model.hosts) for (const r of h.routes) expect(names.has(r.upstream)).toBe(true);
  for (const s of model.sniRoutes) expect(names.has(s.upstream)).toBe(true);
  if (model.defaultUpstream !== '') expect(names.has(model.defaultUpstream)).toBe(true);
  for (const u of model.upstreams) for (const e of u.endpoints) expect(e.weight).toBeGreaterThanOrEqual(1);
}

describe('determinism', () => {
  it('shuffling every array of the snapshot gives a byte-identical encoded model', () => {
    fc.assert(
      fc.property(snapshotArb, fc.constantFrom('', 'east'), fc.integer(), (snap, cluster, seed) => {
        const rand = mulberry32(seed);
        const a = buildModel(snap, { serviceCluster: cluster, version: 3 });
        const b = buildModel(shuffleSnapshot(snap, rand), { serviceCluster: cluster, version: 3 });
        expect(encode(b)).toBe(encode(a));
        expect(b.hash).toBe(a.hash);
      }),
      { numRuns: 300 },
    );
  });
});

describe('safe output', () => {
  it('every upstream name, host, path and URL stays inside its safe set (real parser)', () => {
    fc.assert(
      fc.property(snapshotArb, fc.constantFrom('', 'east'), (snap, cluster) => {
        expectSafe(buildModel(snap, { serviceCluster: cluster }));
      }),
      { numRuns: 300 },
    );
  });

  it('the same holds whatever a parser returns (the model checks values itself)', () => {
    const text = fc.string({ maxLength: 10 });
    const specArb: fc.Arbitrary<ServiceRouteSpec> = fc.record({
      hosts: fc.array(fc.oneof(fc.constantFrom('a.local', 'B.local', '*.x.local'), text), { maxLength: 3 }),
      port: fc.constantFrom(80, undefined),
      network: fc.constant(undefined),
      contextRoot: fc.oneof(fc.constantFrom(undefined, '/app', 'app', '/a b'), text),
      contextRootRewrite: fc.boolean(),
      sslCert: fc.constant(undefined),
      sslKey: fc.constant(undefined),
      sslPassthrough: fc.boolean(),
      sslOnly: fc.boolean(),
      sslBackend: fc.boolean(),
      sslBackendTlsVerify: fc.constantFrom('none' as const, 'required' as const),
      websocketEndpoints: fc.array(fc.oneof(fc.constant('/ws'), text), { maxLength: 2 }),
      serviceCluster: fc.constant(''),
      stickySessionCookie: fc.constantFrom(undefined, 'sid'),
      ipHash: fc.boolean(),
      redirects: fc.array(fc.record({ sourceHost: fc.oneof(fc.constant('r.local'), text), sourcePath: fc.oneof(fc.constant('/'), text), target: fc.oneof(fc.constant('http://t.local'), text) }), { maxLength: 2 }),
      backendMode: fc.constantFrom('task' as const, 'vip' as const),
      defaultBackend: fc.boolean(),
      weight: fc.constantFrom(undefined, 1, 50),
    });
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.string({ maxLength: 12 }), specArb), { minLength: 1, maxLength: 5 }), (entries) => {
        const b = new SnapshotBuilder();
        entries.forEach(([name], i) => b.service(name === '' ? `s${i}` : `${name}${i}`, { 'com.docker.lb.hosts': 'x' }));
        const specs = new Map(b.build().services.map((s, i) => [s.name, entries[i]?.[1]]));
        const parse: ServiceLabelParser = (service) => ({ spec: specs.get(service), diagnostics: [] });
        expectSafe(buildModel(b.build(), { parse }));
      }),
      { numRuns: 300 },
    );
  });
});

/** Small seeded PRNG so a failing shuffle replays from fast-check's seed. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
