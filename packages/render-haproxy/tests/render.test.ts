import { BackendMode, ProxyModel, Severity } from '@switchyard/proto';
import type { Upstream } from '@switchyard/proto';
import { endpoint, upstream as upstreamOf } from '../../../tools/testing/model.js';
import { renderHaproxy } from '../src/index.js';
import { haproxyCheck } from './helpers/tools.js';

/** An upstream with one endpoint, 10.0.0.2:80. */
const upstream = (name: string, extra: Partial<Upstream> = {}): Upstream => upstreamOf(name, [endpoint('10.0.0.2', 80, name, 1, `${name}task`)], extra);

function cfg(model: Parameters<typeof ProxyModel.fromPartial>[0], options = {}): { text: string; codes: string[] } {
  const result = renderHaproxy(ProxyModel.fromPartial(model), options);
  return { text: result.files[0]!.content, codes: result.diagnostics.map((d) => d.code) };
}

function linesOf(text: string, re: RegExp): string[] {
  return text.split('\n').filter((l) => re.test(l)).map((l) => l.trim());
}

describe('renderHaproxy', () => {
  it('renders a valid skeleton for an empty model: 503 for every host, no TLS listener', () => {
    const { text, codes } = cfg({});
    expect(codes).toEqual([]);
    expect(text).toContain('default_backend sy_default');
    expect(text).toContain('http-request return status 503');
    expect(text).not.toContain('frontend fe_tls');
    expect(text).toContain('bind :80\n');
    expect(text.endsWith('\n')).toBe(true);
  });

  it('redirects ssl_only hosts to the published TLS port (default: the TLS listen port; none for 443), in both layouts', () => {
    const model = { hosts: [{ host: 'a.example.com', sslOnly: true, routes: [{ path: '/', upstream: 'a' }] }], upstreams: [upstream('a')] };
    const redirect = (text: string) => linesOf(text, /code 301/).map((l) => l.replace(/ if .*/, ''));
    expect(redirect(cfg(model, { httpsPort: 443, publishedHttpsPort: 8443 }).text)).toEqual([
      'http-request redirect location https://%[var(txn.host)]:8443%[capture.req.uri] code 301',
    ]);
    expect(redirect(cfg(model, { httpsPort: 8443, publishedHttpsPort: 443 }).text)).toEqual(['http-request redirect location https://%[var(txn.host)]%[capture.req.uri] code 301']);
    expect(redirect(cfg(model, { httpsPort: 9443 }).text)).toEqual(['http-request redirect location https://%[var(txn.host)]:9443%[capture.req.uri] code 301']);
    const split = cfg(model, { publishedHttpsPort: 8443, maxFileBytes: 1024 }).text;
    expect(split).toContain('switchyard.d/ssl-only-001.map');
    expect(redirect(split)).toEqual([
      'http-request redirect location https://%[var(txn.host)]:8443%[capture.req.uri] code 301',
    ]);
    expect(cfg(model, { publishedHttpsPort: 70000 }).codes).toContain('invalid-option');
  });

  it('orders routes longest prefix first whatever the input order', () => {
    const { text } = cfg({
      hosts: [
        {
          host: 'a.example.com',
          certificate: '',
          sslOnly: false,
          redirects: [],
          routes: [
            { path: '/', upstream: 'u', stripPrefix: false, websocket: false },
            { path: '/a', upstream: 'u', stripPrefix: false, websocket: false },
            { path: '/a/b/c', upstream: 'u', stripPrefix: false, websocket: false },
            { path: '/a/b', upstream: 'u', stripPrefix: false, websocket: false },
          ],
        },
      ],
      upstreams: [upstream('u')],
    });
    expect(linesOf(text, /^ {4}acl p\d+ var\(txn\.mpath\) -m str /)).toEqual([
      'acl p0 var(txn.mpath) -m str /a/b/c',
      'acl p1 var(txn.mpath) -m str /a/b',
      'acl p2 var(txn.mpath) -m str /a',
    ]);
    expect(linesOf(text, /set-var\(txn\.route\) str\(r/)).toEqual([
      'http-request set-var(txn.route) str(r0) if !has_route vh0 p0',
      'http-request set-var(txn.route) str(r1) if !has_route vh0 p1',
      'http-request set-var(txn.route) str(r2) if !has_route vh0 p2',
      'http-request set-var(txn.route) str(r3) if !has_route vh0',
    ]);
  });

  it('selects exact host names before wildcards, most specific wildcard first', () => {
    const route = [{ path: '/', upstream: 'u', stripPrefix: false, websocket: false }];
    const host = (h: string) => ({ host: h, certificate: '', sslOnly: false, redirects: [], routes: route });
    const { text } = cfg({
      hosts: [host('*.example.com'), host('*.a.example.com'), host('x.a.example.com')],
      upstreams: [upstream('u')],
    });
    expect(linesOf(text, /^ {4}acl h\d /)).toEqual([
      'acl h0 var(txn.host) -m str x.a.example.com',
      'acl h1 var(txn.host) -m end .a.example.com',
      'acl h2 var(txn.host) -m end .example.com',
    ]);
  });

  it('strips the prefix after the route is chosen, by path segments of the normalized path', () => {
    const { text } = cfg({
      hosts: [
        {
          host: 'a.example.com',
          certificate: '',
          sslOnly: false,
          redirects: [],
          routes: [
            { path: '/app/', upstream: 'u', stripPrefix: true, websocket: false },
            { path: '/', upstream: 'u', stripPrefix: true, websocket: false },
          ],
        },
      ],
      upstreams: [upstream('u')],
    });
    // "/" strips nothing; "/app/" and "/app" both strip "/app" (one segment: field 3 on is kept).
    expect(linesOf(text, /set-path/)).toEqual(['http-request set-path /%[var(txn.npath),field(3,/,0)] if { var(txn.route) -m str r0 }']);
  });

  it('omits every info header when HideInfoHeaders is set', () => {
    const shown = cfg({}).text;
    for (const h of ['x-request-id', 'x-proxy-id', 'x-server-info', 'x-upstream-addr', 'x-upstream-response-time']) {
      expect(shown).toContain(`set-header ${h} `);
    }
    const hidden = cfg({}, { config: { HideInfoHeaders: true } }).text;
    expect(hidden).not.toMatch(/set-header x-(request-id|proxy-id|server-info|upstream-addr|upstream-response-time) /);
    expect(hidden).toContain('stats hide-version');
  });

  it('restricts stats to loopback unless AdminUser/AdminPass are set', () => {
    expect(cfg({}).text).toContain('if stats_path stats_client');
    const { text } = cfg({}, { config: { AdminUser: 'ops', AdminPass: 'pw' } });
    expect(text).toContain('stats auth ops:pw');
    expect(text).toContain('if stats_path\n');
    expect(text).not.toContain('stats_client');
  });

  it('maps sticky cookies to a consistent hash of the cookie value, ip_hash to balance source', () => {
    const route = (u: string) => [{ path: '/', upstream: u, stripPrefix: false, websocket: false }];
    const { text } = cfg({
      hosts: [
        { host: 'a.example.com', certificate: '', sslOnly: false, redirects: [], routes: route('sticky') },
        { host: 'b.example.com', certificate: '', sslOnly: false, redirects: [], routes: route('iph') },
      ],
      upstreams: [upstream('iph', { ipHash: true }), upstream('sticky', { stickyCookie: 'JSESSIONID' })],
    });
    expect(text).toMatch(/backend up_sticky\n {4}balance hash req\.cook\(JSESSIONID\)\n {4}hash-type consistent\n/);
    expect(text).toMatch(/backend up_iph\n {4}balance source\n {4}hash-type consistent\n/);
  });

  it('clamps weights above 256 with a warning and treats 0 as 1', () => {
    const result = renderHaproxy(
      ProxyModel.fromPartial({
        hosts: [{ host: 'a.example.com', routes: [{ path: '/', upstream: 'u' }] }],
        upstreams: [
          upstream('u', {
            endpoints: [
              { address: '10.0.0.2', port: 80, weight: 0, service: 'u', taskId: 't1' },
              { address: '10.0.0.3', port: 80, weight: 1000, service: 'u', taskId: 't2' },
            ],
          }),
        ],
      }),
    );
    expect(result.files[0]!.content).toContain('server task-t1 10.0.0.2:80 weight 1 check inter 2s fall 3 rise 1 observe layer4 error-limit 1 on-error mark-down\n');
    expect(result.files[0]!.content).toContain('server task-t2 10.0.0.3:80 weight 256 check inter 2s fall 3 rise 1 observe layer4 error-limit 1 on-error mark-down\n');
    expect(result.diagnostics).toEqual([expect.objectContaining({ code: 'weight-clamped', severity: Severity.SEVERITY_WARNING, service: 'u' })]);
  });

  it('gives stable, unique server names (task id, else address; vip endpoints)', () => {
    const { text } = cfg({
      hosts: [{ host: 'a.example.com', routes: [{ path: '/', upstream: 'u' }] }],
      upstreams: [
        upstream('u', {
          mode: BackendMode.BACKEND_MODE_VIP,
          endpoints: [
            { address: '10.0.0.9', port: 80, weight: 1, service: 'u', taskId: '' },
            { address: '10.0.0.9', port: 80, weight: 1, service: 'u', taskId: '' },
            { address: 'fd00::1', port: 8080, weight: 1, service: 'u', taskId: '' },
          ],
        }),
      ],
    });
    expect(linesOf(text, /^ {4}server /)).toEqual([
      'server vip-10_0_0_9-80 10.0.0.9:80 weight 1',
      'server vip-10_0_0_9-80-2 10.0.0.9:80 weight 1',
      'server vip-fd00__1-8080 [fd00::1]:8080 weight 1',
    ]);
  });

  describe('TaskConnectTimeout', () => {
    const model = {
      hosts: [
        { host: 'task.example.com', routes: [{ path: '/', upstream: 'task' }] },
        { host: 'vip.example.com', routes: [{ path: '/', upstream: 'vip' }] },
      ],
      sniRoutes: [
        { host: 'pass-task.example.com', upstream: 'task' },
        { host: 'pass-vip.example.com', upstream: 'vip' },
      ],
      upstreams: [upstream('task'), upstream('vip', { mode: BackendMode.BACKEND_MODE_VIP, endpoints: [{ address: '10.0.0.9', port: 80, weight: 1, service: 'vip', taskId: '' }] })],
    };
    /** The `timeout connect` lines of each section, by section title. */
    const timeouts = (text: string): Record<string, string[]> => {
      const out: Record<string, string[]> = {};
      let title = '';
      for (const line of text.split('\n')) {
        if (/^[a-z]/.test(line)) title = line;
        else if (line.startsWith('    timeout connect ')) (out[title] ??= []).push(line.trim());
      }
      return out;
    };

    it('gives the backends of task-mode upstreams (HTTP and TLS passthrough) a 1s connect timeout by default', () => {
      const { text, codes } = cfg(model);
      expect(codes).toEqual([]);
      expect(timeouts(text)).toEqual({
        'defaults sy_tcp': ['timeout connect 600s'],
        defaults: ['timeout connect 600s'],
        'backend up_task': ['timeout connect 1s'],
        'backend tcp_task from sy_tcp': ['timeout connect 1s'],
      });
      const { status, output } = haproxyCheck(text, '/run/secrets');
      expect(output).not.toMatch(/WARNING|ALERT/);
      expect(status).toBe(0);
    });

    it.each(['1ms', '1500us', '100ms', '24d'])('prints %s so that haproxy -c accepts it', (value) => {
      const { text, codes } = cfg(model, { config: { ConnectTimeout: 2_147_483, TaskConnectTimeout: value } });
      expect(codes).toEqual([]);
      expect(timeouts(text)['backend up_task']).toEqual([`timeout connect ${value}`]);
      const { status, output } = haproxyCheck(text, '/run/secrets');
      expect(output).not.toMatch(/WARNING|ALERT/);
      expect(status).toBe(0);
    });

    it('prints the value given, and ConnectTimeout when that is lower', () => {
      expect(timeouts(cfg(model, { config: { TaskConnectTimeout: '250ms' } }).text)['backend up_task']).toEqual(['timeout connect 250ms']);
      const lower = timeouts(cfg(model, { config: { ConnectTimeout: 2, TaskConnectTimeout: '5s' } }).text);
      expect(lower).toMatchObject({ defaults: ['timeout connect 2s'], 'backend up_task': ['timeout connect 2s'], 'backend tcp_task from sy_tcp': ['timeout connect 2s'] });
      expect(lower['backend up_vip']).toBeUndefined();
    });

    it('prints no timeout for a backend without endpoints (it answers 503 itself)', () => {
      const { text } = cfg({ hosts: [{ host: 'a.example.com', routes: [{ path: '/', upstream: 'empty' }] }], upstreams: [upstream('empty', { endpoints: [] })] });
      expect(timeouts(text)['backend up_empty']).toBeUndefined();
    });

    it('falls back to 1s for an invalid value, with a diagnostic naming the key', () => {
      const result = renderHaproxy(ProxyModel.fromPartial(model), { config: { TaskConnectTimeout: '0s' } });
      expect(result.diagnostics.map((d) => d.code)).toEqual(['invalid-config']);
      expect(result.diagnostics[0]!.message).toContain('TaskConnectTimeout');
      expect(timeouts(result.files[0]!.content)['backend up_task']).toEqual(['timeout connect 1s']);
    });

    it('puts the same backend lines in the split layout', () => {
      const one = renderHaproxy(ProxyModel.fromPartial(model)).files[0]!.content;
      const split = renderHaproxy(ProxyModel.fromPartial(model), { maxFileBytes: 2048 }).files;
      expect(split.length).toBeGreaterThan(1);
      const parts = split.filter((f) => f.path.endsWith('.cfg') && f.path !== 'haproxy.cfg').map((f) => f.content).join('');
      const backendTimeouts = (t: Record<string, string[]>) => Object.fromEntries(Object.entries(t).filter(([k]) => k.startsWith('backend ')));
      expect(backendTimeouts(timeouts(parts))).toEqual(backendTimeouts(timeouts(one)));
    });
  });

  it('uses the ports given and validates them', () => {
    const ok = cfg(
      {
        hosts: [{ host: 'a.example.com', certificate: 'c', routes: [{ path: '/', upstream: 'a' }] }],
        upstreams: [upstream('a')],
        certificates: [{ name: 'c', certSecret: '', keySecret: '', certFile: 'c.pem', keyFile: 'c.pem.key' }],
      },
      { httpPort: 8080, httpsPort: 8443 },
    );
    expect(ok.text).toContain('bind :8080\n');
    expect(ok.text).toContain('bind :8443\n');
    expect(ok.text).toContain('bind abns@switchyard-tls-8443 accept-proxy ssl crt-list switchyard.d/certificates.crt-list strict-sni alpn h2,http/1.1\n');
    const bad = cfg({}, { httpPort: 70000, httpsPort: 80 });
    expect(bad.codes).toEqual(['invalid-option', 'invalid-option']);
    expect(bad.text).toContain('bind :80\n');
  });

  it('lists used certificates in the crt-list under secretsDir, each filtered to the hosts using it', () => {
    const { files } = renderHaproxy(
      ProxyModel.fromPartial({
        hosts: [
          { host: 'a.example.com', certificate: 'c', routes: [{ path: '/', upstream: 'a' }] },
          { host: '*.b.example.com', certificate: 'c', routes: [{ path: '/', upstream: 'a' }] },
          { host: 'd.example.com', certificate: 'd', routes: [{ path: '/', upstream: 'a' }] },
        ],
        upstreams: [upstream('a')],
        certificates: ['c', 'd', 'unused'].map((n) => ({ name: n, certSecret: '', keySecret: '', certFile: `${n}.pem`, keyFile: `${n}.pem.key` })),
      }),
      { secretsDir: '/etc/ssl/switchyard/' },
    );
    expect(files.map((f) => f.path)).toEqual(['haproxy.cfg', 'switchyard.d/certificates.crt-list']);
    expect(files[1]!.content.split('\n').filter((l) => l !== '' && !l.startsWith('#'))).toEqual([
      '/etc/ssl/switchyard/c.pem a.example.com *.b.example.com',
      '/etc/ssl/switchyard/d.pem d.example.com',
    ]);
  });

  it('reports invalid options.config keys and falls back to their defaults', () => {
    const result = renderHaproxy(ProxyModel.fromPartial({}), {
      config: { MaxConnections: 0, ClientTimeout: 42 } as never,
    });
    expect(result.diagnostics.map((d) => [d.code, d.severity])).toEqual([['invalid-config', Severity.SEVERITY_ERROR]]);
    expect(result.diagnostics[0]!.message).toContain('MaxConnections');
    expect(result.files[0]!.content).toContain('maxconn 1024\n');
    expect(result.files[0]!.content).toContain('timeout client 42s\n');
  });

  it('appends the original URI to redirect targets (dropping a trailing slash) and skips unsafe ones', () => {
    const result = renderHaproxy(
      ProxyModel.fromPartial({
        hosts: [
          {
            host: 'a.example.com',
            redirects: [
              { fromPath: '/x', toUrl: 'https://b.example.com/' },
              { fromPath: '/y', toUrl: 'https://b.example.com/%[env(HOME)]' },
            ],
          },
        ],
      }),
    );
    expect(linesOf(result.files[0]!.content, /redirect location https:\/\/b/)).toEqual([
      'http-request redirect location https://b.example.com%[capture.req.uri] code 302 if { var(txn.route) -m str d0 }',
    ]);
    expect(result.diagnostics).toEqual([
      expect.objectContaining({ code: 'unsafe-value', label: 'com.docker.lb.redirects', severity: Severity.SEVERITY_ERROR }),
    ]);
    expect(result.files[0]!.content).not.toContain('env(');
  });

  it('prints the graceful-reload settings in the global section (defaults and given values)', () => {
    const global = (text: string) => text.slice(text.indexOf('\nglobal\n'), text.indexOf('\n\n', text.indexOf('\nglobal\n') + 1));
    const defaults = global(cfg({}).text);
    expect(defaults).toContain('\n    pidfile /var/run/proxy.pid\n    stats socket /run/haproxy/admin.sock mode 600 level admin expose-fd listeners\n    hard-stop-after 5m\n');
    const given = global(cfg({}, { config: { AdminSocketPath: '/var/run/hap.sock', HardStopAfter: '90s' } }).text);
    expect(linesOf(given, /stats socket|hard-stop-after/)).toEqual([
      'stats socket /var/run/hap.sock mode 600 level admin expose-fd listeners',
      'hard-stop-after 90s',
    ]);
    const omitted = cfg({}, { config: { AdminSocketPath: '', HardStopAfter: '' } });
    expect(omitted.codes).toEqual([]);
    expect(omitted.text).not.toMatch(/stats socket|hard-stop-after/);
  });

  it('falls back to the default for an invalid AdminSocketPath or HardStopAfter, with a diagnostic', () => {
    const { text, codes } = cfg({}, { config: { AdminSocketPath: '/tmp/x level admin', HardStopAfter: '1w' } });
    expect(codes).toEqual(['invalid-config', 'invalid-config']);
    expect(linesOf(text, /stats socket|hard-stop-after/)).toEqual([
      'stats socket /run/haproxy/admin.sock mode 600 level admin expose-fd listeners',
      'hard-stop-after 5m',
    ]);
  });

  it('prints a socket path of the longest accepted length that haproxy -c accepts', () => {
    const path = `/tmp/${'s'.repeat(92)}`;
    expect(path).toHaveLength(97);
    const { text, codes } = cfg({}, { config: { AdminSocketPath: path, HardStopAfter: '24d' } });
    expect(codes).toEqual([]);
    const { status, output } = haproxyCheck(text, '/run/secrets');
    expect(output).not.toMatch(/WARNING|ALERT/);
    expect(status).toBe(0);
    // One character more is refused by haproxy itself (so the parser refuses it too).
    const longer = haproxyCheck(text.replace(path, `${path}s`), '/run/secrets');
    expect(longer.output).toContain('too long');
    expect(longer.status).not.toBe(0);
  });

  it('prints operator options as directives, in order', () => {
    const { text } = cfg({}, { config: { GlobalOptions: ['nbthread 2', 'tune.bufsize 32768'], DefaultOptions: ['option http-server-close'] } });
    expect(text).toMatch(/ssl-server-verify required\n {4}nbthread 2\n {4}tune\.bufsize 32768\n/);
    expect(text).toMatch(/timeout server 600s\n {4}option http-server-close\n/);
  });

  it('is deterministic regardless of the order of model lists', () => {
    const hosts = ['c.example.com', 'a.example.com', 'b.example.com'].map((h) => ({
      host: h,
      routes: [{ path: '/', upstream: h.slice(0, 1) }],
    }));
    const ups = ['c', 'a', 'b'].map((n) => upstream(n));
    const one = renderHaproxy(ProxyModel.fromPartial({ hosts, upstreams: ups }));
    const two = renderHaproxy(ProxyModel.fromPartial({ hosts: [...hosts].reverse(), upstreams: [...ups].reverse() }));
    expect(two).toEqual(one);
  });

  it('renders 1,000 hosts and 3,000 endpoints', () => {
    const hosts = [];
    const ups = [];
    for (let i = 0; i < 1000; i++) {
      hosts.push({ host: `h${i}.example.com`, routes: [{ path: '/', upstream: `u${i}` }, { path: `/p${i}`, upstream: `u${i}`, stripPrefix: true }] });
      ups.push(
        upstream(`u${i}`, {
          endpoints: [0, 1, 2].map((k) => ({ address: `10.${k}.${i >> 8}.${i & 255}`, port: 80, weight: 1, service: `u${i}`, taskId: `t${i}x${k}` })),
        }),
      );
    }
    const model = ProxyModel.fromPartial({ hosts, upstreams: ups });
    // Infinity keeps the one-file layout whatever the size (the split layout is tested in split.test.ts).
    const result = renderHaproxy(model, { maxFileBytes: Number.POSITIVE_INFINITY });
    expect(result.diagnostics).toEqual([]);
    expect(result.files).toHaveLength(1);
    expect(linesOf(result.files[0]!.content, /^ {4}server /)).toHaveLength(3000);
    expect(linesOf(result.files[0]!.content, /^ {4}use_backend up_/)).toHaveLength(2000);
    expect(linesOf(result.files[0]!.content, /set-path/)).toHaveLength(1000);
  });
});
