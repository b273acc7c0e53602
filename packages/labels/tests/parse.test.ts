import { Severity } from '@switchyard/proto';
import { parseServiceLabels } from '../src/index.js';
import type { ServiceRouteSpec } from '../src/index.js';

const P = 'com.docker.lb.';
const BASE: Record<string, string> = { [`${P}hosts`]: 'app.example.com', [`${P}port`]: '8080' };

function parse(extra: Record<string, string> = {}, drop: string[] = []) {
  const labels: Record<string, string> = { ...BASE, ...extra };
  for (const key of drop) delete labels[key];
  return parseServiceLabels('web', labels);
}

const codes = (r: ReturnType<typeof parse>): string[] => r.diagnostics.map((d) => `${d.label} ${d.code}`);

describe('routing gate', () => {
  it.each<[string, Record<string, string>]>([
    ['no labels', {}],
    ['unrelated labels', { 'com.docker.stack.namespace': 'demo', maintainer: 'x' }],
    ['only a switchyard label', { 'com.switchyard.lb.weight': '5' }],
    ['a key that is only the bare prefix', { 'com.docker.lb': 'x' }],
  ])('%s: not routed, no diagnostics', (_name, labels) => {
    expect(parseServiceLabels('web', labels)).toEqual({ spec: undefined, diagnostics: [] });
  });

  it('produces the documented defaults from hosts + port', () => {
    const expected: ServiceRouteSpec = {
      hosts: ['app.example.com'],
      port: 8080,
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
    expect(parse()).toEqual({ spec: expected, diagnostics: [] });
  });

  it('reports missing-hosts when other labels are present', () => {
    const r = parse({}, [`${P}hosts`]);
    expect(r.spec).toBeUndefined();
    expect(codes(r)).toEqual([`${P}hosts missing-hosts`]);
    expect(r.diagnostics[0]).toMatchObject({ service: 'web', severity: Severity.SEVERITY_ERROR });
  });

  it('reports missing-hosts for a hosts label with no names in it', () => {
    expect(codes(parse({ [`${P}hosts`]: ' , ,' }))).toEqual([`${P}hosts missing-hosts`]);
  });

  it('accepts default_backend=true without hosts (Interlock default host service)', () => {
    const r = parseServiceLabels('fallback', { [`${P}default_backend`]: 'true', [`${P}port`]: '8080' });
    expect(r.diagnostics).toEqual([]);
    expect(r.spec).toMatchObject({ hosts: [], defaultBackend: true, port: 8080 });
  });

  it('still reports missing-hosts with default_backend=false', () => {
    const r = parseServiceLabels('x', { [`${P}default_backend`]: 'false', [`${P}port`]: '8080' });
    expect(codes(r)).toEqual([`${P}hosts missing-hosts`]);
  });

  it('reports missing-port', () => {
    const r = parse({}, [`${P}port`]);
    expect(r.spec).toBeUndefined();
    expect(codes(r)).toEqual([`${P}port missing-port`]);
  });
});

describe('valid values', () => {
  it.each<[string, string, Partial<ServiceRouteSpec>]>([
    ['hosts', 'B.example.com, a.example.com ,b.example.com,', { hosts: ['a.example.com', 'b.example.com'] }],
    ['hosts', '*.example.com,example.com', { hosts: ['*.example.com', 'example.com'] }],
    ['hosts', '\tapp.example.com\t', { hosts: ['app.example.com'] }],
    ['port', '1', { port: 1 }],
    ['port', '65535', { port: 65535 }],
    ['port', ' 80 ', { port: 80 }],
    ['network', 'app-network-a', { network: 'app-network-a' }],
    ['network', 'k3j2h4g5f6d7s8a9q0w1e2r3t', { network: 'k3j2h4g5f6d7s8a9q0w1e2r3t' }],
    ['context_root', '/app', { contextRoot: '/app' }],
    ['context_root', '/app/', { contextRoot: '/app' }],
    ['context_root', '/', { contextRoot: '/' }],
    ['context_root', '/api/v1.2', { contextRoot: '/api/v1.2' }],
    ['websocket_endpoints', '/ws,/foo/, /ws', { websocketEndpoints: ['/foo', '/ws'] }],
    ['service_cluster', 'us-east', { serviceCluster: 'us-east' }],
    ['service_cluster', '', { serviceCluster: '' }],
    ['sticky_session_cookie', 'app_session', { stickySessionCookie: 'app_session' }],
    ['sticky_session_cookie', 'JSESSIONID', { stickySessionCookie: 'JSESSIONID' }],
    ['ssl_backend_tls_verify', 'none', { sslBackendTlsVerify: 'none' }],
    ['backend_mode', 'vip', { backendMode: 'vip' }],
    ['backend_mode', 'Task', { backendMode: 'task' }],
  ])('%s=%j', (name, value, expected) => {
    const r = parse({ [`${P}${name}`]: value });
    expect(r.diagnostics).toEqual([]);
    expect(r.spec).toMatchObject(expected);
  });

  it('reads the Switchyard weight label', () => {
    expect(parse({ 'com.switchyard.lb.weight': '1' }).spec?.weight).toBe(1);
    expect(parse({ 'com.switchyard.lb.weight': '1000' }).spec?.weight).toBe(1000);
  });

  const BOOLEANS: Array<[string, keyof ServiceRouteSpec]> = [
    ['context_root_rewrite', 'contextRootRewrite'],
    ['ssl_passthrough', 'sslPassthrough'],
    ['ssl_only', 'sslOnly'],
    ['ssl_backend', 'sslBackend'],
    ['ip_hash', 'ipHash'],
    ['default_backend', 'defaultBackend'],
  ];
  const WORDS: Array<[string, boolean]> = [
    ['true', true],
    ['TRUE', true],
    ['1', true],
    ['Yes', true],
    ['false', false],
    ['False', false],
    ['0', false],
    ['NO', false],
  ];
  describe.each(BOOLEANS)('boolean %s', (name, field) => {
    it.each(WORDS)('%j', (word, expected) => {
      const r = parseServiceLabels('web', { ...BASE, [`${P}${name}`]: word });
      // Some true values draw harmless warnings (e.g. context_root_rewrite without context_root); none is an error.
      expect(r.diagnostics.filter((d) => d.severity === Severity.SEVERITY_ERROR)).toEqual([]);
      expect(r.spec?.[field]).toBe(expected);
    });

    it.each(['', 'on', 'off', 'y', '2', 'true;', 'tru\u0435', ' true\n'])('rejects %j', (word) => {
      const r = parse({ [`${P}${name}`]: word });
      expect(r.spec).toBeUndefined();
      expect(r.diagnostics.map((d) => d.code)).toContain(word.trim() === '' ? 'empty-value' : 'invalid-boolean');
    });
  });
});

describe('invalid values', () => {
  it.each<[string, string, string]>([
    ['hosts', 'app.example.com:8080', 'invalid-host'],
    ['hosts', 'good.example.com,bad_host.com', 'invalid-host'],
    ['hosts', 'example.com.', 'invalid-host'],
    ['hosts', '*', 'invalid-host'],
    ['port', '0', 'invalid-port'],
    ['port', '65536', 'invalid-port'],
    ['port', '80.5', 'invalid-port'],
    ['port', '-1', 'invalid-port'],
    ['port', '0x50', 'invalid-port'],
    ['port', '8080/tcp', 'invalid-port'],
    ['port', '', 'empty-value'],
    ['network', 'my net', 'invalid-network'],
    ['network', '-net', 'invalid-network'],
    ['context_root', 'app', 'invalid-context-root'],
    ['context_root', '/a/../b', 'invalid-context-root'],
    ['context_root', '/a b', 'invalid-context-root'],
    ['context_root', '/a?x=1', 'invalid-context-root'],
    ['context_root', '/a%2e', 'invalid-context-root'],
    ['websocket_endpoints', '/ws,ws2', 'invalid-websocket-endpoint'],
    ['websocket_endpoints', '/ws;/x', 'invalid-websocket-endpoint'],
    ['ssl_cert', 'cert/../../etc/passwd', 'invalid-secret-name'],
    ['ssl_key', 'key name', 'invalid-secret-name'],
    ['service_cluster', 'us east', 'invalid-service-cluster'],
    ['sticky_session_cookie', 'a=b', 'invalid-cookie-name'],
    ['sticky_session_cookie', 'sess;ion', 'invalid-cookie-name'],
    ['ssl_backend_tls_verify', 'optional', 'invalid-value'],
    ['ssl_backend_tls_verify', '', 'empty-value'],
    ['backend_mode', 'dnsrr', 'invalid-value'],
    ['backend_mode', '', 'empty-value'],
  ])('%s=%j -> %s', (name, value, code) => {
    const key = `${P}${name}`;
    const r = parse({ [key]: value });
    expect(r.spec).toBeUndefined();
    expect(r.diagnostics).toContainEqual(
      expect.objectContaining({ service: 'web', label: key, code, severity: Severity.SEVERITY_ERROR }),
    );
  });

  it.each(['0', '1001', 'heavy', '1.5', ''])('weight %j -> error', (value) => {
    const r = parse({ 'com.switchyard.lb.weight': value });
    if (value === '') {
      // An empty optional value is ignored with a warning.
      expect(codes(r)).toEqual(['com.switchyard.lb.weight empty-value']);
      expect(r.spec?.weight).toBeUndefined();
    } else {
      expect(r.spec).toBeUndefined();
      expect(codes(r)).toEqual(['com.switchyard.lb.weight invalid-weight']);
    }
  });

  it('reports one diagnostic per bad host', () => {
    const r = parse({ [`${P}hosts`]: 'a.com,b_c.com,d.com,e f.com' });
    expect(codes(r)).toEqual([`${P}hosts invalid-host`, `${P}hosts invalid-host`]);
    expect(r.diagnostics[0]?.message).toContain('"b_c.com"');
    expect(r.diagnostics[1]?.message).toContain('"e f.com"');
  });

  it('caps per-entry diagnostics and summarises the rest', () => {
    const hosts = Array.from({ length: 12 }, (_, i) => `bad_${i}.com`).join(',');
    const r = parse({ [`${P}hosts`]: hosts });
    expect(r.diagnostics).toHaveLength(6);
    expect(r.diagnostics[5]?.message).toBe(`${P}hosts: 7 more invalid entries not shown`);
  });

  it('explains a host with a port', () => {
    const r = parse({ [`${P}hosts`]: 'app.example.com:8443' });
    expect(r.diagnostics[0]?.message).toMatch(/port/);
  });

  it('flags non-ASCII host names and shows them escaped', () => {
    const r = parse({ [`${P}hosts`]: 'ex\u0430mple.com' });
    expect(r.diagnostics[0]?.message).toContain('"ex\\u0430mple.com"');
    expect(r.diagnostics[0]?.message).toMatch(/punycode/);
  });

  it('treats an empty optional value as unset, with a warning', () => {
    const r = parse({ [`${P}network`]: '', [`${P}context_root`]: ' ' });
    expect(codes(r)).toEqual([`${P}context_root empty-value`, `${P}network empty-value`]);
    expect(r.diagnostics.every((d) => d.severity === Severity.SEVERITY_WARNING)).toBe(true);
    expect(r.spec).toMatchObject({ network: undefined, contextRoot: undefined });
  });

  it('rejects non-string values without throwing', () => {
    const labels = { ...BASE, [`${P}port`]: 8080 as unknown as string };
    const r = parseServiceLabels('web', labels);
    expect(r.spec).toBeUndefined();
    expect(codes(r)).toEqual([`${P}port invalid-value`]);
  });
});

describe('TLS labels', () => {
  it('accepts a certificate and key pair', () => {
    const r = parse({ [`${P}ssl_cert`]: 'demo_app.example.org.cert', [`${P}ssl_key`]: 'demo_app.example.org.key', [`${P}ssl_only`]: 'true' });
    expect(r.diagnostics).toEqual([]);
    expect(r.spec).toMatchObject({ sslCert: 'demo_app.example.org.cert', sslKey: 'demo_app.example.org.key', sslOnly: true });
  });

  it.each([
    [{ [`${P}ssl_cert`]: 'c' }, `${P}ssl_cert incomplete-ssl-pair`],
    [{ [`${P}ssl_key`]: 'k' }, `${P}ssl_key incomplete-ssl-pair`],
    [{ [`${P}ssl_key`]: 'k', [`${P}ssl_cert`]: '' }, `${P}ssl_key incomplete-ssl-pair`],
  ])('one secret without the other is an error: %j', (extra, expected) => {
    const r = parse(extra);
    expect(r.spec).toBeUndefined();
    expect(codes(r)).toContain(expected);
  });

  it('does not pile incomplete-ssl-pair on top of an invalid partner', () => {
    const r = parse({ [`${P}ssl_cert`]: 'c', [`${P}ssl_key`]: 'bad key' });
    expect(codes(r)).toEqual([`${P}ssl_key invalid-secret-name`]);
  });

  it('rejects ssl_passthrough with a certificate', () => {
    const r = parse({ [`${P}ssl_passthrough`]: 'true', [`${P}ssl_cert`]: 'c', [`${P}ssl_key`]: 'k' });
    expect(r.spec).toBeUndefined();
    expect(codes(r)).toEqual([`${P}ssl_passthrough conflicting-labels`]);
  });

  it('rejects ssl_passthrough with a context root', () => {
    const r = parse({ [`${P}ssl_passthrough`]: 'true', [`${P}context_root`]: '/app' });
    expect(codes(r)).toEqual([`${P}ssl_passthrough conflicting-labels`]);
  });

  it('warns about HTTP-only labels under ssl_passthrough but still routes', () => {
    const r = parse({
      [`${P}ssl_passthrough`]: 'true',
      [`${P}websocket_endpoints`]: '/ws',
      [`${P}sticky_session_cookie`]: 's',
      [`${P}ssl_backend`]: 'true',
      [`${P}redirects`]: 'http://app.example.com/old,http://app.example.com/new',
    });
    expect(codes(r)).toEqual([
      `${P}redirects ignored-label`,
      `${P}ssl_backend ignored-label`,
      `${P}sticky_session_cookie ignored-label`,
      `${P}websocket_endpoints ignored-label`,
    ]);
    expect(r.spec?.sslPassthrough).toBe(true);
  });

  it('accepts ssl_only with ssl_passthrough (HTTP is redirected, HTTPS passed through)', () => {
    const r = parse({ [`${P}ssl_passthrough`]: 'true', [`${P}ssl_only`]: 'true' });
    expect(r.diagnostics).toEqual([]);
  });

  it('warns when ssl_only has no TLS of its own', () => {
    const r = parse({ [`${P}ssl_only`]: 'yes' });
    expect(codes(r)).toEqual([`${P}ssl_only ssl-only-without-tls`]);
    expect(r.spec?.sslOnly).toBe(true);
  });

  it('warns when ssl_backend_tls_verify=required lacks ssl_backend', () => {
    expect(codes(parse({ [`${P}ssl_backend_tls_verify`]: 'required' }))).toEqual([`${P}ssl_backend_tls_verify ignored-label`]);
    const r = parse({ [`${P}ssl_backend_tls_verify`]: 'REQUIRED', [`${P}ssl_backend`]: 'true' });
    expect(r.diagnostics).toEqual([]);
    expect(r.spec).toMatchObject({ sslBackend: true, sslBackendTlsVerify: 'required' });
  });
});

describe('other cross-label checks', () => {
  it('rejects sticky_session_cookie together with ip_hash', () => {
    const r = parse({ [`${P}sticky_session_cookie`]: 's', [`${P}ip_hash`]: 'true' });
    expect(r.spec).toBeUndefined();
    expect(codes(r)).toEqual([`${P}ip_hash conflicting-labels`]);
  });

  it('warns that stickiness does nothing in vip mode', () => {
    expect(codes(parse({ [`${P}backend_mode`]: 'vip', [`${P}ip_hash`]: 'true' }))).toEqual([`${P}ip_hash ignored-label`]);
    expect(codes(parse({ [`${P}backend_mode`]: 'vip', [`${P}sticky_session_cookie`]: 's' }))).toEqual([
      `${P}sticky_session_cookie ignored-label`,
    ]);
  });

  it('warns about context_root_rewrite without context_root', () => {
    expect(codes(parse({ [`${P}context_root_rewrite`]: 'true' }))).toEqual([`${P}context_root_rewrite ignored-label`]);
    expect(parse({ [`${P}context_root_rewrite`]: 'true', [`${P}context_root`]: '/app' }).spec).toMatchObject({
      contextRoot: '/app',
      contextRootRewrite: true,
    });
  });
});

describe('redirects', () => {
  const HOSTS = { [`${P}hosts`]: 'old.local,new.local,*.example.com' };

  it.each<[string, Array<{ sourceHost: string; sourcePath: string; target: string }>]>([
    ['http://old.local,http://new.local', [{ sourceHost: 'old.local', sourcePath: '/', target: 'http://new.local' }]],
    ['http://old.local,http://new.local;', [{ sourceHost: 'old.local', sourcePath: '/', target: 'http://new.local' }]],
    ['http://old.local/,https://new.local/', [{ sourceHost: 'old.local', sourcePath: '/', target: 'https://new.local' }]],
    ['HTTP://OLD.local/App/, http://new.local:8080/app/', [{ sourceHost: 'old.local', sourcePath: '/App', target: 'http://new.local:8080/app' }]],
    ['http://old.local:80,https://new.local:443/x', [{ sourceHost: 'old.local', sourcePath: '/', target: 'https://new.local/x' }]],
    ['http://a.example.com,http://new.local', [{ sourceHost: 'a.example.com', sourcePath: '/', target: 'http://new.local' }]],
    [
      'http://old.local/b,http://new.local/b; http://old.local/a,http://new.local/a;http://old.local/b,http://new.local/b',
      [
        { sourceHost: 'old.local', sourcePath: '/a', target: 'http://new.local/a' },
        { sourceHost: 'old.local', sourcePath: '/b', target: 'http://new.local/b' },
      ],
    ],
    ['https://old.local,http://old.local', [{ sourceHost: 'old.local', sourcePath: '/', target: 'http://old.local' }]],
  ])('%j', (value, expected) => {
    const r = parse({ ...HOSTS, [`${P}redirects`]: value });
    expect(r.diagnostics).toEqual([]);
    expect(r.spec?.redirects).toEqual(expected);
  });

  it.each([
    'http://old.local',
    'http://old.local,',
    'http://old.local,http://new.local,http://x.local',
    'ftp://old.local,http://new.local',
    'old.local,new.local',
    'http://old.local,//new.local',
    'http://user@old.local,http://new.local',
    'http://old.local,http://new.local/?q=1',
    'http://old.local,http://new.local/#top',
    'http://old.local:8080,http://new.local',
    'http://old.local,http://new.local:0',
    'http://old.local,http://new.local:99999',
    'http://old.local,http://new.local/a/../b',
    'http://old.local,http://new.local/a%20b',
    'http://old.local,http://1.2.3/',
    'http://*.example.com,http://new.local',
    'http://old.local,http://new.local/x"y',
    'http://old.local,http://new.local/$host',
    'http://old.local,http://old.local',
    'http://old.local,http://new.local;http://old.local,http://other.local',
    'http://old.local,http://n\u0435w.local',
    'http://old.local,http://[::1]/',
    'http://old.local\\@evil.com,http://new.local',
  ])('rejects %j', (value) => {
    const r = parse({ ...HOSTS, [`${P}redirects`]: value });
    expect(r.spec).toBeUndefined();
    expect(codes(r)).toContain(`${P}redirects invalid-redirect`);
  });

  it('warns when the source host is not routed to the service', () => {
    const r = parse({ [`${P}redirects`]: 'http://elsewhere.local,http://app.example.com' });
    expect(codes(r)).toEqual([`${P}redirects redirect-host-not-routed`]);
    expect(r.spec?.redirects).toHaveLength(1);
  });
});

describe('unknown labels', () => {
  it('warns and still produces a spec', () => {
    const r = parse({ [`${P}ssl_ciphers`]: 'x', 'com.switchyard.lb.colour': 'blue' });
    expect(codes(r)).toEqual(['com.docker.lb.ssl_ciphers unknown-label', 'com.switchyard.lb.colour unknown-label']);
    expect(r.diagnostics.every((d) => d.severity === Severity.SEVERITY_WARNING)).toBe(true);
    expect(r.spec).toBeDefined();
  });

  it('suggests the right key when only the case differs', () => {
    const r = parse({ [`${P}Context_Root`]: '/x' });
    expect(r.diagnostics[0]?.message).toContain(`did you mean ${P}context_root?`);
  });

  it('quotes a hostile key instead of echoing it', () => {
    const r = parse({ [`${P}x\n}`]: 'v' });
    expect(r.diagnostics[0]?.label).toBe(JSON.stringify(`${P}x\n}`));
    expect(r.diagnostics[0]?.message).not.toMatch(/\n/);
  });
});

describe('diagnostics', () => {
  it('are sorted by label then code', () => {
    const r = parse({ [`${P}zzz`]: '1', [`${P}port`]: 'x', [`${P}hosts`]: 'a b', [`${P}ssl_only`]: 'maybe', [`${P}aaa`]: '1' });
    const labels = r.diagnostics.map((d) => `${d.label}|${d.code}`);
    expect(labels).toEqual([...labels].sort());
    expect(labels).toEqual([
      `${P}aaa|unknown-label`,
      `${P}hosts|invalid-host`,
      `${P}port|invalid-port`,
      `${P}ssl_only|invalid-boolean`,
      `${P}zzz|unknown-label`,
    ]);
  });

  it('do not depend on the order of the label keys', () => {
    const labels: Record<string, string> = {
      [`${P}hosts`]: 'b.com,a_.com,c.com',
      [`${P}port`]: '99999',
      [`${P}redirects`]: 'http://x.com,ftp://y.com;http://z.com',
      [`${P}unknown`]: 'u',
      [`${P}ssl_cert`]: 'c',
      'com.switchyard.lb.weight': '0',
    };
    const reversed = Object.fromEntries(Object.entries(labels).reverse());
    expect(JSON.stringify(parseServiceLabels('s', reversed))).toBe(JSON.stringify(parseServiceLabels('s', labels)));
  });

  it('name the label and JSON-quote the bad value', () => {
    const r = parse({ [`${P}port`]: 'eighty"\n' });
    expect(r.diagnostics[0]?.message).toBe(`${P}port: "eighty\\"\\n" is not a port number (an integer from 1 to 65535)`);
  });

  it('truncate long values to 80 characters', () => {
    const value = `/${'a'.repeat(200)} b`;
    const r = parse({ [`${P}context_root`]: value });
    const message = r.diagnostics[0]?.message ?? '';
    expect(message).toContain(`"/${'a'.repeat(79)}"... (${value.length} characters)`);
    expect(message.length).toBeLessThan(300);
  });
});
