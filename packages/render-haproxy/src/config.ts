/**
 * Interlock's `[Extensions.<name>.Config]` table for the HAProxy extension: schema, defaults and parser.
 */
import { durationMs } from '@switchyard/duration';
import { isSafeAbsolutePath } from '@switchyard/labels/safe';
import { cipherListProblem, isSafeCipherList } from '@switchyard/labels/safe-tls';
import { configKeyIssues, splitConfigTable, type RendererConfigIssue, type RendererIgnoredKey } from '@switchyard/proto';
import { z } from 'zod';
import { optionLineProblem, sslBindOptionsProblem } from './safe.js';

/** Protocol names `SSLProtocols` takes for HAProxy (SSLv3 is gone from the OpenSSL builds HAProxy links). */
export const HAPROXY_SSL_PROTOCOLS = ['TLSv1', 'TLSv1.0', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'] as const;

const optionLine = z.string().superRefine((s, ctx) => {
  const problem = optionLineProblem(s);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: `option line ${problem}` });
});

const seconds = z
  .number()
  .int('must be a whole number of seconds')
  .min(1, 'must be at least 1 (seconds)')
  .max(2_147_483, 'must be at most 2147483 (seconds)');

/** Longest `stats socket` path HAProxy accepts (it refuses longer ones: "too long (max 97)"). */
export const MAX_ADMIN_SOCKET_PATH = 97;

const HAPROXY_TIME = /^([0-9]{1,10})(us|ms|s|m|h|d)?$/;
const TIME_UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
/** Largest timer HAProxy accepts (2^31 - 1 ms, about 24.8 days). */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * Milliseconds of an HAProxy time such as `5m` (units `us`, `ms`, `s`, `m`, `h`, `d`; no unit = ms), or
 * `undefined` when HAProxy would refuse it (other units, compound values, more than ~24.8 days).
 */
export function haproxyTimeMs(s: string): number | undefined {
  const m = HAPROXY_TIME.exec(s);
  if (!m) return undefined;
  const ms = Number(m[1]) * (TIME_UNIT_MS[m[2] ?? 'ms'] ?? 1);
  return ms <= MAX_TIMER_MS ? ms : undefined;
}

/**
 * The text to print for a time: an HAProxy time as written (no unit = ms), or a Go duration HAProxy does not
 * read (`1m30s`, `1.5s`) as whole milliseconds (`90000ms`); `undefined` when neither (or a fraction of a
 * millisecond, or more than ~24.8 days). Never throws.
 */
export function haproxyTime(s: string): string | undefined {
  if (haproxyTimeMs(s) !== undefined) return s;
  const ms = durationMs(s);
  if (ms === undefined || !Number.isInteger(ms) || ms > MAX_TIMER_MS) return undefined;
  return `${ms}ms`;
}

/** A time with a unit (HAProxy's or a Go duration), normalized by {@link haproxyTime}. */
const unitTime = (what: string, check: (ms: number, value: string) => boolean, emptyOmits = false) =>
  z.string().transform((v, ctx) => {
    if (emptyOmits && v === '') return v;
    const out = haproxyTime(v);
    const ms = out === undefined ? undefined : haproxyTimeMs(out);
    if (out === undefined || ms === undefined || !check(ms, v)) {
      ctx.addIssue({ code: 'custom', message: `must be ${what}` });
      return z.NEVER;
    }
    return out;
  });

/** Largest `TaskConnectTimeout` in milliseconds: the largest `ConnectTimeout`. */
const MAX_TASK_CONNECT_MS = 2_147_483_000;

/**
 * zod schema of the HAProxy `Config` table. Every key is optional (missing keys take
 * {@link HAPROXY_CONFIG_DEFAULTS}); unknown keys are rejected so typos do not pass silently.
 */
export const haproxyConfigSchema = z.strictObject({
  PidPath: z
    .string()
    .refine(isSafeAbsolutePath, 'must be an absolute path of letters, digits and "._-/" without ".." segments')
    .optional(),
  AdminSocketPath: z
    .string()
    .refine(
      (s) => s === '' || (isSafeAbsolutePath(s) && s.length <= MAX_ADMIN_SOCKET_PATH),
      `must be an absolute path of letters, digits and "._-/" without ".." segments, at most ${MAX_ADMIN_SOCKET_PATH} characters (or "" to omit the socket)`,
    )
    .optional(),
  HardStopAfter: unitTime(
    'an HAProxy time above zero such as "5m" or "1m30s" (units us, ms, s, m, h, d, or a Go duration; at most 24d), or "" to omit the directive',
    (ms) => ms > 0,
    true,
  ).optional(),
  // HAProxy needs a few connections for its own listeners before it serves anyone.
  MaxConnections: z.number().int('must be a whole number').min(16).max(10_000_000).optional(),
  ConnectTimeout: seconds.optional(),
  TaskConnectTimeout: unitTime(
    'a time with a unit, at least 1ms, such as "1s", "500ms" or "1.5s" (units us, ms, s, m, h, d, or a Go duration; at most 24d)',
    (ms, v) => /[a-z]$/.test(v) && ms >= 1 && ms <= MAX_TASK_CONNECT_MS,
  ).optional(),
  ClientTimeout: seconds.optional(),
  ServerTimeout: seconds.optional(),
  AdminUser: z
    .string()
    .regex(/^([A-Za-z0-9_][A-Za-z0-9_.-]{0,63})?$/, 'must be letters, digits and "_.-" (at most 64)')
    .optional(),
  AdminPass: z
    .string()
    .regex(/^[A-Za-z0-9!%&()*+,./:;<=>?@^_`|~[\]-]{0,128}$/, 'must be at most 128 printable characters without spaces, quotes, "#", "$", "\\" or braces')
    .optional(),
  SSLOpts: z
    .string()
    .superRefine((v, ctx) => {
      const problem = optionLineProblem(v) ?? sslBindOptionsProblem(v);
      if (problem !== undefined) ctx.addIssue({ code: 'custom', message: `must be HAProxy bind SSL options (such as "no-tls-tickets alpn h2,http/1.1"): ${problem}` });
    })
    .optional(),
  // Below 2048 bits OpenSSL 3 refuses the parameters: Interlock's 1024 is accepted and printed as 2048.
  SSLDefaultDHParam: z.number().int().min(1024).max(16384).optional(),
  SSLVerify: z.enum(['none', 'required']).optional(),
  SSLCiphers: z
    .string()
    .refine(isSafeCipherList, 'must be an OpenSSL cipher list (letters, digits and "!:+@._=-", at most 2048)')
    .superRefine((v, ctx) => {
      const problem = v === '' || !isSafeCipherList(v) ? undefined : cipherListProblem(v);
      if (problem !== undefined) ctx.addIssue({ code: 'custom', message: `must be an OpenSSL cipher list: ${JSON.stringify(v)} ${problem}` });
    })
    .optional(),
  SSLProtocols: z
    .string()
    .refine(
      (s) => s.trim() === '' || s.trim().split(/\s+/).every((p) => (HAPROXY_SSL_PROTOCOLS as readonly string[]).includes(p)),
      `must be a space-separated list of ${HAPROXY_SSL_PROTOCOLS.join(', ')} (HAProxy's OpenSSL has no SSLv3)`,
    )
    .optional(),
  GlobalOptions: z.array(optionLine).optional(),
  DefaultOptions: z.array(optionLine).optional(),
  HideInfoHeaders: z.boolean().optional(),
});

/** Fully resolved HAProxy extension configuration (every key present). */
export interface HaproxyConfig {
  /** `pidfile` in the global section. */
  PidPath: string;
  /**
   * Path of the master-worker admin socket (`stats socket … level admin expose-fd listeners`): on a reload
   * the new worker takes the listening sockets over from the old one, so no connection is refused.
   * A Switchyard addition; "" omits the socket (reloads then briefly refuse connections).
   */
  AdminSocketPath: string;
  /**
   * `hard-stop-after`: how long the old workers may keep draining connections after a reload (an HAProxy
   * time such as `5m`). A Switchyard addition; "" omits it (old workers wait for their last connection).
   */
  HardStopAfter: string;
  /** Global `maxconn`. */
  MaxConnections: number;
  /** `timeout connect`, in seconds. */
  ConnectTimeout: number;
  /**
   * `timeout connect` of the backends of task-mode upstreams (an HAProxy time with a unit, such as `1s`),
   * used when lower than ConnectTimeout. A Switchyard addition: a live task answers a connection at
   * once, so a short timeout makes a request sent to a task that has just gone fail over quickly.
   */
  TaskConnectTimeout: string;
  /** `timeout client`, in seconds. */
  ClientTimeout: number;
  /** `timeout server`, in seconds. */
  ServerTimeout: number;
  /** User name protecting `/haproxy_status` with basic auth ("" = stats only from loopback, no auth). */
  AdminUser: string;
  /** Password for {@link HaproxyConfig.AdminUser}. */
  AdminPass: string;
  /** Extra options appended to the TLS `bind` line (raw HAProxy bind options). */
  SSLOpts: string;
  /** `tune.ssl.default-dh-param`. */
  SSLDefaultDHParam: number;
  /** `ssl-server-verify` (`none` or `required`): default verification of TLS backends. */
  SSLVerify: 'none' | 'required';
  /** `ssl-default-bind-ciphers` ("" = HAProxy's default). */
  SSLCiphers: string;
  /** Space-separated protocols, e.g. `TLSv1.2 TLSv1.3`; becomes `ssl-min-ver`/`ssl-max-ver`. */
  SSLProtocols: string;
  /** Raw lines appended to the `global` section. */
  GlobalOptions: string[];
  /** Raw lines appended to the `defaults` section. */
  DefaultOptions: string[];
  /** Omit the x-request-id, x-proxy-id, x-server-info, x-upstream-* response headers. */
  HideInfoHeaders: boolean;
}

/**
 * Defaults, following Interlock 3 where it defines one. Deviations: `SSLDefaultDHParam` is 2048 (OpenSSL 3
 * refuses 1024-bit DH parameters) and `SSLProtocols` is `TLSv1.2 TLSv1.3`. `AdminSocketPath` and
 * `HardStopAfter` are Switchyard additions for graceful in-place reloads (the proxy image creates
 * `/run/haproxy`); `TaskConnectTimeout` is one for quick failover away from tasks that have gone.
 */
export const HAPROXY_CONFIG_DEFAULTS: Readonly<HaproxyConfig> = Object.freeze({
  PidPath: '/var/run/proxy.pid',
  AdminSocketPath: '/run/haproxy/admin.sock',
  HardStopAfter: '5m',
  MaxConnections: 1024,
  ConnectTimeout: 600,
  TaskConnectTimeout: '1s',
  ClientTimeout: 600,
  ServerTimeout: 600,
  AdminUser: '',
  AdminPass: '',
  SSLOpts: '',
  SSLDefaultDHParam: 2048,
  SSLVerify: 'required',
  SSLCiphers: 'HIGH:!aNULL:!MD5',
  SSLProtocols: 'TLSv1.2 TLSv1.3',
  GlobalOptions: Object.freeze([]) as unknown as string[],
  DefaultOptions: Object.freeze([]) as unknown as string[],
  HideInfoHeaders: false,
});

/**
 * One problem found in a HAProxy `Config` table: the key concerned (e.g. `MaxConnections`) and what
 * is wrong (a list entry's ends with `(at 2)`). The renderer contract's issue.
 */
export type HaproxyConfigIssue = RendererConfigIssue;

/** Thrown by {@link parseHaproxyConfig} when the table is invalid. */
export class HaproxyConfigError extends Error {
  /** Stable machine-readable code. */
  readonly code = 'invalid-haproxy-config';
  /** Every problem found, one per bad key. */
  readonly issues: HaproxyConfigIssue[];

  constructor(issues: HaproxyConfigIssue[], options?: { cause?: unknown }) {
    super(
      `invalid HAProxy extension Config: ${issues.map((i) => `${i.key}: ${i.message}`).join('; ')}`,
      options,
    );
    this.name = 'HaproxyConfigError';
    this.issues = issues;
  }
}


function crossCheck(c: HaproxyConfig): HaproxyConfigIssue[] {
  if (c.AdminUser !== '' && c.AdminPass === '') {
    return [{ key: 'AdminPass', message: 'must be set when AdminUser is set' }];
  }
  return [];
}

/** A key of a configuration table that Switchyard accepts but does not use, and why (the renderer contract's). */
export type IgnoredConfigKey = RendererIgnoredKey;

const NGINX_ONLY = 'an nginx option; HAProxy does not use it';

/**
 * Keys Interlock documents (or writes in its default configuration) that an HAProxy extension accepts and
 * ignores: Interlock's extension Config struct is shared by nginx and HAProxy, so each proxy's table may
 * carry the other's keys.
 */
export const HAPROXY_IGNORED_KEYS: Readonly<Record<string, string>> = Object.freeze({
  Version: "Interlock's extension version stamp; Switchyard reports its own version in x-server-info",
  HTTPVersion: 'Switchyard always speaks HTTP/1.1 to upstreams',
  ...Object.fromEntries(
    [
      'User', 'WorkerProcesses', 'RLimitNoFile', 'SendTimeout', 'ReadTimeout', 'IPHash', 'SSLDefaultDHParamPath', 'AccessLogPath',
      'ErrorLogPath', 'MainLogFormat', 'TraceLogFormat', 'KeepaliveTimeout', 'ClientMaxBodySize', 'ClientBodyBufferSize',
      'ClientHeaderBufferSize', 'LargeClientHeaderBuffers', 'ClientBodyTimeout', 'UnderscoresInHeaders', 'ServerNamesHashBucketSize',
      'UpstreamZoneSize', 'HTTPOptions', 'TCPOptions',
    ].map((key) => [key, NGINX_ONLY]),
  ),
});

/**
 * Validates Interlock's HAProxy `Config` table (PascalCase keys as in the TOML), fills the defaults and lists
 * the keys it ignores ({@link HAPROXY_IGNORED_KEYS}, sorted). `undefined`/`null` give the defaults.
 * @throws HaproxyConfigError naming each bad or unknown key.
 */
export function inspectHaproxyConfig(raw: unknown): { config: HaproxyConfig; ignored: IgnoredConfigKey[] } {
  const { known, ignored } = splitIgnored(raw ?? {});
  const result = haproxyConfigSchema.safeParse(known);
  if (!result.success) throw new HaproxyConfigError(configKeyIssues(result.error.issues), { cause: result.error });
  const merged = mergeConfig(result.data);
  const issues = crossCheck(merged);
  if (issues.length > 0) throw new HaproxyConfigError(issues);
  return { config: merged, ignored };
}

/**
 * Validates Interlock's HAProxy `Config` table (PascalCase keys as in the TOML) and fills the defaults
 * (see {@link inspectHaproxyConfig}, which also lists the ignored keys). `undefined`/`null` give the defaults.
 * @throws HaproxyConfigError naming each bad or unknown key.
 * @example parseHaproxyConfig({ MaxConnections: 4096 }).ClientTimeout // 600
 */
export function parseHaproxyConfig(raw: unknown): HaproxyConfig {
  return inspectHaproxyConfig(raw).config;
}

/** The table's keys spelled as Interlock reads them, with {@link HAPROXY_IGNORED_KEYS} set aside. */
function splitIgnored(raw: unknown): { known: unknown; ignored: IgnoredConfigKey[] } {
  return splitConfigTable(raw, Object.keys(haproxyConfigSchema.shape), HAPROXY_IGNORED_KEYS);
}

function mergeConfig(partial: z.infer<typeof haproxyConfigSchema>): HaproxyConfig {
  const out: HaproxyConfig = {
    ...HAPROXY_CONFIG_DEFAULTS,
    GlobalOptions: [...HAPROXY_CONFIG_DEFAULTS.GlobalOptions],
    DefaultOptions: [...HAPROXY_CONFIG_DEFAULTS.DefaultOptions],
  };
  for (const [key, value] of Object.entries(partial)) {
    if (value !== undefined) (out as unknown as Record<string, unknown>)[key] = Array.isArray(value) ? [...value] : value;
  }
  return out;
}

/**
 * Lenient variant used by the renderer for `options.config`: keys that fail validation are dropped (their
 * defaults apply) and reported as issues instead of throwing.
 */
export function resolveHaproxyConfig(raw: unknown): { config: HaproxyConfig; issues: HaproxyConfigIssue[] } {
  const input = { ...((splitIgnored(raw).known ?? {}) as Record<string, unknown>) };
  const issues: HaproxyConfigIssue[] = [];
  const first = haproxyConfigSchema.safeParse(input);
  let data: z.infer<typeof haproxyConfigSchema>;
  if (first.success) {
    data = first.data;
  } else {
    const found = configKeyIssues(first.error.issues);
    issues.push(...found);
    for (const issue of found) delete input[issue.key];
    const second = haproxyConfigSchema.safeParse(input);
    data = second.success ? second.data : {};
  }
  const merged = mergeConfig(data);
  const cross = crossCheck(merged);
  if (cross.length > 0) {
    issues.push(...cross);
    merged.AdminUser = '';
    merged.AdminPass = '';
  }
  return { config: merged, issues };
}

/** Maps Interlock's `SSLProtocols` list to HAProxy `ssl-min-ver`/`ssl-max-ver` (undefined = no limit). */
export function sslVersionRange(protocols: string): { min?: string; max?: string } {
  const order = ['SSLv3', 'TLSv1.0', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];
  const idx = protocols
    .trim()
    .split(/\s+/)
    .filter((p) => p !== '')
    .map((p) => order.indexOf(p === 'TLSv1' ? 'TLSv1.0' : p))
    .filter((i) => i >= 0);
  if (idx.length === 0) return {};
  return { min: order[Math.min(...idx)], max: order[Math.max(...idx)] };
}
