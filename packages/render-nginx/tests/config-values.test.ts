/**
 * What the parser accepts, nginx accepts: a table of operator values for `[Extensions.<name>.Config]`
 * (good and bad). Every value `parseNginxConfig` accepts is rendered (a model with TLS termination and SNI
 * passthrough, so the ssl and stream directives are printed) and checked with the real `nginx -t`, in a
 * small parallel pool. The values the issue reported as accepted-then-broken must be refused, naming the key.
 * `VALUE_CHECK_REPORT=1` prints the counts.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProxyModel } from '@switchyard/proto';
import { NginxConfigError, parseNginxConfig, renderNginx } from '../src/index.js';
import { createPki, layOutFiles, populateSecrets, read, type TestPki } from './helpers.js';

/** [key, value, 'refuse' / 'accept' when the parser must refuse / accept the value]. */
type Case = [string, unknown, ('refuse' | 'accept')?];

const LOG = "'$remote_addr - $remote_user [$time_local] \"$request\" '\n\t\t    '$status $body_bytes_sent \"$http_referer\" '\n\t\t    '\"$http_user_agent\" \"$http_x_forwarded_for\"';";
const TRACE =
  "'$remote_addr - $remote_user [$time_local] \"$request\" $status '\n\t\t    '$body_bytes_sent \"$http_referer\" \"$http_user_agent\" '\n\t\t    '\"$http_x_forwarded_for\" $reqid $msec $request_time '\n\t\t    '$upstream_connect_time $upstream_header_time $upstream_response_time';";

export const NGINX_VALUE_CASES: Case[] = [
  ['User', 'nginx'], ['User', 'www-data'], ['User', 'nobody nogroup'], ['User', 'nginx;'], ['User', 'a b c'], ['User', 'Root'],
  ['PidPath', '/run/proxy.pid'], ['PidPath', '/tmp/x.pid'], ['PidPath', 'proxy.pid'], ['PidPath', '/a/../b.pid'], ['PidPath', '/a b.pid'],
  ['MaxConnections', 1, 'refuse'], ['MaxConnections', 2], ['MaxConnections', 16], ['MaxConnections', 64], ['MaxConnections', 512], ['MaxConnections', 1024, 'accept'],
  ['MaxConnections', 65536], ['MaxConnections', 0], ['MaxConnections', -5], ['MaxConnections', 10.5], ['MaxConnections', '1024'],
  ['ConnectTimeout', 1], ['ConnectTimeout', 600], ['ConnectTimeout', 86400], ['ConnectTimeout', 0], ['ConnectTimeout', 1.5], ['ConnectTimeout', '5s'],
  ['SendTimeout', 600], ['SendTimeout', 86401], ['ReadTimeout', 3600], ['ReadTimeout', -1],
  ['TaskConnectTimeout', '1s'], ['TaskConnectTimeout', '500ms'], ['TaskConnectTimeout', '1.5s', 'accept'], ['TaskConnectTimeout', '1m30s', 'accept'], ['TaskConnectTimeout', '2d'],
  ['IPHash', true], ['IPHash', 'yes'],
  ['SSLOpts', ''], ['SSLOpts', 'ssl_session_tickets off'], ['SSLOpts', 'ssl_session_tickets off; ssl_buffer_size 4k;'], ['SSLOpts', "ssl_ecdh_curve 'X25519:prime256v1'"],
  ['SSLOpts', "ssl_ecdh_curve 'X25519", 'refuse'], ['SSLOpts', 'ssl_ecdh_curve "X25519', 'refuse'], ['SSLOpts', 'ssl_session_tickets off; }'], ['SSLOpts', 'proxy_pass http://x'],
  ['SSLOpts', 'ssl_protocols TLSv1.3'],
  ['SSLDefaultDHParam', 1024], ['SSLDefaultDHParam', 0], ['SSLDefaultDHParam', 99999], ['SSLDefaultDHParamPath', ''], ['SSLDefaultDHParamPath', 'dh.pem'],
  ['SSLVerify', 'required'], ['SSLVerify', 'none'], ['SSLVerify', 'optional'], ['SSLVerify', 'maybe'],
  ['WorkerProcesses', 1, 'accept'], ['WorkerProcesses', 4], ['WorkerProcesses', 'auto'], ['WorkerProcesses', '2'], ['WorkerProcesses', 0], ['WorkerProcesses', -1], ['WorkerProcesses', 'many'], ['WorkerProcesses', '0'],
  ['RLimitNoFile', 0], ['RLimitNoFile', 1024], ['RLimitNoFile', 65535], ['RLimitNoFile', 1048576], ['RLimitNoFile', -1],
  ['WorkerShutdownTimeout', '5m'], ['WorkerShutdownTimeout', ''], ['WorkerShutdownTimeout', '1m30s', 'accept'], ['WorkerShutdownTimeout', '90s'], ['WorkerShutdownTimeout', '0s'], ['WorkerShutdownTimeout', '1y'],
  ['SSLCiphers', 'HIGH:!aNULL:!MD5', 'accept'], ['SSLCiphers', 'ECDHE+AESGCM'], ['SSLCiphers', 'DEFAULT'], ['SSLCiphers', 'ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-GCM-SHA256'],
  ['SSLCiphers', 'a', 'refuse'], ['SSLCiphers', 'NOTACIPHER', 'refuse'], ['SSLCiphers', 'TLS_AES_128_GCM_SHA256', 'refuse'], ['SSLCiphers', 'HIGH:!aNULL;'], ['SSLCiphers', ''],
  ['SSLProtocols', 'TLSv1.2'], ['SSLProtocols', 'TLSv1.2 TLSv1.3'], ['SSLProtocols', 'TLSv1.3'], ['SSLProtocols', 'TLSv1 TLSv1.1 TLSv1.2'], ['SSLProtocols', 'TLSv1.4', 'refuse'],
  ['SSLProtocols', 'tlsv1.2'], ['SSLProtocols', ''], ['SSLProtocols', 'TLSv1.2  TLSv1.3'],
  ['AccessLogPath', '/dev/stdout'], ['AccessLogPath', 'off'], ['AccessLogPath', '/tmp/access.log'], ['AccessLogPath', 'access.log'],
  ['AccessLogBuffer', '4k', 'accept'], ['AccessLogBuffer', '', 'accept'], ['AccessLogBuffer', '512'], ['AccessLogBuffer', '2K'], ['AccessLogBuffer', '4096'],
  ['AccessLogBuffer', '8k', 'refuse'], ['AccessLogBuffer', '1m', 'refuse'], ['AccessLogBuffer', '0', 'refuse'], ['AccessLogBuffer', 'big', 'refuse'], ['AccessLogBuffer', 4096],
  ['ErrorLogPath', '/dev/stderr'], ['ErrorLogPath', 'stderr'], ['ErrorLogPath', '/tmp/error.log'], ['ErrorLogPath', 'syslog:server=x'],
  ['MainLogFormat', LOG, 'accept'], ['MainLogFormat', "'$remote_addr $status'"], ['MainLogFormat', '$remote_addr $status'], ['MainLogFormat', "escape=json '{\"a\":\"$status\"}'"],
  ['MainLogFormat', "'$remote_addr' '$status';"], ['MainLogFormat', "'$remote_addr"], ['MainLogFormat', "'a'; return 200"], ['MainLogFormat', "'$not_a_variable'", 'refuse'],
  ['MainLogFormat', "'$http_x_trace $cookie_session $upstream_http_server'"], ['MainLogFormat', ''],
  ['TraceLogFormat', TRACE, 'accept'], ['TraceLogFormat', TRACE.replace('$reqid', '$request_id')], ['TraceLogFormat', "'$request_id $msec'"], ['TraceLogFormat', "'${remote_addr}x'"],
  ['KeepaliveTimeout', '75s'], ['KeepaliveTimeout', '1m30s', 'accept'], ['KeepaliveTimeout', '1.5s', 'accept'], ['KeepaliveTimeout', '75s 60s'], ['KeepaliveTimeout', '0'], ['KeepaliveTimeout', '10'],
  ['KeepaliveTimeout', '1y', 'refuse'], ['KeepaliveTimeout', '2h'], ['KeepaliveTimeout', '500ms'], ['KeepaliveTimeout', 'abc'], ['KeepaliveTimeout', '75s 1y'], ['KeepaliveTimeout', 75],
  ['ClientMaxBodySize', '32m'], ['ClientMaxBodySize', '0'], ['ClientMaxBodySize', '1g'], ['ClientMaxBodySize', '10G'], ['ClientMaxBodySize', '512k'], ['ClientMaxBodySize', '1t'], ['ClientMaxBodySize', '-1'],
  ['ClientBodyBufferSize', '8k'], ['ClientBodyBufferSize', '1m'], ['ClientBodyBufferSize', '0'], ['ClientBodyBufferSize', '16K'],
  ['ClientHeaderBufferSize', '1k'], ['ClientHeaderBufferSize', '4k'], ['ClientHeaderBufferSize', '0'], ['ClientHeaderBufferSize', '64m'],
  ['LargeClientHeaderBuffers', '4 8k'], ['LargeClientHeaderBuffers', '2 1k'], ['LargeClientHeaderBuffers', '8 16k'], ['LargeClientHeaderBuffers', '0 0', 'refuse'],
  ['LargeClientHeaderBuffers', '4 0'], ['LargeClientHeaderBuffers', '0 8k'], ['LargeClientHeaderBuffers', '4 100'], ['LargeClientHeaderBuffers', '4'], ['LargeClientHeaderBuffers', '4 1m'],
  ['ClientBodyTimeout', '60s'], ['ClientBodyTimeout', '1m30s', 'accept'], ['ClientBodyTimeout', '1y'], ['ClientBodyTimeout', '0'], ['ClientBodyTimeout', '2.5s'],
  ['UnderscoresInHeaders', true], ['UnderscoresInHeaders', 'on'],
  ['ServerNamesHashBucketSize', 128], ['ServerNamesHashBucketSize', 64], ['ServerNamesHashBucketSize', 0], ['ServerNamesHashBucketSize', 100], ['ServerNamesHashBucketSize', 65536],
  ['UpstreamZoneSize', 64], ['UpstreamZoneSize', 0], ['UpstreamZoneSize', 32], ['UpstreamZoneSize', 16], ['UpstreamZoneSize', 65536],
  ['GlobalOptions', []], ['GlobalOptions', ['worker_cpu_affinity auto']], ['GlobalOptions', ['timer_resolution 100ms', 'pcre_jit on']],
  ['GlobalOptions', ['load_module modules/ngx_stream_module.so'], 'refuse'], ['GlobalOptions', ['include /etc/nginx/modules-enabled/*.conf']], ['GlobalOptions', ['worker_processes 2']],
  ['GlobalOptions', ['worker_shutdown_timeout 10s']], ['GlobalOptions', ['env TZ']], ['GlobalOptions', ['events { }']], ['GlobalOptions', "worker_cpu_affinity auto"],
  ['HTTPOptions', ['gzip on', 'gzip_types text/css application/json']], ['HTTPOptions', ['proxy_buffering off']], ['HTTPOptions', ["add_header X-Frame-Options 'DENY' always"]],
  ['HTTPOptions', ['client_max_body_size 10m']], ['HTTPOptions', ['keepalive_timeout 30s']], ['HTTPOptions', ['log_format main $status']], ['HTTPOptions', ["add_header X 'y"]],
  ['HTTPOptions', ['resolver 127.0.0.11 valid=10s']], ['HTTPOptions', ['ssl_protocols TLSv1.3']], ['HTTPOptions', ['']],
  ['TCPOptions', ['proxy_buffer_size 16k']], ['TCPOptions', ['tcp_nodelay on']], ['TCPOptions', ['ssl_preread on']], ['TCPOptions', ['proxy_timeout 10m']], ['TCPOptions', ["x 'y"]],
  ['HideInfoHeaders', true], ['HideInfoHeaders', 1],
  // Interlock keys Switchyard does not use: accepted and ignored.
  ['Version', '', 'accept'], ['AdminUser', '', 'accept'], ['AdminPass', '', 'accept'], ['HTTPVersion', '1.1', 'accept'], ['ClientTimeout', 600, 'accept'], ['ServerTimeout', 600, 'accept'], ['DefaultOptions', [], 'accept'],
  ['MaxConnection', 10],
];

interface Outcome {
  key: string;
  value: unknown;
  accepted: boolean;
  problem?: string;
  proxyOk?: boolean;
  output?: string;
}

const model = ProxyModel.fromJSON(JSON.parse(read(join(__dirname, '..', 'fixtures', 'sni-passthrough', 'model.json'))));

/** `nginx -t` on a laid-out file set; stdout/stderr go to a file (nginx opens /dev/stdout itself, which must not be a pipe). */
function nginxTest(conf: string): Promise<{ ok: boolean; output: string }> {
  const log = `${conf}.log`;
  const fd = openSync(log, 'w');
  return new Promise((resolve) => {
    const child = spawn('nginx', ['-t', '-q', '-c', conf], { cwd: tmpdir(), stdio: ['ignore', fd, fd] });
    child.on('close', (code) => {
      closeSync(fd);
      resolve({ ok: code === 0, output: readFileSync(log, 'utf8') });
    });
  });
}

async function pool<T, R>(items: T[], size: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: size }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await work(items[i] as T);
      }
    }),
  );
  return results;
}

let pki: TestPki;
let dir: string;
let outcomes: Outcome[];

beforeAll(async () => {
  pki = createPki(['localhost']);
  dir = mkdtempSync(join(tmpdir(), 'render-nginx-values-'));
  const secrets = join(dir, 'secrets');
  mkdirSync(secrets);
  populateSecrets(pki, secrets, model.certificates.map((c) => ({ certFile: c.certFile, keyFile: c.keyFile })));
  outcomes = await pool(NGINX_VALUE_CASES.map((c, i) => ({ c, i })), 8, async ({ c: [key, value], i }): Promise<Outcome> => {
    let config;
    try {
      config = parseNginxConfig({ [key]: value, PidPath: key === 'PidPath' ? value : join(dir, `n${i}.pid`) });
    } catch (err) {
      if (!(err instanceof NginxConfigError)) throw err;
      return { key, value, accepted: false, problem: err.message };
    }
    const { files } = renderNginx(model, { config, httpPort: 18080 + i, httpsPort: 28443 });
    const conf = layOutFiles(join(dir, `case-${i}`), files, secrets);
    const check = await nginxTest(conf);
    return { key, value, accepted: true, proxyOk: check.ok, output: check.output };
  });
}, 120_000);

afterAll(() => {
  pki?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

it('has a table of at least 150 nginx operator values', () => {
  expect(NGINX_VALUE_CASES.length).toBeGreaterThanOrEqual(150);
});

it('nginx -t accepts every value the parser accepts', () => {
  const broken = outcomes.filter((o) => o.accepted && !o.proxyOk).map((o) => `${o.key} = ${JSON.stringify(o.value)}: ${o.output?.trim().split('\n')[0]}`);
  if (process.env['VALUE_CHECK_REPORT'] === '1') {
    const accepted = outcomes.filter((o) => o.accepted).length;
    process.stdout.write(`nginx values: ${outcomes.length}, accepted ${accepted}, accepted but refused by nginx -t ${broken.length}\n${broken.join('\n')}\n`);
  }
  expect(broken).toEqual([]);
});

it("accepts Interlock's documented values, Go durations and ignored keys", () => {
  const refused = NGINX_VALUE_CASES.flatMap(([key, value, expectation], i) =>
    expectation === 'accept' && !(outcomes[i] as Outcome).accepted ? [`${key} = ${JSON.stringify(value)}: ${(outcomes[i] as Outcome).problem}`] : [],
  );
  expect(refused).toEqual([]);
});

it('refuses the known-bad values, naming the key', () => {
  const wrong = NGINX_VALUE_CASES.flatMap(([key, value, expectation], i) => {
    if (expectation !== 'refuse') return [];
    const o = outcomes[i] as Outcome;
    return o.accepted || !new RegExp(`\\b${key}(\\[\\d+\\])?: `).test(o.problem ?? '') ? [`${key} = ${JSON.stringify(value)}`] : [];
  });
  expect(wrong).toEqual([]);
});
