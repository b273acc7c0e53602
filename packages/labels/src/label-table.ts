import { LABEL_PREFIX, SWITCHYARD_LABEL_PREFIX } from './types.js';

/** How a label's value is read. */
export type LabelKind =
  | 'host-list'
  | 'port'
  | 'token'
  | 'path'
  | 'path-list'
  | 'boolean'
  | 'enum'
  | 'redirects'
  | 'integer';

/** One supported label, for documentation and for recognising unknown keys. */
export interface LabelInfo {
  /** Full label key, e.g. `com.docker.lb.port`. */
  readonly key: string;
  /** How the value is read. */
  readonly kind: LabelKind;
  /** Accepted values for `enum` labels. */
  readonly values?: readonly string[];
  /** Value used when the label is absent, as text; `undefined` when absent means "not set". */
  readonly default: string | undefined;
  /** One-line description. */
  readonly description: string;
}

const lb = (name: string): string => `${LABEL_PREFIX}${name}`;

/**
 * Every label key Switchyard reads, in alphabetical order: Interlock 3.x's `com.docker.lb.*` set plus
 * Switchyard's own `com.switchyard.lb.*` extensions. Any other key under either prefix is reported as an
 * `unknown-label` warning.
 */
export const LABELS: readonly LabelInfo[] = Object.freeze(
  [
    { key: lb('backend_mode'), kind: 'enum', values: ['task', 'vip'], default: 'task', description: 'How the proxy addresses the service: task IPs (`task`) or the service virtual IP (`vip`).' },
    { key: lb('context_root'), kind: 'path', default: undefined, description: 'Path prefix the service is served under, e.g. `/app`; a trailing `/` is removed.' },
    { key: lb('context_root_rewrite'), kind: 'boolean', default: 'false', description: 'Strip the context root before passing the request to the service.' },
    { key: lb('default_backend'), kind: 'boolean', default: 'false', description: 'The service answers requests for hosts no other service claims; `hosts` may then be omitted.' },
    { key: lb('hosts'), kind: 'host-list', default: undefined, description: 'Comma-separated host names routed to the service (required unless `default_backend=true`).' },
    { key: lb('ip_hash'), kind: 'boolean', default: 'false', description: 'Pin clients to tasks by client address.' },
    { key: lb('network'), kind: 'token', default: undefined, description: 'Network (name or ID) the proxy uses to reach the service when it has several.' },
    { key: lb('port'), kind: 'port', default: undefined, description: 'Container port the proxy sends traffic to (required, 1-65535).' },
    { key: lb('redirects'), kind: 'redirects', default: undefined, description: '`;`-separated `source,target` URL pairs; requests for the source are redirected to the target.' },
    { key: lb('service_cluster'), kind: 'token', default: '', description: 'Service cluster (extension + proxy pair) that routes the service; empty = the default cluster.' },
    { key: lb('ssl_backend'), kind: 'boolean', default: 'false', description: 'The proxy speaks TLS to the tasks.' },
    { key: lb('ssl_backend_tls_verify'), kind: 'enum', values: ['none', 'required'], default: 'none', description: 'Verification of the tasks\' certificates when `ssl_backend=true`.' },
    { key: lb('ssl_cert'), kind: 'token', default: undefined, description: 'Docker secret holding the TLS certificate (needs `ssl_key`).' },
    { key: lb('ssl_key'), kind: 'token', default: undefined, description: 'Docker secret holding the TLS private key (needs `ssl_cert`).' },
    { key: lb('ssl_only'), kind: 'boolean', default: 'false', description: 'Redirect plain HTTP requests to HTTPS.' },
    { key: lb('ssl_passthrough'), kind: 'boolean', default: 'false', description: 'Route TLS by SNI straight to the tasks, which terminate it themselves.' },
    { key: lb('sticky_session_cookie'), kind: 'token', default: undefined, description: 'Cookie whose value pins a client to one task.' },
    { key: lb('websocket_endpoints'), kind: 'path-list', default: undefined, description: 'Comma-separated paths upgraded to WebSocket.' },
    { key: `${SWITCHYARD_LABEL_PREFIX}weight`, kind: 'integer', default: undefined, description: 'Switchyard extension: relative weight (1-1000) of this service among services sharing a host.' },
  ].map((entry) => Object.freeze(entry as LabelInfo)),
);

const BY_KEY: ReadonlyMap<string, LabelInfo> = new Map(LABELS.map((info) => [info.key, info]));

/** Looks up a supported label by its full key. */
export function labelInfo(key: string): LabelInfo | undefined {
  return BY_KEY.get(key);
}

const cell = (text: string): string => text.replace(/\|/g, '\\|');

/**
 * Renders {@link LABELS} as a Markdown table (label, values, default, description), one row per label,
 * ending with a newline. The package README embeds this output verbatim.
 */
export function labelsMarkdownTable(): string {
  const valueText: Record<LabelKind, string> = {
    'host-list': 'host names',
    port: 'integer 1-65535',
    token: 'name',
    path: 'path',
    'path-list': 'paths',
    boolean: 'boolean',
    enum: '',
    redirects: 'URL pairs',
    integer: 'integer 1-1000',
  };
  const rows = LABELS.map((info) => {
    const values = info.kind === 'enum' ? (info.values ?? []).map((v) => `\`${v}\``).join(' \\| ') : valueText[info.kind];
    const def = info.default === undefined ? '-' : info.default === '' ? '`""`' : `\`${info.default}\``;
    return `| \`${info.key}\` | ${values} | ${def} | ${cell(info.description)} |`;
  });
  return ['| Label | Value | Default | Description |', '|---|---|---|---|', ...rows, ''].join('\n');
}
