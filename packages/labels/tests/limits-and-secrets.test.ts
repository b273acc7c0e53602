import { Severity } from '@switchyard/proto';
import {
  hostMatches,
  MAX_LABEL_VALUE_LENGTH,
  MAX_WEBSOCKET_ENDPOINTS,
  parseSecretAccess,
  parseServiceLabels,
  SECRET_LABELS,
  secretAllows,
} from '../src/index.js';

const base = { 'com.docker.lb.hosts': 'app.test', 'com.docker.lb.port': '80' };

describe('websocket_endpoints cap', () => {
  it(`keeps the first ${MAX_WEBSOCKET_ENDPOINTS} paths in label order and warns`, () => {
    // Regression: ~430 paths made one server block exceed 500 KiB and held back every delivery.
    const paths = Array.from({ length: 430 }, (_, i) => `/w${String(429 - i).padStart(3, '0')}`);
    const value = paths.join(',');
    expect(value.length).toBeLessThanOrEqual(MAX_LABEL_VALUE_LENGTH);
    const r = parseServiceLabels('ws', { ...base, 'com.docker.lb.websocket_endpoints': value });
    expect(r.spec?.websocketEndpoints).toEqual([...paths.slice(0, MAX_WEBSOCKET_ENDPOINTS)].sort());
    expect(r.diagnostics).toEqual([
      expect.objectContaining({ code: 'too-many-websocket-endpoints', severity: Severity.SEVERITY_WARNING, label: 'com.docker.lb.websocket_endpoints' }),
    ]);
  });

  it('accepts exactly the limit silently (duplicates count once)', () => {
    const paths = Array.from({ length: MAX_WEBSOCKET_ENDPOINTS }, (_, i) => `/p${i}`);
    const r = parseServiceLabels('ws', { ...base, 'com.docker.lb.websocket_endpoints': [...paths, '/p0'].join(',') });
    expect(r.spec?.websocketEndpoints).toHaveLength(MAX_WEBSOCKET_ENDPOINTS);
    expect(r.diagnostics).toEqual([]);
  });
});

describe('hostMatches', () => {
  it.each([
    ['a.test', 'a.test', true],
    ['*.a.test', 'x.a.test', true],
    ['*.a.test', 'x.y.a.test', true],
    ['*.a.test', 'a.test', false],
    ['*.a.test', 'xa.test', false],
    ['*.a.test', '*.b.a.test', true],
    ['a.test', 'x.a.test', false],
  ])('%s covers %s: %s', (pattern, host, expected) => {
    expect(hostMatches(pattern, host)).toBe(expected);
  });
});

describe('secret access labels', () => {
  it('reads services (with "*") and host patterns, dropping invalid entries', () => {
    expect(
      parseSecretAccess({ [SECRET_LABELS.allowedServices]: ' web , bad name,web', [SECRET_LABELS.allowedHosts]: 'A.test,*.b.test,bad host,' }),
    ).toEqual({ anyService: false, services: ['web'], hosts: ['*.b.test', 'a.test'] });
    expect(parseSecretAccess({ [SECRET_LABELS.allowedServices]: '*' }).anyService).toBe(true);
    expect(parseSecretAccess(undefined)).toEqual({ anyService: false, services: [], hosts: [] });
  });

  it('allows a named service, any service with "*", or hosts all covered by the patterns', () => {
    const byName = parseSecretAccess({ [SECRET_LABELS.allowedServices]: 'web' });
    expect(secretAllows(byName, 'web', ['x.test'])).toBe(true);
    expect(secretAllows(byName, 'evil', ['x.test'])).toBe(false);
    const byHost = parseSecretAccess({ [SECRET_LABELS.allowedHosts]: 'a.test,*.b.test' });
    expect(secretAllows(byHost, 'any', ['a.test', 'x.b.test'])).toBe(true);
    expect(secretAllows(byHost, 'any', ['a.test', 'victim.test'])).toBe(false);
    expect(secretAllows(byHost, 'any', ['b.test'])).toBe(false);
    expect(secretAllows(byHost, 'any', [])).toBe(false);
    expect(secretAllows(parseSecretAccess({}), 'web', ['a.test'])).toBe(false);
  });
});
