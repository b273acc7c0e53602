import { z } from 'zod';
import { formatRawArguments, isSafeAbsolutePath, parseRawDirectives } from './escape.js';

/**
 * nginx times. Most directives take milliseconds (`ngx_parse_time(…, 0)`), where nginx refuses the
 * `M` (month) and `y` (year) units; a few take seconds (`ngx_parse_time(…, 1)`), where it refuses `ms`.
 */
const MSEC_TIME = '[0-9]{1,9}(?:ms|s|m|h|d|w)?';
const SEC_TIME = '[0-9]{1,9}(?:s|m|h|d|w|M|y)?';
const TIME_RE = new RegExp(`^${MSEC_TIME}$`);
/** A zero time: for `worker_shutdown_timeout` it would cut every connection at each reload, so it is refused. */
const ZERO_TIME_RE = /^0+[a-z]*$/;
/** `keepalive_timeout <timeout> [<header_timeout>]`: the first in milliseconds, the second in seconds. */
const KEEPALIVE_RE = new RegExp(`^${MSEC_TIME}(?: ${SEC_TIME})?$`);
/** An nginx time with an explicit unit (milliseconds up to days): `500ms`, `1s`, `2m`. */
const UNIT_TIME_RE = /^([0-9]{1,9})(ms|s|m|h|d)$/;
const TIME_UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
/** Largest `TaskConnectTimeout`: one day, the largest `ConnectTimeout` (in milliseconds). */
const MAX_TASK_CONNECT_MS = 86_400_000;
const SIZE_RE = /^[0-9]{1,9}[kKmMgG]?$/;
const BUFFERS_RE = /^[0-9]{1,6} [0-9]{1,9}[kKmM]?$/;
const USER_RE = /^[a-z_][a-z0-9_-]{0,31}(?: [a-z_][a-z0-9_-]{0,31})?$/;
const CIPHERS_RE = /^[A-Za-z0-9!:+@._=-]{1,2048}$/;
const PROTOCOLS_RE = /^(?:SSLv2|SSLv3|TLSv1|TLSv1\.[123])(?: (?:SSLv2|SSLv3|TLSv1|TLSv1\.[123]))*$/;

/**
 * Milliseconds of an nginx time written with a unit (`ms`, `s`, `m`, `h`, `d`), such as `500ms` or `1s`;
 * `undefined` for anything else (no unit, other units, compound values). Never throws.
 */
export function nginxTimeMs(value: string): number | undefined {
  const match = UNIT_TIME_RE.exec(value);
  if (!match) return undefined;
  return Number(match[1]) * (TIME_UNIT_MS[match[2] ?? ''] ?? Number.NaN);
}

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
const rawDirectives = z.string().refine((v) => v.trim() === '' || parseRawDirectives(v).ok, {
  message: 'must be nginx directives on one line (no braces, no comments, balanced quotes)',
});
const rawDirectiveList = z.array(
  z.string().refine((v) => parseRawDirectives(v).ok && v.trim() !== '', {
    message: 'each entry must be one-line nginx directives (no braces, no comments, balanced quotes)',
  }),
);
const logFormat = z.string().refine((v) => formatRawArguments(v).ok, {
  message: "must be a one-line log format (a plain string, or quoted nginx strings with ';' only inside quotes)",
});

/**
 * zod schema of an nginx extension's `[Extensions.<name>.Config]` table. Keys are PascalCase
 * exactly as in Interlock's TOML; unknown keys are rejected; missing keys get Interlock's
 * defaults ({@link NGINX_CONFIG_DEFAULTS}).
 */
export const nginxConfigSchema = z.strictObject({
  User: str(USER_RE, 'a system user name, optionally followed by a group').default(NGINX_CONFIG_DEFAULTS.User),
  PidPath: absPath([], 'an absolute file path').default(NGINX_CONFIG_DEFAULTS.PidPath),
  MaxConnections: int(1, 1_048_576).default(NGINX_CONFIG_DEFAULTS.MaxConnections),
  ConnectTimeout: int(1, 86_400).default(NGINX_CONFIG_DEFAULTS.ConnectTimeout),
  TaskConnectTimeout: z
    .string()
    .refine((v) => (nginxTimeMs(v) ?? 0) > 0 && (nginxTimeMs(v) ?? 0) <= MAX_TASK_CONNECT_MS, {
      message: "must be an nginx time with a unit, above zero and at most 1d, such as '1s' or '500ms' (units ms, s, m, h, d)",
    })
    .default(NGINX_CONFIG_DEFAULTS.TaskConnectTimeout),
  SendTimeout: int(1, 86_400).default(NGINX_CONFIG_DEFAULTS.SendTimeout),
  ReadTimeout: int(1, 86_400).default(NGINX_CONFIG_DEFAULTS.ReadTimeout),
  IPHash: z.boolean().default(NGINX_CONFIG_DEFAULTS.IPHash),
  SSLOpts: rawDirectives.default(NGINX_CONFIG_DEFAULTS.SSLOpts),
  SSLDefaultDHParam: int(0, 16_384).default(NGINX_CONFIG_DEFAULTS.SSLDefaultDHParam),
  SSLDefaultDHParamPath: absPath([''], 'an absolute file path or empty').default(NGINX_CONFIG_DEFAULTS.SSLDefaultDHParamPath),
  SSLVerify: z.enum(['required', 'optional', 'optional_no_ca', 'none']).default(NGINX_CONFIG_DEFAULTS.SSLVerify),
  WorkerProcesses: z
    .union([int(1, 1024).transform(String), str(/^(?:auto|[1-9][0-9]{0,3})$/, "'auto' or a positive number")])
    .default(NGINX_CONFIG_DEFAULTS.WorkerProcesses),
  RLimitNoFile: int(0, 1_048_576).default(NGINX_CONFIG_DEFAULTS.RLimitNoFile),
  WorkerShutdownTimeout: z
    .string()
    .refine((v) => v === '' || (TIME_RE.test(v) && !ZERO_TIME_RE.test(v)), {
      message: "must be an nginx time above zero such as '5m' (units ms, s, m, h, d, w), or '' to omit the directive",
    })
    .default(NGINX_CONFIG_DEFAULTS.WorkerShutdownTimeout),
  SSLCiphers: str(CIPHERS_RE, 'an OpenSSL cipher list').default(NGINX_CONFIG_DEFAULTS.SSLCiphers),
  SSLProtocols: str(PROTOCOLS_RE, "space-separated protocols such as 'TLSv1.2 TLSv1.3'").default(
    NGINX_CONFIG_DEFAULTS.SSLProtocols,
  ),
  AccessLogPath: absPath(['off'], "an absolute file path or 'off'").default(NGINX_CONFIG_DEFAULTS.AccessLogPath),
  ErrorLogPath: absPath(['stderr'], "an absolute file path or 'stderr'").default(NGINX_CONFIG_DEFAULTS.ErrorLogPath),
  MainLogFormat: logFormat.default(NGINX_CONFIG_DEFAULTS.MainLogFormat),
  TraceLogFormat: logFormat.default(NGINX_CONFIG_DEFAULTS.TraceLogFormat),
  KeepaliveTimeout: str(KEEPALIVE_RE, "an nginx time such as '75s' (optionally a second one)").default(
    NGINX_CONFIG_DEFAULTS.KeepaliveTimeout,
  ),
  ClientMaxBodySize: str(SIZE_RE, "an nginx size such as '32m'").default(NGINX_CONFIG_DEFAULTS.ClientMaxBodySize),
  ClientBodyBufferSize: str(SIZE_RE, "an nginx size such as '8k'").default(NGINX_CONFIG_DEFAULTS.ClientBodyBufferSize),
  ClientHeaderBufferSize: str(SIZE_RE, "an nginx size such as '1k'").default(NGINX_CONFIG_DEFAULTS.ClientHeaderBufferSize),
  LargeClientHeaderBuffers: str(BUFFERS_RE, "a count and a size such as '4 8k'").default(
    NGINX_CONFIG_DEFAULTS.LargeClientHeaderBuffers,
  ),
  ClientBodyTimeout: str(TIME_RE, "an nginx time such as '60s'").default(NGINX_CONFIG_DEFAULTS.ClientBodyTimeout),
  UnderscoresInHeaders: z.boolean().default(NGINX_CONFIG_DEFAULTS.UnderscoresInHeaders),
  ServerNamesHashBucketSize: int(0, 65_536).default(NGINX_CONFIG_DEFAULTS.ServerNamesHashBucketSize),
  UpstreamZoneSize: z
    .number()
    .int()
    .refine((v) => v === 0 || (v >= 32 && v <= 1_048_576), { message: 'must be 0 (no zone) or 32..1048576 (KB)' })
    .default(NGINX_CONFIG_DEFAULTS.UpstreamZoneSize),
  GlobalOptions: rawDirectiveList.default([]),
  HTTPOptions: rawDirectiveList.default([]),
  TCPOptions: rawDirectiveList.default([]),
  HideInfoHeaders: z.boolean().default(NGINX_CONFIG_DEFAULTS.HideInfoHeaders),
});

/** A complete, validated nginx extension configuration (every key present). */
export type NginxConfig = z.output<typeof nginxConfigSchema>;

/** Names of the keys of {@link NginxConfig}. */
export type NginxConfigKey = keyof NginxConfig;

/** One problem found in an nginx extension configuration. */
export interface NginxConfigIssue {
  /** The PascalCase key concerned (for an unknown key, the unknown key itself). */
  key: string;
  message: string;
}

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

/** Converts zod issues into one {@link NginxConfigIssue} per key, sorted by key. */
export function collectConfigIssues(error: z.ZodError): NginxConfigIssue[] {
  const issues: NginxConfigIssue[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) issues.push({ key, message: 'unknown key' });
      continue;
    }
    const key = String(issue.path[0] ?? '');
    const suffix = issue.path.length > 1 ? ` (at ${issue.path.slice(1).join('.')})` : '';
    issues.push({ key, message: `${issue.message}${suffix}` });
  }
  return issues.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/**
 * Validates Interlock's `[Extensions.<name>.Config]` table for an nginx extension and fills
 * Interlock's defaults. `undefined`/`null` mean "all defaults".
 *
 * @throws {NginxConfigError} when a value is invalid or a key is unknown; the message names each bad key.
 */
export function parseNginxConfig(raw: unknown): NginxConfig {
  const result = nginxConfigSchema.safeParse(raw ?? {});
  if (!result.success) throw new NginxConfigError(collectConfigIssues(result.error), { cause: result.error });
  return result.data;
}
