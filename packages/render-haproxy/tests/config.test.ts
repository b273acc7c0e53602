import { parse as parseToml } from 'smol-toml';
import { HAPROXY_CONFIG_DEFAULTS, HAPROXY_IGNORED_KEYS, HaproxyConfigError, haproxyConfigSchema, inspectHaproxyConfig, parseHaproxyConfig } from '../src/index.js';

function issuesOf(raw: unknown): { key: string; message: string }[] {
  try {
    parseHaproxyConfig(raw);
  } catch (e) {
    expect(e).toBeInstanceOf(HaproxyConfigError);
    return (e as HaproxyConfigError).issues;
  }
  throw new Error('expected a HaproxyConfigError');
}

describe('parseHaproxyConfig', () => {
  it('fills Interlock defaults for a missing or empty table', () => {
    expect(parseHaproxyConfig(undefined)).toEqual(HAPROXY_CONFIG_DEFAULTS);
    expect(parseHaproxyConfig({})).toEqual(HAPROXY_CONFIG_DEFAULTS);
    expect(HAPROXY_CONFIG_DEFAULTS).toMatchObject({
      PidPath: '/var/run/proxy.pid',
      MaxConnections: 1024,
      ConnectTimeout: 600,
      SSLVerify: 'required',
      SSLCiphers: 'HIGH:!aNULL:!MD5',
      HideInfoHeaders: false,
      AdminSocketPath: '/run/haproxy/admin.sock',
      HardStopAfter: '5m',
      TaskConnectTimeout: '1s',
    });
  });

  it('reads an Interlock TOML Config table', () => {
    const toml = parseToml(`
[Extensions.haproxy.Config]
  PidPath = "/run/haproxy.pid"
  MaxConnections = 2048
  ConnectTimeout = 5
  ClientTimeout = 30
  ServerTimeout = 60
  AdminUser = "ops"
  AdminPass = "hunter2"
  SSLProtocols = "TLSv1.2 TLSv1.3"
  GlobalOptions = ["tune.bufsize 32768"]
  DefaultOptions = ["option http-server-close"]
  HideInfoHeaders = true
`) as { Extensions: { haproxy: { Config: unknown } } };
    const config = parseHaproxyConfig(toml.Extensions.haproxy.Config);
    expect(config).toMatchObject({
      PidPath: '/run/haproxy.pid',
      MaxConnections: 2048,
      ConnectTimeout: 5,
      AdminUser: 'ops',
      GlobalOptions: ['tune.bufsize 32768'],
      HideInfoHeaders: true,
      SSLVerify: 'required',
    });
  });

  it('does not share the default arrays between results', () => {
    const a = parseHaproxyConfig({});
    a.GlobalOptions.push('x');
    expect(parseHaproxyConfig({}).GlobalOptions).toEqual([]);
  });

  it('names every bad key, including unknown keys (typos)', () => {
    const issues = issuesOf({ MaxConnections: 'many', ClientTimeout: 1.5, MaxConnection: 10, SendTimout: 600 });
    expect(issues.map((i) => i.key).sort()).toEqual(['ClientTimeout', 'MaxConnection', 'MaxConnections', 'SendTimout']);
    expect(issues.find((i) => i.key === 'MaxConnection')?.message).toBe('unknown key');
  });

  it('has a typed error with a code and a message naming the keys', () => {
    try {
      parseHaproxyConfig({ SSLVerify: 'sometimes' });
      throw new Error('not thrown');
    } catch (e) {
      const err = e as HaproxyConfigError;
      expect(err.code).toBe('invalid-haproxy-config');
      expect(err.message).toContain('SSLVerify');
      expect(err.name).toBe('HaproxyConfigError');
    }
  });

  it.each([
    ['GlobalOptions', ['maxconn 10\n    stats socket /tmp/x'], 'GlobalOptions'],
    ['DefaultOptions', ['http-request deny if { src 10.0.0.0/8 }'], 'DefaultOptions'],
    ['DefaultOptions', ['backend evil'], 'DefaultOptions'],
    ['SSLOpts', 'no-tls-tickets\nbind :1', 'SSLOpts'],
    ['PidPath', '/run/../etc/passwd', 'PidPath'],
    ['PidPath', 'relative.pid', 'PidPath'],
    ['AdminUser', 'root user', 'AdminUser'],
    ['AdminPass', 'pass word', 'AdminPass'],
    ['SSLCiphers', 'HIGH ssl-min-ver', 'SSLCiphers'],
    ['SSLProtocols', 'TLSv9', 'SSLProtocols'],
    ['SSLDefaultDHParam', 512, 'SSLDefaultDHParam'],
    ['HideInfoHeaders', 'yes', 'HideInfoHeaders'],
  ])('rejects %s = %j', (key, value, reported) => {
    expect(issuesOf({ [key]: value }).map((i) => i.key)).toEqual([reported]);
  });

  it.each([
    ['AdminSocketPath', '/run/haproxy/admin.sock'],
    ['AdminSocketPath', '/var/run/haproxy-admin.sock'],
    ['AdminSocketPath', `/${'a'.repeat(96)}`],
    ['AdminSocketPath', ''],
    ['HardStopAfter', '5m'],
    ['HardStopAfter', '30s'],
    ['HardStopAfter', '250ms'],
    ['HardStopAfter', '2h'],
    ['HardStopAfter', '24d'],
    ['HardStopAfter', '2147483647'],
    ['HardStopAfter', ''],
    ['TaskConnectTimeout', '1s'],
    ['TaskConnectTimeout', '100ms'],
    ['TaskConnectTimeout', '1ms'],
    ['TaskConnectTimeout', '2m'],
    ['TaskConnectTimeout', '24d'],
  ])('accepts %s = %j', (key, value) => {
    expect(parseHaproxyConfig({ [key]: value })[key as 'AdminSocketPath' | 'HardStopAfter' | 'TaskConnectTimeout']).toBe(value);
  });

  it.each([
    ['AdminSocketPath', 'admin.sock'],
    ['AdminSocketPath', '/run/../etc/admin.sock'],
    ['AdminSocketPath', '/run/haproxy/admin sock level admin'],
    ['AdminSocketPath', '/run/haproxy/admin.sock\n    stats socket /tmp/x'],
    ['AdminSocketPath', `/${'a'.repeat(97)}`],
    ['HardStopAfter', '0'],
    ['HardStopAfter', '0s'],
    ['HardStopAfter', '1w'],
    ['HardStopAfter', '1M'],
    ['HardStopAfter', '5min'],
    ['HardStopAfter', '25d'],
    ['HardStopAfter', '2147483648ms'],
    ['HardStopAfter', '5m\n    maxconn 1'],
    ['HardStopAfter', 300],
    ['TaskConnectTimeout', ''],
    ['TaskConnectTimeout', '0'],
    ['TaskConnectTimeout', '0s'],
    ['TaskConnectTimeout', '0ms'],
    ['TaskConnectTimeout', '999us'],
    ['TaskConnectTimeout', '500'],
    ['TaskConnectTimeout', '1w'],
    ['TaskConnectTimeout', '25d'],
    ['TaskConnectTimeout', '-1s'],
    ['TaskConnectTimeout', '1s\n    timeout server 1s'],
    ['TaskConnectTimeout', 1],
  ])('rejects %s = %j, naming the key', (key, value) => {
    const issues = issuesOf({ [key]: value });
    expect(issues.map((i) => i.key)).toEqual([key]);
    expect(issues[0]?.message).toMatch(typeof value === 'string' ? /^must be / : /expected string/);
  });

  it('says what a TaskConnectTimeout must be, naming the key', () => {
    try {
      parseHaproxyConfig({ TaskConnectTimeout: '0s' });
      throw new Error('not thrown');
    } catch (e) {
      expect((e as HaproxyConfigError).message).toBe(
        'invalid HAProxy extension Config: TaskConnectTimeout: must be a time with a unit, at least 1ms, such as "1s", "500ms" or "1.5s" (units us, ms, s, m, h, d, or a Go duration; at most 24d)',
      );
    }
  });

  it.each([
    ['HardStopAfter', '1m30s', '90000ms'],
    ['HardStopAfter', '1.5h', '5400000ms'],
    ['TaskConnectTimeout', '1.5s', '1500ms'],
    ['TaskConnectTimeout', '1m30s', '90000ms'],
  ])('accepts the Go duration %s = %j (printed as %j)', (key, value, printed) => {
    expect((parseHaproxyConfig({ [key]: value }) as unknown as Record<string, unknown>)[key]).toBe(printed);
  });

  it("accepts Interlock's keys it does not use (nginx ones too) and lists them as ignored", () => {
    const { config, ignored } = inspectHaproxyConfig({ Version: '', User: 'nginx', MainLogFormat: "'$remote_addr';", MaxConnections: 2048 });
    expect(ignored.map((i) => i.key)).toEqual(['MainLogFormat', 'User', 'Version']);
    for (const i of ignored) expect(i.reason).toBe(HAPROXY_IGNORED_KEYS[i.key]);
    expect(config.MaxConnections).toBe(2048);
  });

  it('refuses SSLv3, unknown bind SSL options and unmatched quotes, naming the key', () => {
    expect(issuesOf({ SSLProtocols: 'SSLv3 TLSv1.2' }).map((i) => i.key)).toEqual(['SSLProtocols']);
    expect(issuesOf({ SSLOpts: 'no-tls-tickets bogus' })[0]?.message).toMatch(/"bogus" is not an SSL bind option/);
    expect(issuesOf({ SSLOpts: 'alpn' })[0]?.message).toMatch(/"alpn" needs a value/);
    expect(issuesOf({ GlobalOptions: ["setenv A 'b"] })).toEqual([{ key: 'GlobalOptions', message: 'option line has an unmatched quote (at 0)' }]);
  });

  it('requires AdminPass with AdminUser', () => {
    expect(issuesOf({ AdminUser: 'admin' })).toEqual([{ key: 'AdminPass', message: 'must be set when AdminUser is set' }]);
  });

  it('exports the schema (partial, strict)', () => {
    expect(haproxyConfigSchema.safeParse({ MaxConnections: 50 }).success).toBe(true);
    expect(haproxyConfigSchema.safeParse({ Nope: 5 }).success).toBe(false);
  });
});

describe('key spelling', () => {
  it("matches keys case-insensitively, as Interlock's Go TOML decoder does", () => {
    expect(parseHaproxyConfig({ maxconnections: 2048, ADMINUSER: 'a', AdminPass: 'b' })).toMatchObject({ MaxConnections: 2048, AdminUser: 'a' });
    expect(inspectHaproxyConfig({ RlimitNoFile: 1 }).ignored.map((i) => i.key)).toEqual(['RLimitNoFile']);
  });
});
