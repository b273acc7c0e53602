import { durationMs } from '@switchyard/duration';
import { cipherListProblem, isSafeCipherList } from '@switchyard/labels/safe-tls';
import { configKeyIssues, splitConfigTable, type RendererConfigIssue, type RendererIgnoredKey } from '@switchyard/proto';
import { z } from 'zod';
import { formatRawArguments, isSafeAbsolutePath, parseRawDirectives } from './escape.js';

/**
 * nginx times. Most directives take milliseconds (`ngx_parse_time(…, 0)`), where nginx refuses the
 * `M` (month) and `y` (year) units; a few take seconds (`ngx_parse_time(…, 1)`), where it refuses `ms`.
 */
const SEC_TIME = '[0-9]{1,9}(?:s|m|h|d|w|M|y)?';
/** One nginx millisecond time: a number with an optional unit (no unit = seconds). */
const MSEC_TIME_RE = /^([0-9]{1,10})(ms|s|m|h|d|w)?$/;
const SEC_TIME_RE = new RegExp(`^${SEC_TIME}$`);
const MSEC_UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
/** Largest millisecond time nginx accepts (`NGX_MAX_INT32_VALUE`). */
const MAX_NGINX_MSEC = 2_147_483_647;
/** An nginx time with an explicit unit (milliseconds up to days): `500ms`, `1s`, `2m`. */
const UNIT_TIME_RE = /^([0-9]{1,9})(ms|s|m|h|d)$/;
const TIME_UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
/** Largest `TaskConnectTimeout`: one day, the largest `ConnectTimeout` (in milliseconds). */
const MAX_TASK_CONNECT_MS = 86_400_000;
/** An nginx size: a number with an optional `k` or `m` (or `g`, where nginx takes offsets) suffix. */
const SIZE_RE = /^([0-9]{1,9})([kKmMgG]?)$/;
const SIZE_UNIT: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };
const BUFFERS_RE = /^([0-9]{1,4}) ([0-9]{1,9}[kKmM]?)$/;
const USER_RE = /^[a-z_][a-z0-9_-]{0,31}(?: [a-z_][a-z0-9_-]{0,31})?$/;
/** Protocol names nginx's `ssl_protocols` knows. */
export const NGINX_SSL_PROTOCOLS = ['SSLv2', 'SSLv3', 'TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'] as const;

/**
 * Milliseconds of a time in an nginx millisecond context (`500ms`, `75s`, `2d`, a bare number = seconds),
 * or of a Go duration (`1m30s`, `1.5s`); `undefined` for anything nginx would refuse (a fraction of a
 * millisecond, more than about 24.8 days). Never throws.
 */
export function nginxMsecTimeMs(value: string): number | undefined {
  const m = MSEC_TIME_RE.exec(value);
  const ms = m ? Number(m[1]) * (MSEC_UNIT_MS[m[2] ?? 's'] ?? Number.NaN) : durationMs(value);
  if (ms === undefined || !Number.isInteger(ms) || ms > MAX_NGINX_MSEC) return undefined;
  return ms;
}

/**
 * The text to print for a time in an nginx millisecond context: an nginx time as written, a Go duration
 * nginx does not read (`1m30s` is read by both; `1.5s` is not) as whole milliseconds (`1500ms`), or
 * `undefined` when {@link nginxMsecTimeMs} refuses it. Never throws.
 */
export function nginxMsecTime(value: string): string | undefined {
  const ms = nginxMsecTimeMs(value);
  if (ms === undefined) return undefined;
  return MSEC_TIME_RE.test(value) ? value : `${ms}ms`;
}

/** Bytes of an nginx size such as `8k` or `32m`, or `undefined`. Never throws. */
function sizeBytes(value: string): number | undefined {
  const m = SIZE_RE.exec(value);
  return m ? Number(m[1]) * (SIZE_UNIT[(m[2] ?? '').toLowerCase()] ?? Number.NaN) : undefined;
}

// Why OpenSSL refuses a cipher list: the one rule of `@switchyard/labels/safe-tls`, re-exported (public API).
export { cipherListProblem };

/**
 * Milliseconds of an nginx time written with a unit (`ms`, `s`, `m`, `h`, `d`), such as `500ms` or `1s`;
 * `undefined` for anything else (no unit, other units, compound values). Never throws.
 */
export function nginxTimeMs(value: string): number | undefined {
  const match = UNIT_TIME_RE.exec(value);
  if (!match) return undefined;
  return Number(match[1]) * (TIME_UNIT_MS[match[2] ?? ''] ?? Number.NaN);
}

/** Largest `AccessLogBuffer`: Linux's PIPE_BUF, the largest write to a pipe that is never interleaved. */
export const ACCESS_LOG_BUFFER_MAX = 4096;

/** Interlock's default `MainLogFormat` (nginx `log_format main`). */
export const DEFAULT_MAIN_LOG_FORMAT =
  `'$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent ' ` +
  `'"$http_referer" "$http_user_agent" "$http_x_forwarded_for"'`;

/** Interlock's default `TraceLogFormat` (nginx `log_format trace`), with request id and upstream timings. */
export const DEFAULT_TRACE_LOG_FORMAT =
  `'$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent ' ` +
  `'"$http_referer" "$http_user_agent" "$http_x_forwarded_for" $request_id $msec $request_time ' ` +
  `'$upstream_addr $upstream_connect_time $upstream_header_time $upstream_response_time'`;

/**
 * Interlock's defaults for `[Extensions.<name>.Config]` of an nginx extension, with the few
 * Switchyard choices documented in the README (e.g. `RLimitNoFile = 0` omits the directive).
 * `WorkerShutdownTimeout` is a Switchyard addition (not an Interlock key): how long the old workers
 * may keep draining connections after a reload (`worker_shutdown_timeout`; `""` omits it).
 * `TaskConnectTimeout` is another: the `proxy_connect_timeout` of task-mode upstreams (the lower of it
 * and `ConnectTimeout`), so a request sent to a task that has just gone fails over to a live task
 * quickly; vip-mode upstreams keep `ConnectTimeout`.
 * `AccessLogBuffer` is another: the access log is written in chunks of at most this size (and at least
 * every second) instead of one write per request (`""` = one write per request, as Interlock).
 */
export const NGINX_CONFIG_DEFAULTS = {
  User: 'nginx',
  PidPath: '/var/run/proxy.pid',
  MaxConnections: 1024,
  ConnectTimeout: 600,
  TaskConnectTimeout: '1s',
  SendTimeout: 600,
  ReadTimeout: 600,
  IPHash: false,
  SSLOpts: '',
  SSLDefaultDHParam: 1024,
  SSLDefaultDHParamPath: '',
  SSLVerify: 'required',
  WorkerProcesses: '1',
  RLimitNoFile: 65535,
  WorkerShutdownTimeout: '5m',
  SSLCiphers: 'HIGH:!aNULL:!MD5',
  SSLProtocols: 'TLSv1.2',
  AccessLogPath: '/dev/stdout',
  AccessLogBuffer: '4k',
  ErrorLogPath: '/dev/stdout',
  MainLogFormat: DEFAULT_MAIN_LOG_FORMAT,
  TraceLogFormat: DEFAULT_TRACE_LOG_FORMAT,
  KeepaliveTimeout: '75s',
  ClientMaxBodySize: '32m',
  ClientBodyBufferSize: '8k',
  ClientHeaderBufferSize: '1k',
  LargeClientHeaderBuffers: '4 8k',
  ClientBodyTimeout: '60s',
  UnderscoresInHeaders: false,
  ServerNamesHashBucketSize: 128,
  UpstreamZoneSize: 64,
  GlobalOptions: [] as string[],
  HTTPOptions: [] as string[],
  TCPOptions: [] as string[],
  HideInfoHeaders: false,
} as const satisfies Record<string, unknown>;

const str = (re: RegExp, what: string) => z.string().regex(re, { message: `must be ${what}` });
const int = (min: number, max: number) => z.number().int().min(min).max(max);
const absPath = (extra: string[], what: string) =>
  z.string().refine((v) => extra.includes(v) || isSafeAbsolutePath(v), { message: `must be ${what}` });
const logFormat = z.string().superRefine((v, ctx) => {
  const parsed = formatRawArguments(v);
  if (!parsed.ok) {
    ctx.addIssue({ code: 'custom', message: `must be an nginx log format (a plain string, or quoted parts as in nginx.conf; ${parsed.reason})` });
    return;
  }
  const unknown = unknownLogVariables(parsed.value);
  if (unknown.length > 0) ctx.addIssue({ code: 'custom', message: `uses unknown nginx variables: ${unknown.map((n) => `$${n}`).join(', ')}` });
});

/**
 * Variables nginx defines in the http context (core, upstream, proxy, ssl, realip, gzip, stub_status),
 * plus `$reqid` (Interlock's request id: the client's `X-Request-ID` or `$request_id`), which the renderer
 * defines when a log format uses it.
 */
const HTTP_VARIABLES = new Set(
  (
    'http_host http_user_agent http_referer http_via http_x_forwarded_for http_cookie content_length content_type host ' +
    'binary_remote_addr remote_addr remote_port proxy_protocol_addr proxy_protocol_port proxy_protocol_server_addr ' +
    'proxy_protocol_server_port server_addr server_port server_protocol scheme https request_uri uri document_uri request ' +
    'document_root realpath_root query_string args is_args request_filename server_name request_method remote_user bytes_sent ' +
    'body_bytes_sent pipe request_completion request_body request_body_file request_length request_time request_id status ' +
    'limit_rate connection connection_requests connection_time nginx_version hostname pid msec time_iso8601 time_local ' +
    'tcpinfo_rtt tcpinfo_rttvar tcpinfo_snd_cwnd tcpinfo_rcv_space upstream_addr upstream_status upstream_connect_time ' +
    'upstream_header_time upstream_response_time upstream_response_length upstream_bytes_received upstream_bytes_sent ' +
    'upstream_cache_status proxy_host proxy_port proxy_add_x_forwarded_for ssl_protocol ssl_cipher ssl_ciphers ssl_curves ' +
    'ssl_session_id ssl_session_reused ssl_early_data ssl_server_name ssl_alpn_protocol ssl_client_cert ssl_client_raw_cert ' +
    'ssl_client_escaped_cert ssl_client_s_dn ssl_client_i_dn ssl_client_s_dn_legacy ssl_client_i_dn_legacy ssl_client_serial ' +
    'ssl_client_fingerprint ssl_client_verify ssl_client_v_start ssl_client_v_end ssl_client_v_remain realip_remote_addr ' +
    'realip_remote_port gzip_ratio connections_active connections_reading connections_writing connections_waiting reqid'
  ).split(' '),
);
const VARIABLE_PREFIXES = ['http_', 'sent_http_', 'sent_trailer_', 'cookie_', 'arg_', 'upstream_http_', 'upstream_cookie_', 'upstream_trailer_'];

/** Names of the variables in a formatted log format that nginx would not know (sorted, unique). */
function unknownLogVariables(text: string): string[] {
  const names = [...text.matchAll(/\$(?:\{([A-Za-z0-9_]+)\}|([A-Za-z0-9_]+))/g)].map((m) => m[1] ?? m[2] ?? '');
  const unknown = names.filter((n) => !HTTP_VARIABLES.has(n) && !VARIABLE_PREFIXES.some((p) => n.startsWith(p) && n.length > p.length) && !/^[0-9]$/.test(n));
  return [...new Set(unknown)].sort();
}

/** A time in an nginx millisecond context, or a Go duration (normalized by {@link nginxMsecTime}). */
const msecTime = (what: string, check: (ms: number, value: string) => boolean = () => true) =>
  z.string().transform((v, ctx) => {
    const out = nginxMsecTime(v);
    const ms = nginxMsecTimeMs(v);
    if (out === undefined || ms === undefined || !check(ms, v)) {
      ctx.addIssue({ code: 'custom', message: `must be ${what}` });
      return z.NEVER;
    }
    return out;
  });

/** `keepalive_timeout <timeout> [<header_timeout>]`: the first in milliseconds, the second in seconds. */
const keepaliveTimeout = z.string().transform((v, ctx) => {
  const [first = '', second, ...rest] = v.trim().split(/\s+/);
  const out = nginxMsecTime(first);
  if (out === undefined || rest.length > 0 || (second !== undefined && !SEC_TIME_RE.test(second))) {
    ctx.addIssue({ code: 'custom', message: "must be an nginx time or Go duration such as '75s' or '1m30s' (at most 24d), optionally followed by a header timeout in seconds such as '60s'" });
    return z.NEVER;
  }
  return second === undefined ? out : `${out} ${second}`;
});

const size = (what: string, max: number, min = 0) =>
  z.string().refine((v) => {
    const b = sizeBytes(v);
    return b !== undefined && b >= min && b <= max;
  }, { message: `must be ${what}` });

/** Directives the renderer prints once in each context: an operator line repeating one breaks nginx. */
const RENDERED_DIRECTIVES: Record<'GlobalOptions' | 'HTTPOptions' | 'TCPOptions', Record<string, string>> = {
  GlobalOptions: {
    user: 'User', worker_processes: 'WorkerProcesses', worker_rlimit_nofile: 'RLimitNoFile', pid: 'PidPath',
    load_module: '', include: '',
  },
  HTTPOptions: {
    keepalive_timeout: 'KeepaliveTimeout', client_max_body_size: 'ClientMaxBodySize', client_body_buffer_size: 'ClientBodyBufferSize',
    client_header_buffer_size: 'ClientHeaderBufferSize', large_client_header_buffers: 'LargeClientHeaderBuffers',
    client_body_timeout: 'ClientBodyTimeout', underscores_in_headers: 'UnderscoresInHeaders',
    server_names_hash_bucket_size: 'ServerNamesHashBucketSize', server_names_hash_max_size: '', default_type: '', server_tokens: '',
    sendfile: '', tcp_nodelay: '', proxy_http_version: '', proxy_connect_timeout: 'ConnectTimeout', proxy_send_timeout: 'SendTimeout',
    proxy_read_timeout: 'ReadTimeout', proxy_next_upstream: '', ssl_protocols: 'SSLProtocols', ssl_ciphers: 'SSLCiphers',
    ssl_prefer_server_ciphers: '', ssl_session_cache: '', ssl_session_timeout: '', ssl_dhparam: 'SSLDefaultDHParamPath',
  },
  TCPOptions: { ssl_preread: '', proxy_protocol: '', proxy_connect_timeout: 'ConnectTimeout', proxy_timeout: 'ReadTimeout' },
};

/** Module files the renderer loads itself (through the proxy image's modules-enabled directory). */
const RENDERED_MODULES = /(^|\/)ngx_stream_module\.so$|modules-enabled/;

const directiveList = (key: keyof typeof RENDERED_DIRECTIVES) =>
  z.array(z.string()).superRefine((lines, ctx) => {
    const seen = new Set<string>();
    lines.forEach((line, i) => {
      const parsed = parseRawDirectives(line);
      if (!parsed.ok || line.trim() === '') {
        ctx.addIssue({ code: 'custom', path: [i], message: `each entry must be one-line nginx directives (no braces, no comments, balanced quotes)${parsed.ok ? '' : `: ${parsed.reason}`}` });
        return;
      }
      for (const directive of parsed.directives) {
        const words = directive.slice(0, -1).split(' ');
        const name = words[0] ?? '';
        const owner = RENDERED_DIRECTIVES[key][name];
        if (name === 'load_module' || name === 'include') {
          const target = (words[1] ?? '').replace(/^['"]|['"]$/g, '');
          if (key === 'GlobalOptions' && RENDERED_MODULES.test(target)) {
            ctx.addIssue({ code: 'custom', path: [i], message: `${name} ${target}: the renderer already loads this module (a second load stops nginx)` });
          } else if (name === 'load_module' && seen.has(target)) {
            ctx.addIssue({ code: 'custom', path: [i], message: `load_module ${target} appears twice` });
          }
          seen.add(target);
          continue;
        }
        if (owner !== undefined) {
          ctx.addIssue({ code: 'custom', path: [i], message: `${name} is printed by the renderer${owner ? ` (set ${owner} instead)` : ''}; a second one stops nginx` });
        }
        if (key === 'HTTPOptions' && name === 'log_format' && (words[1] === 'main' || words[1] === 'trace')) {
          ctx.addIssue({ code: 'custom', path: [i], message: `log_format ${words[1]} is printed by the renderer (set ${words[1] === 'main' ? 'MainLogFormat' : 'TraceLogFormat'} instead)` });
        }
      }
    });
  });

/** `SSLOpts`: `ssl_*` directives for the TLS servers (balanced quotes, no braces or comments). */
const sslOpts = z.string().superRefine((v, ctx) => {
  if (v.trim() === '') return;
  const parsed = parseRawDirectives(v);
  if (!parsed.ok) {
    ctx.addIssue({ code: 'custom', message: `must be nginx ssl_* directives on one line (no braces, no comments, balanced quotes): ${parsed.reason}` });
    return;
  }
  for (const d of parsed.directives) {
    const name = d.split(' ')[0]?.replace(/;$/, '') ?? '';
    if (!name.startsWith('ssl_')) ctx.addIssue({ code: 'custom', message: `${name}: only ssl_* directives belong in SSLOpts` });
    else if (name === 'ssl_protocols' || name === 'ssl_ciphers' || name === 'ssl_prefer_server_ciphers' || name === 'ssl_session_cache' || name === 'ssl_dhparam') {
      ctx.addIssue({ code: 'custom', message: `${name} is printed by the renderer${name === 'ssl_protocols' ? ' (set SSLProtocols)' : name === 'ssl_ciphers' ? ' (set SSLCiphers)' : ''}` });
    }
  }
});

/**
 * zod schema of an nginx extension's `[Extensions.<name>.Config]` table. Keys are PascalCase
 * exactly as in Interlock's TOML; unknown keys are rejected; missing keys get Interlock's
 * defaults ({@link NGINX_CONFIG_DEFAULTS}).
 */
export const nginxConfigSchema = z.strictObject({
  User: str(USER_RE, 'a system user name, optionally followed by a group').default(NGINX_CONFIG_DEFAULTS.User),
  PidPath: absPath([], 'an absolute file path').default(NGINX_CONFIG_DEFAULTS.PidPath),
  // nginx needs a worker connection per listening socket (up to 4) before it serves anything.
  MaxConnections: int(16, 1_048_576).default(NGINX_CONFIG_DEFAULTS.MaxConnections),
  ConnectTimeout: int(1, 86_400).default(NGINX_CONFIG_DEFAULTS.ConnectTimeout),
  TaskConnectTimeout: msecTime(
    "a time with a unit, above zero and at most 1d, such as '1s', '500ms' or '1.5s' (nginx units ms, s, m, h, d, or a Go duration)",
    (ms, v) => ms > 0 && ms <= MAX_TASK_CONNECT_MS && !/^[0-9]+$/.test(v) && !v.endsWith('w'),
  ).default(NGINX_CONFIG_DEFAULTS.TaskConnectTimeout),
  SendTimeout: int(1, 86_400).default(NGINX_CONFIG_DEFAULTS.SendTimeout),
  ReadTimeout: int(1, 86_400).default(NGINX_CONFIG_DEFAULTS.ReadTimeout),
  IPHash: z.boolean().default(NGINX_CONFIG_DEFAULTS.IPHash),
  SSLOpts: sslOpts.default(NGINX_CONFIG_DEFAULTS.SSLOpts),
  SSLDefaultDHParam: int(0, 16_384).default(NGINX_CONFIG_DEFAULTS.SSLDefaultDHParam),
  SSLDefaultDHParamPath: absPath([''], 'an absolute file path or empty').default(NGINX_CONFIG_DEFAULTS.SSLDefaultDHParamPath),
  SSLVerify: z.enum(['required', 'optional', 'optional_no_ca', 'none']).default(NGINX_CONFIG_DEFAULTS.SSLVerify),
  WorkerProcesses: z
    .union([int(1, 1024).transform(String), str(/^(?:auto|[1-9][0-9]{0,3})$/, "'auto' or a positive number")])
    .default(NGINX_CONFIG_DEFAULTS.WorkerProcesses),
  RLimitNoFile: int(0, 1_048_576).default(NGINX_CONFIG_DEFAULTS.RLimitNoFile),
  WorkerShutdownTimeout: z
    .union([z.literal(''), msecTime("a time above zero such as '5m' or '1m30s' (nginx units ms, s, m, h, d, w, or a Go duration; at most 24d)", (ms) => ms > 0)])
    .default(NGINX_CONFIG_DEFAULTS.WorkerShutdownTimeout),
  SSLCiphers: z
    .string()
    .refine((v) => v !== '' && isSafeCipherList(v), { message: 'must be an OpenSSL cipher list (letters, digits and "!:+@._=-", at most 2048)' })
    .superRefine((v, ctx) => {
      const problem = v !== '' && isSafeCipherList(v) ? cipherListProblem(v) : undefined;
      if (problem !== undefined) ctx.addIssue({ code: 'custom', message: `must be an OpenSSL cipher list: ${JSON.stringify(v)} ${problem}` });
    })
    .default(NGINX_CONFIG_DEFAULTS.SSLCiphers),
  SSLProtocols: z
    .string()
    .refine((v) => v.trim() !== '' && v.trim().split(/\s+/).every((p) => (NGINX_SSL_PROTOCOLS as readonly string[]).includes(p)), {
      message: `must be space-separated protocols from ${NGINX_SSL_PROTOCOLS.join(', ')}, such as 'TLSv1.2 TLSv1.3'`,
    })
    .transform((v) => v.trim().split(/\s+/).join(' '))
    .default(NGINX_CONFIG_DEFAULTS.SSLProtocols),
  AccessLogPath: absPath(['off'], "an absolute file path or 'off'").default(NGINX_CONFIG_DEFAULTS.AccessLogPath),
  // At most PIPE_BUF (4096): a larger write to the container's stdout pipe could interleave with
  // another worker's, and Docker's log driver would then read broken lines.
  AccessLogBuffer: z
    .string()
    .refine((v) => {
      if (v === '') return true;
      const b = sizeBytes(v);
      return b !== undefined && b >= 512 && b <= ACCESS_LOG_BUFFER_MAX;
    }, { message: "must be an nginx size from '512' to '4k' (one write to a pipe is atomic up to 4 KiB), or '' to write each line at once" })
    .default(NGINX_CONFIG_DEFAULTS.AccessLogBuffer),
  ErrorLogPath: absPath(['stderr'], "an absolute file path or 'stderr'").default(NGINX_CONFIG_DEFAULTS.ErrorLogPath),
  MainLogFormat: logFormat.default(NGINX_CONFIG_DEFAULTS.MainLogFormat),
  TraceLogFormat: logFormat.default(NGINX_CONFIG_DEFAULTS.TraceLogFormat),
  KeepaliveTimeout: keepaliveTimeout.default(NGINX_CONFIG_DEFAULTS.KeepaliveTimeout),
  ClientMaxBodySize: size("an nginx size such as '32m' (0 = no limit; at most 64g)", 64 * 1024 ** 3).default(NGINX_CONFIG_DEFAULTS.ClientMaxBodySize),
  ClientBodyBufferSize: size("an nginx size such as '8k' (at most 1g)", 1024 ** 3).default(NGINX_CONFIG_DEFAULTS.ClientBodyBufferSize),
  ClientHeaderBufferSize: size("an nginx size such as '1k' (at most 64m)", 64 * 1024 ** 2).default(NGINX_CONFIG_DEFAULTS.ClientHeaderBufferSize),
  LargeClientHeaderBuffers: z
    .string()
    .refine((v) => {
      const m = BUFFERS_RE.exec(v);
      const bytes = m ? sizeBytes(m[2] ?? '') : undefined;
      return m !== null && Number(m[1]) >= 1 && Number(m[1]) <= 1024 && bytes !== undefined && bytes >= 1024 && bytes <= 64 * 1024 ** 2;
    }, { message: "must be a count (1 to 1024) and a size (1k to 64m) such as '4 8k'" })
    .default(NGINX_CONFIG_DEFAULTS.LargeClientHeaderBuffers),
  ClientBodyTimeout: msecTime("an nginx time or Go duration such as '60s' or '1m30s' (at most 24d)").default(NGINX_CONFIG_DEFAULTS.ClientBodyTimeout),
  UnderscoresInHeaders: z.boolean().default(NGINX_CONFIG_DEFAULTS.UnderscoresInHeaders),
  ServerNamesHashBucketSize: int(0, 32_768).default(NGINX_CONFIG_DEFAULTS.ServerNamesHashBucketSize),
  UpstreamZoneSize: z
    .number()
    .int()
    .refine((v) => v === 0 || (v >= 32 && v <= 1_048_576), { message: 'must be 0 (no zone) or 32..1048576 (KB)' })
    .default(NGINX_CONFIG_DEFAULTS.UpstreamZoneSize),
  GlobalOptions: directiveList('GlobalOptions').default([]),
  HTTPOptions: directiveList('HTTPOptions').default([]),
  TCPOptions: directiveList('TCPOptions').default([]),
  HideInfoHeaders: z.boolean().default(NGINX_CONFIG_DEFAULTS.HideInfoHeaders),
});

/** A complete, validated nginx extension configuration (every key present). */
export type NginxConfig = z.output<typeof nginxConfigSchema>;

/** Names of the keys of {@link NginxConfig}. */
export type NginxConfigKey = keyof NginxConfig;

/**
 * One problem found in an nginx extension configuration: the PascalCase key concerned (for an unknown
 * key, the unknown key itself) and what is wrong. The renderer contract's issue.
 */
export type NginxConfigIssue = RendererConfigIssue;

/** Thrown by {@link parseNginxConfig} when the configuration table is invalid. */
export class NginxConfigError extends Error {
  /** Stable machine-readable code. */
  readonly code = 'invalid-nginx-config';
  /** Every problem found, sorted by key. */
  readonly issues: NginxConfigIssue[];

  constructor(issues: NginxConfigIssue[], options?: { cause?: unknown }) {
    super(`invalid nginx extension config: ${issues.map((i) => `${i.key}: ${i.message}`).join('; ')}`, options);
    this.name = 'NginxConfigError';
    this.issues = issues;
  }
}


/** A key of a configuration table that Switchyard accepts but does not use, and why (the renderer contract's). */
export type IgnoredConfigKey = RendererIgnoredKey;

/**
 * Keys Interlock documents (or writes in its default configuration) that an nginx extension accepts and
 * ignores: Interlock's extension Config struct is shared by nginx and HAProxy, so each proxy's table may
 * carry the other's keys.
 */
export const NGINX_IGNORED_KEYS: Readonly<Record<string, string>> = Object.freeze({
  Version: "Interlock's extension version stamp; Switchyard reports its own version in x-server-info",
  HTTPVersion: 'Switchyard always speaks HTTP/1.1 to upstreams (proxy_http_version 1.1)',
  AdminUser: 'an HAProxy stats option; nginx exposes /nginx_status to loopback clients only',
  AdminPass: 'an HAProxy stats option; nginx exposes /nginx_status to loopback clients only',
  ClientTimeout: 'an HAProxy option; nginx uses ReadTimeout, SendTimeout and ClientBodyTimeout',
  ServerTimeout: 'an HAProxy option; nginx uses ReadTimeout and SendTimeout',
  DefaultOptions: 'an HAProxy option; nginx takes raw directives in GlobalOptions, HTTPOptions and TCPOptions',
});

/**
 * Validates Interlock's `[Extensions.<name>.Config]` table for an nginx extension, fills Interlock's
 * defaults and lists the keys it ignores ({@link NGINX_IGNORED_KEYS}, sorted). `undefined`/`null` mean
 * "all defaults".
 *
 * @throws {NginxConfigError} when a value is invalid or a key is unknown; the message names each bad key.
 */
export function inspectNginxConfig(raw: unknown): { config: NginxConfig; ignored: IgnoredConfigKey[] } {
  const { known, ignored } = splitConfigTable(raw ?? {}, Object.keys(nginxConfigSchema.shape), NGINX_IGNORED_KEYS);
  const result = nginxConfigSchema.safeParse(known);
  if (!result.success) throw new NginxConfigError(configKeyIssues(result.error.issues), { cause: result.error });
  return { config: result.data, ignored };
}

/**
 * Validates Interlock's `[Extensions.<name>.Config]` table for an nginx extension and fills
 * Interlock's defaults (see {@link inspectNginxConfig}, which also lists the ignored keys).
 * `undefined`/`null` mean "all defaults".
 *
 * @throws {NginxConfigError} when a value is invalid or a key is unknown; the message names each bad key.
 */
export function parseNginxConfig(raw: unknown): NginxConfig {
  return inspectNginxConfig(raw).config;
}
