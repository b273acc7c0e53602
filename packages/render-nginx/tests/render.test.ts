import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BackendMode, ProxyModel, type Upstream } from '@switchyard/proto';
import { NGINX_CONF_PATH, renderNginx } from '../src/index.js';
import { createPki, nginxCheck, populateSecrets, type TestPki } from './helpers.js';

type DeepPartial<T> = T extends (infer U)[] ? DeepPartial<U>[] : T extends object ? { [K in keyof T]?: DeepPartial<T[K]> } : T;
type ModelInput = DeepPartial<ProxyModel>;

const upstream = (name: string, ...addresses: string[]): DeepPartial<Upstream> => ({
  name,
  services: [name],
  endpoints: addresses.map((address) => ({ address, port: 8080, weight: 1, service: name, taskId: '' })),
});

const text = (model: ModelInput, options = {}) => renderNginx(ProxyModel.fromPartial(model), options).files[0]?.content ?? '';
const codes = (model: ModelInput, options = {}) => renderNginx(ProxyModel.fromPartial(model), options).diagnostics.map((d) => d.code);

describe('renderNginx', () => {
  it('returns nginx.conf as the first file', () => {
    const result = renderNginx(ProxyModel.fromPartial({}));
    expect(result.files.map((f) => f.path)).toEqual([NGINX_CONF_PATH]);
    expect(result.diagnostics).toEqual([]);
    expect(result.files[0]?.content).toContain('listen 80 default_server;');
  });

  it('redirects ssl_only hosts to the published TLS port (default: the TLS listen port; none for 443)', () => {
    const model = { hosts: [{ host: 'a.example.com', sslOnly: true, routes: [{ path: '/', upstream: 'a' }] }], upstreams: [upstream('a', '10.0.0.1')] };
    expect(text(model, { httpsPort: 443, publishedHttpsPort: 8443 })).toContain('return 301 https://$host:8443$request_uri;');
    expect(text(model, { httpsPort: 8443, publishedHttpsPort: 443 })).toContain('return 301 https://$host$request_uri;');
    expect(text(model, { httpsPort: 9443 })).toContain('return 301 https://$host:9443$request_uri;');
    expect(codes(model, { publishedHttpsPort: 0 })).toContain('invalid-option');
  });

  it('does not depend on the input order of hosts, upstreams and endpoints', () => {
    const a = {
      hosts: [
        { host: 'b.example.com', routes: [{ path: '/', upstream: 'b' }] },
        { host: 'a.example.com', routes: [{ path: '/x', upstream: 'a' }, { path: '/', upstream: 'b' }] },
      ],
      upstreams: [upstream('b', '10.0.0.9', '10.0.0.3'), upstream('a', '10.0.0.1')],
    };
    const b = {
      hosts: [...a.hosts].reverse().map((h) => ({ ...h, routes: [...h.routes].reverse() })),
      upstreams: [...a.upstreams].reverse().map((u) => ({ ...u, endpoints: [...(u.endpoints ?? [])].reverse() })),
    };
    expect(text(a)).toBe(text(b));
  });

  it('orders locations longest path first and matches context roots on segment boundaries', () => {
    const conf = text({
      hosts: [{ host: 'a.example.com', routes: [{ path: '/', upstream: 'a' }, { path: '/app', upstream: 'a' }, { path: '/app/admin', upstream: 'a' }] }],
      upstreams: [upstream('a', '10.0.0.1')],
    });
    const order = [...conf.matchAll(/location (= )?(\/[^ ]*) \{/g)].map((m) => `${m[1] ?? ''}${m[2]}`);
    expect(order).toEqual(['= /nginx_status', '/', '= /app/admin', '/app/admin/', '= /app', '/app/', '/']);
  });

  it('answers 503 for routes to unknown or empty upstreams and reports them', () => {
    const model = {
      hosts: [{ host: 'a.example.com', routes: [{ path: '/x', upstream: 'missing' }, { path: '/', upstream: 'empty' }] }],
      upstreams: [{ name: 'empty', services: ['empty'], endpoints: [] }],
    };
    const conf = text(model);
    expect(conf).not.toMatch(/upstream (missing|empty)/);
    expect(conf).not.toContain('proxy_pass');
    expect(conf.match(/return 503/g)).toHaveLength(4);
    expect(codes(model)).toEqual(['empty-upstream', 'unknown-upstream']);
  });

  it('omits the info headers with HideInfoHeaders and uses $hostname as default proxy id', () => {
    const model = { hosts: [{ host: 'a.example.com', routes: [{ path: '/', upstream: 'a' }] }], upstreams: [upstream('a', '10.0.0.1')] };
    expect(text(model)).toContain('add_header x-proxy-id $hostname always;');
    const hidden = text(model, { config: { HideInfoHeaders: true } });
    expect(hidden).not.toContain('add_header');
  });

  it('prefers the sticky cookie over ip_hash and warns', () => {
    const model = {
      hosts: [{ host: 'a.example.com', routes: [{ path: '/', upstream: 'a' }] }],
      upstreams: [{ ...upstream('a', '10.0.0.1', '10.0.0.2'), stickyCookie: 'sid', ipHash: true }],
    };
    expect(text(model)).toContain('hash $cookie_sid consistent;');
    expect(text(model)).not.toContain('ip_hash');
    expect(codes(model)).toEqual(['conflicting-balance']);
  });

  it('clamps absurd weights and skips duplicate endpoints', () => {
    const base = upstream('a', '10.0.0.1', '10.0.0.1');
    const model = {
      hosts: [{ host: 'a.example.com', routes: [{ path: '/', upstream: 'a' }] }],
      upstreams: [{ ...base, endpoints: [...(base.endpoints ?? []), { address: '10.0.0.2', port: 8080, weight: 99999, service: 'a', taskId: '' }] }],
    };
    const conf = text(model);
    expect(conf).toContain('server 10.0.0.1:8080;\n');
    expect(conf).toContain('server 10.0.0.2:8080 weight=1000;');
    expect(codes(model)).toEqual(['duplicate-endpoint', 'weight-clamped']);
  });

  it('lets a redirect win over a route on the same path', () => {
    const model = {
      hosts: [{ host: 'a.example.com', routes: [{ path: '/', upstream: 'a' }], redirects: [{ fromPath: '/', toUrl: 'https://b.example.com/' }] }],
      upstreams: [upstream('a', '10.0.0.1')],
    };
    expect(text(model)).toContain('return 302 https://b.example.com$request_uri;');
    expect(codes(model)).toEqual(['duplicate-location']);
  });

  it('reports bad ports and keeps the defaults', () => {
    expect(text({}, { httpPort: 0, httpsPort: 70000 })).toContain('listen 80 default_server;');
    expect(codes({}, { httpPort: 0, httpsPort: 70000 })).toEqual(['invalid-option', 'invalid-option']);
  });

  it('includes the dynamic modules only when the stream block is needed', () => {
    const plain = text({ upstreams: [upstream('a', '10.0.0.1')] });
    expect(plain).not.toContain('modules-enabled');
    expect(plain).not.toContain('stream {');
    const sni = text({ sniRoutes: [{ host: 'p.example.com', upstream: 'a' }], upstreams: [upstream('a', '10.0.0.1')] });
    expect(sni).toContain('include /etc/nginx/modules-enabled/*.conf;');
    expect(sni).toContain('stream {');
  });

  it('puts the internal TLS socket next to the pid file', () => {
    const conf = text(
      { sniRoutes: [{ host: 'p.example.com', upstream: 'a' }], upstreams: [upstream('a', '10.0.0.1')] },
      { config: { PidPath: '/run/nginx/proxy.pid' } },
    );
    expect(conf).toContain('server unix:/run/nginx/switchyard-tls.sock;');
  });
});

describe('TaskConnectTimeout', () => {
  const model: ModelInput = {
    hosts: [
      { host: 'task.example.com', routes: [{ path: '/', upstream: 'task' }, { path: '/ws', upstream: 'task', websocket: true }] },
      { host: 'vip.example.com', routes: [{ path: '/', upstream: 'vip' }] },
    ],
    upstreams: [upstream('task', '10.0.0.2'), { ...upstream('vip', '10.0.0.9'), mode: BackendMode.BACKEND_MODE_VIP }],
    defaultUpstream: 'task',
  };
  /** `proxy_connect_timeout` values by `location` (`server_name match`), plus `http` and `stream`. */
  const timeouts = (conf: string): Record<string, string> => {
    const out: Record<string, string> = {};
    let where = '';
    let server = '';
    for (const line of conf.split('\n')) {
      if (line === 'http {' || line === 'stream {') where = line.slice(0, -2);
      else if (line.startsWith('        server_name ')) server = line.slice(20, -1);
      else if (line.startsWith('        location ')) where = `${server} ${line.slice(17, -2)}`;
      else if (line === '        }' && where !== 'stream') where = 'http';
      const value = /^ *proxy_connect_timeout (\S+);$/.exec(line)?.[1];
      if (value !== undefined) out[where] = value;
    }
    return out;
  };

  it('sets 1s in the locations of task-mode upstreams and keeps ConnectTimeout for vip mode', () => {
    const conf = text(model);
    expect(timeouts(conf)).toEqual({
      http: '600s',
      '_ /': '1s',
      'task.example.com = /ws': '1s',
      'task.example.com /ws/': '1s',
      'task.example.com /': '1s',
    });
    expect(conf).toMatch(/location \/ \{\n {12}proxy_pass http:\/\/vip;\n {8}\}/);
  });

  it('prints the value given, or ConnectTimeout when that is lower', () => {
    expect(timeouts(text(model, { config: { TaskConnectTimeout: '250ms' } }))['task.example.com /']).toBe('250ms');
    const lower = timeouts(text(model, { config: { ConnectTimeout: 2, TaskConnectTimeout: '5s' } }));
    expect(lower['http']).toBe('2s');
    expect(lower['task.example.com /']).toBe('2s');
    expect(timeouts(text(model, { config: { ConnectTimeout: 2, TaskConnectTimeout: '2000ms' } }))['task.example.com /']).toBe('2s');
  });

  it('falls back to 1s for an invalid value, with a diagnostic naming the key', () => {
    const result = renderNginx(ProxyModel.fromPartial(model), { config: { TaskConnectTimeout: '0s' } });
    expect(result.diagnostics.map((d) => [d.label, d.code])).toEqual([['TaskConnectTimeout', 'invalid-config']]);
    expect(timeouts(result.files[0]?.content ?? '')['task.example.com /']).toBe('1s');
  });

  it('uses it for SNI passthrough only when every passthrough upstream is task mode (one stream server)', () => {
    const sni = (upstreams: string[]) => ({ ...model, sniRoutes: upstreams.map((name) => ({ host: `pass-${name}.example.com`, upstream: name })) });
    expect(timeouts(text(sni(['task'])))['stream']).toBe('1s');
    expect(timeouts(text(sni(['task', 'vip'])))['stream']).toBe('600s');
    expect(timeouts(text(sni(['task']), { config: { ConnectTimeout: 5, TaskConnectTimeout: '300ms' } }))['stream']).toBe('300ms');
  });

  it('renders configs the real nginx accepts', () => {
    const pki = createPki(['localhost']);
    const dir = mkdtempSync(join(tmpdir(), 'render-nginx-task-connect-'));
    try {
      populateSecrets(pki, dir, []);
      for (const config of [{}, { TaskConnectTimeout: '100ms' }, { ConnectTimeout: 1, TaskConnectTimeout: '1d' }]) {
        const conf = text({ ...model, sniRoutes: [{ host: 'pass.example.com', upstream: 'task' }] }, { config: { ...config, PidPath: join(dir, 'n.pid') } });
        expect(nginxCheck(conf, dir)).toEqual({ ok: true, output: '' });
      }
    } finally {
      pki.cleanup();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('large models', () => {
  let pki: TestPki;
  let secrets: string;
  beforeAll(() => {
    pki = createPki(['localhost']);
    secrets = mkdtempSync(join(tmpdir(), 'render-nginx-large-'));
    populateSecrets(pki, secrets, [{ certFile: 'wild.crt', keyFile: 'wild.crt.key' }]);
  });
  afterAll(() => {
    pki.cleanup();
    rmSync(secrets, { recursive: true, force: true });
  });

  it('renders 1,000 hosts / 3,000 endpoints (long names included) that nginx accepts', () => {
    const hosts = [];
    const upstreams = [];
    for (let i = 0; i < 1000; i++) {
      const name = `svc-${String(i).padStart(4, '0')}`;
      const host = i === 0 ? `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}` : `${name}.apps.example.com`;
      hosts.push({ host, certificate: i % 10 === 0 ? 'wild' : '', routes: [{ path: '/', upstream: name }, { path: `/api${i}`, upstream: name, stripPrefix: true }] });
      upstreams.push({
        ...upstream(name, `10.${Math.floor(i / 250)}.${i % 250}.1`, `10.${Math.floor(i / 250)}.${i % 250}.2`, `10.${Math.floor(i / 250)}.${i % 250}.3`),
        stickyCookie: i % 3 === 0 ? 'sid' : '',
      });
    }
    const model = ProxyModel.fromPartial({
      hosts,
      upstreams,
      certificates: [{ name: 'wild', certFile: 'wild.crt', keyFile: 'wild.crt.key' }],
      sniRoutes: [{ host: `pass.${'e'.repeat(60)}.example.com`, upstream: 'svc-0001' }],
    });
    // Speed is measured by tools/bench/render.cjs, not asserted here.
    const result = renderNginx(model, { secretsDir: secrets, config: { UpstreamZoneSize: 32 } });
    expect(result.diagnostics).toEqual([]);
    const check = nginxCheck(result.files[0]?.content ?? '', secrets);
    expect(check.output).toBe('');
    expect(check.ok).toBe(true);
  });

  it('sizes the upstream zone for large upstreams so nginx accepts 300 servers', () => {
    const addresses = Array.from({ length: 300 }, (_v, k) => `10.9.${k >> 8}.${k & 255}`);
    const model = { hosts: [{ host: 'big.example.com', routes: [{ path: '/', upstream: 'big' }] }], upstreams: [upstream('big', ...addresses), upstream('small', '10.0.0.2')] };
    const conf = text({ ...model, hosts: [...model.hosts, { host: 'small.example.com', routes: [{ path: '/', upstream: 'small' }] }] });
    expect(conf).toContain('zone up_big 384k;');
    expect(conf).toContain('zone up_small 64k;');
    const check = nginxCheck(conf, secrets);
    expect(check.output).toBe('');
    expect(check.ok).toBe(true);
  });
});
