import { ProxyModel, Severity } from '@switchyard/proto';
import {
  NGINX_CONFIG_DEFAULTS,
  NginxConfigError,
  nginxConfigSchema,
  parseNginxConfig,
  renderNginx,
  type NginxConfig,
} from '../src/index.js';

const model = ProxyModel.fromPartial({
  hosts: [{ host: 'a.example.com', routes: [{ path: '/', upstream: 'a' }] }],
  upstreams: [{ name: 'a', endpoints: [{ address: '10.0.0.2', port: 80, weight: 1 }] }],
});

function errorOf(raw: unknown): NginxConfigError {
  try {
    parseNginxConfig(raw);
  } catch (error) {
    if (error instanceof NginxConfigError) return error;
    throw error;
  }
  throw new Error('expected parseNginxConfig to throw');
}

describe('parseNginxConfig', () => {
  it("fills Interlock's defaults", () => {
    const config = parseNginxConfig({});
    expect(config).toEqual(NGINX_CONFIG_DEFAULTS);
    expect(parseNginxConfig(undefined)).toEqual(config);
    expect(config.User).toBe('nginx');
    expect(config.PidPath).toBe('/var/run/proxy.pid');
    expect(config.MaxConnections).toBe(1024);
    expect([config.ConnectTimeout, config.SendTimeout, config.ReadTimeout]).toEqual([600, 600, 600]);
    expect(config.RLimitNoFile).toBe(65535);
    expect(config.SSLProtocols).toBe('TLSv1.2');
    expect(config.KeepaliveTimeout).toBe('75s');
    expect(config.UpstreamZoneSize).toBe(64);
    expect(config.ServerNamesHashBucketSize).toBe(128);
  });

  it('keeps given values and accepts WorkerProcesses as a number or "auto"', () => {
    const config = parseNginxConfig({ MaxConnections: 4096, WorkerProcesses: 4, HideInfoHeaders: true, HTTPOptions: ['gzip on'] });
    expect(config.MaxConnections).toBe(4096);
    expect(config.WorkerProcesses).toBe('4');
    expect(config.HideInfoHeaders).toBe(true);
    expect(config.HTTPOptions).toEqual(['gzip on']);
    expect(parseNginxConfig({ WorkerProcesses: 'auto' }).WorkerProcesses).toBe('auto');
  });

  it('rejects unknown keys (typos) by name', () => {
    const error = errorOf({ MaxConnection: 10, IpHash: true });
    expect(error.code).toBe('invalid-nginx-config');
    expect(error.issues.map((i) => i.key)).toEqual(['IpHash', 'MaxConnection']);
    expect(error.message).toContain('MaxConnection: unknown key');
    expect(error.message).toContain('IpHash: unknown key');
  });

  it('names every invalid key in the message', () => {
    const error = errorOf({
      MaxConnections: 'many',
      ConnectTimeout: -1,
      PidPath: 'relative/path.pid',
      KeepaliveTimeout: '75s; evil on',
      SSLProtocols: 'TLSv1.2; include /etc/passwd',
      User: 'root;',
    });
    expect(error.issues.map((i) => i.key)).toEqual(['ConnectTimeout', 'KeepaliveTimeout', 'MaxConnections', 'PidPath', 'SSLProtocols', 'User']);
    for (const key of ['ConnectTimeout', 'KeepaliveTimeout', 'MaxConnections', 'PidPath', 'SSLProtocols', 'User']) {
      expect(error.message).toContain(`${key}:`);
    }
    expect(error).toBeInstanceOf(Error);
  });

  it.each([
    ['a line break', 'gzip on;\nuser root'],
    ['a brace', 'location / { return 200; }'],
    ['a comment', 'gzip on # off'],
    ['an unterminated quote', "add_header X 'oops"],
    ['a backslash in a bare word', 'gzip on\\;'],
    ['no directive name', "'quoted' value"],
  ])('rejects raw options with %s', (_what, option) => {
    const error = errorOf({ HTTPOptions: ['gzip on', option] });
    expect(error.issues).toEqual([{ key: 'HTTPOptions', message: expect.stringContaining('(at 1)') }]);
  });

  it('accepts raw options with quoted braces and several directives', () => {
    const config = parseNginxConfig({ HTTPOptions: ["add_header X-Json '{\"a\":1}'", 'gzip on; gzip_comp_level 5;'] });
    expect(config.HTTPOptions).toHaveLength(2);
  });

  it('rejects log formats with a line break or an unquoted ";"', () => {
    expect(errorOf({ MainLogFormat: 'a\nb' }).issues[0]?.key).toBe('MainLogFormat');
    expect(errorOf({ TraceLogFormat: "'$a'; access_log /tmp/x" }).issues[0]?.key).toBe('TraceLogFormat');
  });

  it('exports the zod schema', () => {
    expect(nginxConfigSchema.safeParse({ UpstreamZoneSize: 8 }).success).toBe(false);
    expect(nginxConfigSchema.safeParse({ UpstreamZoneSize: 0 }).success).toBe(true);
  });
});

describe('render options.config', () => {
  it('replaces invalid values by their defaults and reports them instead of throwing', () => {
    const bad = { MaxConnections: -5, Bogus: 1, KeepaliveTimeout: '1s; evil' } as unknown as Partial<NginxConfig>;
    const { files, diagnostics } = renderNginx(model, { config: bad });
    const text = files[0]?.content ?? '';
    expect(text).toContain('worker_connections 1024;');
    expect(text).toContain('keepalive_timeout 75s;');
    expect(text).not.toContain('evil');
    expect(diagnostics.filter((d) => d.code === 'invalid-config').map((d) => d.label)).toEqual(['Bogus', 'KeepaliveTimeout', 'MaxConnections']);
    expect(diagnostics.every((d) => d.severity === Severity.SEVERITY_ERROR)).toBe(true);
  });

  it('omits worker_rlimit_nofile when RLimitNoFile is 0 and upstream zones when UpstreamZoneSize is 0', () => {
    const defaults = renderNginx(model).files[0]?.content ?? '';
    expect(defaults).toContain('worker_rlimit_nofile 65535;');
    expect(defaults).toContain('zone a 64k;');
    const text = renderNginx(model, { config: { RLimitNoFile: 0, UpstreamZoneSize: 0 } }).files[0]?.content ?? '';
    expect(text).not.toContain('worker_rlimit_nofile');
    expect(text).not.toContain('zone a');
  });

  it('applies timeouts, logs and ports', () => {
    const text =
      renderNginx(model, {
        httpPort: 8080,
        config: { ConnectTimeout: 5, SendTimeout: 6, ReadTimeout: 7, AccessLogPath: '/var/log/a.log', ErrorLogPath: '/var/log/e.log' },
      }).files[0]?.content ?? '';
    expect(text).toContain('proxy_connect_timeout 5s;');
    expect(text).toContain('proxy_send_timeout 6s;');
    expect(text).toContain('proxy_read_timeout 7s;');
    expect(text).toContain('access_log /var/log/a.log main;');
    expect(text).toContain('error_log /var/log/e.log warn;');
    expect(text).toContain('listen 8080 default_server;');
  });
});
