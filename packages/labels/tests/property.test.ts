import fc from 'fast-check';
import { Severity } from '@switchyard/proto';
import { LABELS, parseServiceLabels } from '../src/index.js';
import type { ServiceRouteSpec } from '../src/index.js';

const KNOWN = LABELS.map((info) => info.key);

const VALID: Record<string, string[]> = {
  'com.docker.lb.hosts': ['app.example.com', 'a.com, b.com', '*.example.com', 'OLD.local,new.local'],
  'com.docker.lb.port': ['80', '8080', '65535'],
  'com.docker.lb.network': ['demo', 'app-network-a'],
  'com.docker.lb.context_root': ['/app', '/app/', '/'],
  'com.docker.lb.websocket_endpoints': ['/ws', '/ws,/foo/'],
  'com.docker.lb.redirects': ['http://old.local,http://new.local', 'http://a.com/x,https://b.com:8443/y/;'],
  'com.docker.lb.ssl_cert': ['c.cert'],
  'com.docker.lb.ssl_key': ['c.key'],
  'com.docker.lb.sticky_session_cookie': ['session'],
  'com.docker.lb.service_cluster': ['us-east', ''],
  'com.docker.lb.backend_mode': ['task', 'vip'],
  'com.docker.lb.ssl_backend_tls_verify': ['none', 'required'],
  'com.switchyard.lb.weight': ['1', '50'],
};
const validFor = (key: string): string[] => VALID[key] ?? ['true', 'false', 'yes', '0'];

const FRAGMENTS = ['a', 'Z', '1', '.', '-', '_', '/', ',', ';', ':', '*', '..', '//', 'http://', 'https://', '@', '%2e', '?', '#',
  ' ', '\t', '\n', '\r', '\u0000', '{', '}', '"', "'", '$', '\\', '`', '\u0430', '\u212A', '\u2028', 'example.com', 'true', '80'];

const fragmentString = fc.array(fc.constantFrom(...FRAGMENTS), { maxLength: 12 }).map((parts) => parts.join(''));
const anyString = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fragmentString);

const entry = fc.oneof(
  fc.constantFrom(...KNOWN).chain((key) => fc.tuple(fc.constant(key), fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...validFor(key)) }, { weight: 1, arbitrary: anyString }))),
  fc.tuple(anyString.map((s) => `com.docker.lb.${s}`), anyString),
  fc.tuple(anyString, anyString),
);
const BASE = { 'com.docker.lb.hosts': 'app.example.com', 'com.docker.lb.port': '8080' };
const labelMap = fc
  .tuple(fc.boolean(), fc.array(entry, { maxLength: 10 }))
  .map(([withBase, entries]) => ({ ...(withBase ? BASE : {}), ...Object.fromEntries(entries) }));

/** Every string inside the spec, with where it was found. */
function strings(value: unknown, path = 'spec'): Array<[string, string]> {
  if (typeof value === 'string') return [[path, value]];
  if (Array.isArray(value)) return value.flatMap((v, i) => strings(v, `${path}[${i}]`));
  if (value !== null && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => strings(v, `${path}.${k}`));
  return [];
}

const STRICT = /^[\x21-\x7e]*$/;
const FORBIDDEN = /[;{}"'$\\`]/;

describe('parseServiceLabels properties', () => {
  it('never throws, and a returned spec holds only strictly safe strings', () => {
    let specs = 0;
    fc.assert(
      fc.property(anyString, labelMap, (service, labels) => {
        const r = parseServiceLabels(service, labels);
        const hasError = r.diagnostics.some((d) => d.severity === Severity.SEVERITY_ERROR);
        expect(r.spec === undefined).toBe(hasError || !Object.keys(labels).some((k) => k.startsWith('com.docker.lb.')));
        for (const d of r.diagnostics) {
          expect(d.service).toBe(service);
          expect(d.message).toMatch(/^[\x20-\x7e]*$/);
          expect(d.code).toMatch(/^[a-z]+(-[a-z]+)*$/);
        }
        const order = r.diagnostics.map((d) => [d.label, d.code] as const);
        for (let i = 1; i < order.length; i++) {
          const [pl, pc] = order[i - 1] ?? ['', ''];
          const [l, c] = order[i] ?? ['', ''];
          expect(pl < l || (pl === l && pc <= c)).toBe(true);
        }
        if (r.spec !== undefined) {
          specs++;
          for (const [where, s] of strings(r.spec)) {
            expect({ where, ok: STRICT.test(s) && !FORBIDDEN.test(s) }).toEqual({ where, ok: true });
          }
        }
      }),
      { numRuns: 3000 },
    );
    // The generator must actually reach the interesting case.
    expect(specs).toBeGreaterThan(300);
  });

  it('does not depend on the order of the keys', () => {
    fc.assert(
      fc.property(labelMap, (labels) => {
        const reversed = Object.fromEntries(Object.entries(labels).reverse());
        expect(JSON.stringify(parseServiceLabels('s', reversed))).toBe(JSON.stringify(parseServiceLabels('s', labels)));
      }),
      { numRuns: 500 },
    );
  });

  it('is a fixpoint: labels written back from a spec parse to the same spec', () => {
    const toLabels = (spec: ServiceRouteSpec): Record<string, string> => {
      const l: Record<string, string> = {
        'com.docker.lb.hosts': spec.hosts.join(','),
        'com.docker.lb.context_root_rewrite': String(spec.contextRootRewrite),
        'com.docker.lb.ssl_passthrough': String(spec.sslPassthrough),
        'com.docker.lb.ssl_only': String(spec.sslOnly),
        'com.docker.lb.ssl_backend': String(spec.sslBackend),
        'com.docker.lb.ssl_backend_tls_verify': spec.sslBackendTlsVerify,
        'com.docker.lb.service_cluster': spec.serviceCluster,
        'com.docker.lb.ip_hash': String(spec.ipHash),
        'com.docker.lb.backend_mode': spec.backendMode,
        'com.docker.lb.default_backend': String(spec.defaultBackend),
        'com.docker.lb.websocket_endpoints': spec.websocketEndpoints.join(','),
        'com.docker.lb.redirects': spec.redirects.map((r) => `http://${r.sourceHost}${r.sourcePath},${r.target}`).join(';'),
      };
      const optional: Array<[string, string | number | undefined]> = [
        ['com.docker.lb.port', spec.port],
        ['com.docker.lb.network', spec.network],
        ['com.docker.lb.context_root', spec.contextRoot],
        ['com.docker.lb.ssl_cert', spec.sslCert],
        ['com.docker.lb.ssl_key', spec.sslKey],
        ['com.docker.lb.sticky_session_cookie', spec.stickySessionCookie],
        ['com.switchyard.lb.weight', spec.weight],
      ];
      for (const [k, v] of optional) if (v !== undefined) l[k] = String(v);
      return l;
    };
    let checked = 0;
    fc.assert(
      fc.property(labelMap, (labels) => {
        const first = parseServiceLabels('s', labels).spec;
        if (first === undefined) return;
        checked++;
        expect(parseServiceLabels('s', toLabels(first)).spec).toEqual(first);
      }),
      { numRuns: 2000 },
    );
    expect(checked).toBeGreaterThan(200);
  });
});
