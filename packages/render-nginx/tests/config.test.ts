import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProxyModel, Severity } from '@switchyard/proto';
import {
  NGINX_CONFIG_DEFAULTS,
  NGINX_IGNORED_KEYS,
  NginxConfigError,
  inspectNginxConfig,
  nginxConfigSchema,
  parseNginxConfig,
  renderNginx,
  type NginxConfig,
} from '../src/index.js';
import { nginxCheck } from './helpers.js';

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
    expect(config.WorkerShutdownTimeout).toBe('5m');
    expect(config.TaskConnectTimeout).toBe('1s');
  });

  it.each(['1s', '100ms', '1500ms', '1ms', '2m', '1h', '1d', '86400s'])('accepts TaskConnectTimeout %j', (value) => {
    expect(parseNginxConfig({ TaskConnectTimeout: value }).TaskConnectTimeout).toBe(value);
  });

  it.each([
    ['1.5s', '1500ms'],
    ['1m30s', '90000ms'],
    ['250ms', '250ms'],
  ])('accepts the Go duration %j as TaskConnectTimeout (printed as %j)', (value, printed) => {
    expect(parseNginxConfig({ TaskConnectTimeout: value }).TaskConnectTimeout).toBe(printed);
  });

  it('accepts Go durations in WorkerShutdownTimeout, KeepaliveTimeout and ClientBodyTimeout', () => {
    const config = parseNginxConfig({ WorkerShutdownTimeout: '1m30s', KeepaliveTimeout: '1.5s 60s', ClientBodyTimeout: '2m30s' });
    expect([config.WorkerShutdownTimeout, config.KeepaliveTimeout, config.ClientBodyTimeout]).toEqual(['90000ms', '1500ms 60s', '150000ms']);
  });

  it.each(['', '0', '0s', '0ms', '500', '1500us', '1 s', '1w', '2d', '86401s', '1y', '-1s', '1s; proxy_pass x', 1])(
    'rejects TaskConnectTimeout %j, naming the key',
    (value) => {
      const error = errorOf({ TaskConnectTimeout: value });
      expect(error.issues.map((i) => i.key)).toEqual(['TaskConnectTimeout']);
      expect(error.message).toContain('TaskConnectTimeout: ');
      if (typeof value === 'string') {
        expect(error.issues[0]?.message).toBe(
          "must be a time with a unit, above zero and at most 1d, such as '1s', '500ms' or '1.5s' (nginx units ms, s, m, h, d, or a Go duration)",
        );
      }
    },
  );

  it('keeps given values and accepts WorkerProcesses as a number or "auto"', () => {
    const config = parseNginxConfig({ MaxConnections: 4096, WorkerProcesses: 4, HideInfoHeaders: true, HTTPOptions: ['gzip on'] });
    expect(config.MaxConnections).toBe(4096);
    expect(config.WorkerProcesses).toBe('4');
    expect(config.HideInfoHeaders).toBe(true);
    expect(config.HTTPOptions).toEqual(['gzip on']);
    expect(parseNginxConfig({ WorkerProcesses: 'auto' }).WorkerProcesses).toBe('auto');
  });

  it('rejects unknown keys (typos) by name', () => {
    const error = errorOf({ MaxConnection: 10, IPHashing: true });
    expect(error.code).toBe('invalid-nginx-config');
    expect(error.issues.map((i) => i.key)).toEqual(['IPHashing', 'MaxConnection']);
    expect(error.message).toContain('MaxConnection: unknown key');
    expect(error.message).toContain('IPHashing: unknown key');
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

  it.each(['5m', '30s', '500ms', '1h', '2d', '1w', '90', ''])('accepts WorkerShutdownTimeout %j', (value) => {
    expect(parseNginxConfig({ WorkerShutdownTimeout: value }).WorkerShutdownTimeout).toBe(value);
  });

  it.each([
    ['a month (nginx refuses M and y here)', '1M'],
    ['a year', '1y'],
    ['zero (would cut every connection at each reload; "" omits the directive)', '0'],
    ['zero seconds', '0s'],
    ['a directive injection', '5m; user root'],
    ['a space', '5 m'],
    ['a number', 300],
  ])('rejects WorkerShutdownTimeout with %s, naming the key', (_what, value) => {
    const error = errorOf({ WorkerShutdownTimeout: value });
    expect(error.issues).toEqual([{ key: 'WorkerShutdownTimeout', message: expect.any(String) }]);
    expect(error.message).toContain('WorkerShutdownTimeout:');
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
    expect(defaults).toContain('zone up_a 64k;');
    const text = renderNginx(model, { config: { RLimitNoFile: 0, UpstreamZoneSize: 0 } }).files[0]?.content ?? '';
    expect(text).not.toContain('worker_rlimit_nofile');
    expect(text).not.toContain('zone up_a');
  });

  it('prints worker_shutdown_timeout in the main context, 5m by default', () => {
    const defaults = renderNginx(model).files[0]?.content ?? '';
    expect(defaults).toMatch(/\nworker_processes 1;\nworker_rlimit_nofile 65535;\nworker_shutdown_timeout 5m;\npid /);
    const text = renderNginx(model, { config: { WorkerShutdownTimeout: '90s' } }).files[0]?.content ?? '';
    expect(text).toContain('\nworker_shutdown_timeout 90s;\n');
  });

  it('omits worker_shutdown_timeout when WorkerShutdownTimeout is ""', () => {
    const result = renderNginx(model, { config: { WorkerShutdownTimeout: '' } });
    expect(result.files[0]?.content).not.toContain('worker_shutdown_timeout');
    expect(result.diagnostics).toEqual([]);
  });

  it('lets a worker_shutdown_timeout in GlobalOptions win (nginx refuses it twice), with a warning', () => {
    const result = renderNginx(model, { config: { GlobalOptions: ['pcre_jit on; worker_shutdown_timeout 10s'] } });
    const text = result.files[0]?.content ?? '';
    expect(text.match(/worker_shutdown_timeout/g)).toEqual(['worker_shutdown_timeout']);
    expect(text).toContain('\nworker_shutdown_timeout 10s;\n');
    expect(result.diagnostics).toEqual([
      expect.objectContaining({ label: 'WorkerShutdownTimeout', code: 'overridden-by-global-options', severity: Severity.SEVERITY_WARNING }),
    ]);
  });

  it('replaces an invalid WorkerShutdownTimeout by the default and reports it', () => {
    const result = renderNginx(model, { config: { WorkerShutdownTimeout: '1y' } });
    expect(result.files[0]?.content).toContain('\nworker_shutdown_timeout 5m;\n');
    expect(result.diagnostics.map((d) => [d.label, d.code])).toEqual([['WorkerShutdownTimeout', 'invalid-config']]);
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
    expect(text).toContain('access_log /var/log/a.log main buffer=4k flush=1s;');
    expect(text).toContain('error_log /var/log/e.log warn;');
    expect(text).toContain('listen 8080 default_server;');
  });

  it('writes each access log line at once with AccessLogBuffer = "" (as Interlock), and refuses buffers above 4k', () => {
    const text = renderNginx(model, { config: { AccessLogBuffer: '' } }).files[0]?.content ?? '';
    expect(text).toContain('\n    access_log /dev/stdout main;\n');
    expect(renderNginx(model, { config: { AccessLogBuffer: '2k' } }).files[0]?.content).toContain('access_log /dev/stdout main buffer=2k flush=1s;');
    expect(errorOf({ AccessLogBuffer: '8k' }).issues).toEqual([{ key: 'AccessLogBuffer', message: expect.any(String) }]);
  });
});

describe('nginx time values', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'render-nginx-time-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** What the real nginx says about `directive value;` (main or http context). */
  function nginxAccepts(directive: string, value: string, http: boolean): boolean {
    const line = `${directive} ${value};`;
    const conf = `pid ${dir}/n.pid;\nerror_log stderr;\n${http ? '' : `${line}\n`}events {}\nhttp {\n    access_log off;\n${http ? `    ${line}\n` : ''}}\n`;
    return nginxCheck(conf, dir).ok;
  }

  const values = ['75s', '500ms', '10', '5m', '1h', '2d', '1w', '1M', '1y', '75s 60s', '75s 1y', '75s 500ms', '1y 60s', '999999999w'];
  it.each([
    ['KeepaliveTimeout', 'keepalive_timeout', true],
    ['ClientBodyTimeout', 'client_body_timeout', true],
    ['WorkerShutdownTimeout', 'worker_shutdown_timeout', false],
    ['TaskConnectTimeout', 'proxy_connect_timeout', true],
  ] as const)('%s: the parser accepts only values the real nginx accepts', (key, directive, http) => {
    const accepted = values.filter((value) => nginxConfigSchema.safeParse({ [key]: value }).success);
    expect(accepted.length).toBeGreaterThan(3);
    for (const value of accepted) expect([value, nginxAccepts(directive, value, http)]).toEqual([value, true]);
    // The month and year units are refused by nginx for these millisecond times, and by the parser.
    for (const value of ['1M', '1y']) {
      expect([value, nginxAccepts(directive, value, http)]).toEqual([value, false]);
      expect(accepted).not.toContain(value);
    }
  });
});

describe("Interlock's documented nginx Config", () => {
  const MAIN = "'$remote_addr - $remote_user [$time_local] \"$request\" '\n\t\t    '$status $body_bytes_sent \"$http_referer\" '\n\t\t    '\"$http_user_agent\" \"$http_x_forwarded_for\"';";
  const TRACE = "'$remote_addr $status '\n\t\t    '\"$http_x_forwarded_for\" $reqid $msec $request_time';";

  it('lists the keys it ignores, with a reason, and keeps them out of the config', () => {
    const { config, ignored } = inspectNginxConfig({ Version: '', AdminUser: '', AdminPass: '', HTTPVersion: '1.1', MaxConnections: 2048 });
    expect(ignored.map((i) => i.key)).toEqual(['AdminPass', 'AdminUser', 'HTTPVersion', 'Version']);
    for (const i of ignored) expect(i.reason).toBe(NGINX_IGNORED_KEYS[i.key]);
    expect(config.MaxConnections).toBe(2048);
    expect(config).not.toHaveProperty('Version');
    expect(() => parseNginxConfig({ Versoin: '' })).toThrow(/Versoin: unknown key/);
  });

  it('renders multi-line log formats as one log_format line of quoted parts, and defines $reqid when used', () => {
    const config = parseNginxConfig({ MainLogFormat: MAIN, TraceLogFormat: TRACE });
    const text = renderNginx(model, { config }).files[0]?.content ?? '';
    expect(text).toContain(
      'log_format main \'$remote_addr - $remote_user [$time_local] "$request" \' \'$status $body_bytes_sent "$http_referer" \' \'"$http_user_agent" "$http_x_forwarded_for"\';\n',
    );
    expect(text).toContain("log_format trace '$remote_addr $status ' '\"$http_x_forwarded_for\" $reqid $msec $request_time';\n");
    expect(text).toContain('map $http_x_request_id $reqid {');
    expect(renderNginx(model, {}).files[0]?.content).not.toContain('$reqid');
  });

  it('refuses a line break inside a quoted part and unknown variables, naming the key', () => {
    expect(() => parseNginxConfig({ MainLogFormat: "'a\nb'" })).toThrow(/MainLogFormat: .*line break inside a quoted string/);
    expect(() => parseNginxConfig({ TraceLogFormat: "'$nope $status'" })).toThrow(/TraceLogFormat: uses unknown nginx variables: \$nope/);
  });
});

describe('key spelling', () => {
  it("matches keys case-insensitively, as Interlock's Go TOML decoder does (RlimitNoFile in its host-mode docs)", () => {
    expect(parseNginxConfig({ RlimitNoFile: 4096, maxconnections: 2048 })).toMatchObject({ RLimitNoFile: 4096, MaxConnections: 2048 });
    expect(inspectNginxConfig({ version: '' }).ignored.map((i) => i.key)).toEqual(['Version']);
    expect(() => parseNginxConfig({ RLimitNoFile: 1, RlimitNoFile: 2 })).toThrow(/RlimitNoFile: unknown key/);
  });
});
