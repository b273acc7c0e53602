import { LABEL_PREFIX, SWITCHYARD_LABEL_PREFIX } from './types.js';
import type { ServiceRouteSpec } from './types.js';

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

/** What an empty (or blank) value of a label means. */
export type EmptyMeaning =
  /** The label is ignored, with an `empty-value` warning. */
  | 'unset'
  /** An `empty-value` error: the service is skipped. */
  | 'error'
  /** The default applies, silently (`service_cluster`: the default cluster; `hosts`: checked as missing). */
  | 'default';

/** Fields of the parsed spec that a label sets. */
export type LabelField = keyof ServiceRouteSpec;

/** One supported label: the single declaration its key, kind, default, meaning and codes come from. */
export interface LabelInfo {
  /** Full label key, e.g. `com.docker.lb.port`. */
  readonly key: string;
  /** The {@link ServiceRouteSpec} field the label sets. */
  readonly field: LabelField;
  /** How the value is read. */
  readonly kind: LabelKind;
  /** Accepted values for `enum` labels. */
  readonly values?: readonly string[];
  /** Inclusive range of `port` and `integer` labels. */
  readonly range?: readonly [number, number];
  /** Value used when the label is absent, as text; `undefined` when absent means "not set". */
  readonly default: string | undefined;
  /** What an empty value means. */
  readonly empty: EmptyMeaning;
  /** What the value names, in the parser's messages ("network name or ID"). */
  readonly what: string;
  /** The parser's diagnostic codes for this label's own value (cross-label checks add others). */
  readonly codes: readonly string[];
  /** One-line description. */
  readonly description: string;
}

const lb = (name: string): string => `${LABEL_PREFIX}${name}`;
const flag = (name: string, field: LabelField, description: string): LabelInfo => ({
  key: lb(name), field, kind: 'boolean', default: 'false', empty: 'error', what: 'boolean', codes: ['invalid-boolean', 'empty-value'], description,
});

/**
 * Every label key Switchyard reads, in alphabetical order: Interlock 3.x's `com.docker.lb.*` set plus
 * Switchyard's own `com.switchyard.lb.*` extensions. Any other key under either prefix is reported as an
 * `unknown-label` warning. The parser's dispatch, the default spec ({@link defaultSpec}), the key
 * constants ({@link LabelKey}), the README's table and the docs' checks all derive from this list.
 */
export const LABELS: readonly LabelInfo[] = Object.freeze(
  [
    { key: lb('backend_mode'), field: 'backendMode', kind: 'enum', values: ['task', 'vip'], default: 'task', empty: 'error', what: 'backend mode', codes: ['invalid-value', 'empty-value'], description: 'How the proxy addresses the service: task IPs (`task`) or the service virtual IP (`vip`).' },
    { key: lb('context_root'), field: 'contextRoot', kind: 'path', default: undefined, empty: 'unset', what: 'context root', codes: ['invalid-context-root', 'empty-value'], description: 'Path prefix the service is served under, e.g. `/app`; a trailing `/` is removed.' },
    flag('context_root_rewrite', 'contextRootRewrite', 'Strip the context root before passing the request to the service.'),
    flag('default_backend', 'defaultBackend', 'The service answers requests for hosts no other service claims; `hosts` may then be omitted.'),
    { key: lb('hosts'), field: 'hosts', kind: 'host-list', default: undefined, empty: 'default', what: 'host names', codes: ['invalid-host', 'missing-hosts'], description: 'Comma-separated host names routed to the service (required unless `default_backend=true`).' },
    flag('ip_hash', 'ipHash', 'Pin clients to tasks by client address.'),
    { key: lb('network'), field: 'network', kind: 'token', default: undefined, empty: 'unset', what: 'network name or ID', codes: ['invalid-network', 'empty-value'], description: 'Network (name or ID) the proxy uses to reach the service when it has several.' },
    { key: lb('port'), field: 'port', kind: 'port', range: [1, 65535], default: undefined, empty: 'error', what: 'a port number', codes: ['invalid-port', 'missing-port', 'empty-value'], description: 'Container port the proxy sends traffic to (required, 1-65535).' },
    { key: lb('redirects'), field: 'redirects', kind: 'redirects', default: undefined, empty: 'unset', what: 'redirects', codes: ['invalid-redirect', 'redirect-host-not-routed', 'empty-value'], description: '`;`-separated `source,target` URL pairs; requests for the source are redirected to the target.' },
    { key: lb('service_cluster'), field: 'serviceCluster', kind: 'token', default: '', empty: 'default', what: 'service cluster name', codes: ['invalid-service-cluster'], description: 'Service cluster (extension + proxy pair) that routes the service; empty = the default cluster.' },
    flag('ssl_backend', 'sslBackend', 'The proxy speaks TLS to the tasks.'),
    { key: lb('ssl_backend_tls_verify'), field: 'sslBackendTlsVerify', kind: 'enum', values: ['none', 'required'], default: 'none', empty: 'error', what: 'verification mode', codes: ['invalid-value', 'empty-value'], description: 'Verification of the tasks\' certificates when `ssl_backend=true`.' },
    { key: lb('ssl_cert'), field: 'sslCert', kind: 'token', default: undefined, empty: 'unset', what: 'Docker secret name', codes: ['invalid-secret-name', 'incomplete-ssl-pair', 'empty-value'], description: 'Docker secret holding the TLS certificate (needs `ssl_key`).' },
    { key: lb('ssl_key'), field: 'sslKey', kind: 'token', default: undefined, empty: 'unset', what: 'Docker secret name', codes: ['invalid-secret-name', 'incomplete-ssl-pair', 'empty-value'], description: 'Docker secret holding the TLS private key (needs `ssl_cert`).' },
    flag('ssl_only', 'sslOnly', 'Redirect plain HTTP requests to HTTPS.'),
    flag('ssl_passthrough', 'sslPassthrough', 'Route TLS by SNI straight to the tasks, which terminate it themselves.'),
    { key: lb('sticky_session_cookie'), field: 'stickySessionCookie', kind: 'token', default: undefined, empty: 'unset', what: 'cookie name', codes: ['invalid-cookie-name', 'empty-value'], description: 'Cookie whose value pins a client to one task.' },
    { key: lb('websocket_endpoints'), field: 'websocketEndpoints', kind: 'path-list', default: undefined, empty: 'unset', what: 'websocket paths', codes: ['invalid-websocket-endpoint', 'too-many-websocket-endpoints', 'empty-value'], description: 'Comma-separated paths upgraded to WebSocket.' },
    { key: `${SWITCHYARD_LABEL_PREFIX}weight`, field: 'weight', kind: 'integer', range: [1, 1000], default: undefined, empty: 'unset', what: 'a weight', codes: ['invalid-weight', 'empty-value'], description: 'Switchyard extension: relative weight (1-1000) of this service among services sharing a host.' },
  ].map((entry) => Object.freeze(entry as LabelInfo)),
);

/**
 * Full label key of every spec field, derived from {@link LABELS}: `LabelKey.hosts` is
 * `com.docker.lb.hosts`. The model and the renderers name labels in their diagnostics with these.
 */
export const LabelKey: Readonly<Record<LabelField, string>> = Object.freeze(
  Object.fromEntries(LABELS.map((info) => [info.field, info.key])) as Record<LabelField, string>,
);

/**
 * The spec of a service whose labels set nothing: each field's {@link LabelInfo.default} (lists empty,
 * absent values `undefined`). A fresh object on every call.
 */
export function defaultSpec(): ServiceRouteSpec {
  const spec: Record<string, unknown> = {};
  for (const info of LABELS) {
    switch (info.kind) {
      case 'host-list':
      case 'path-list':
      case 'redirects':
        spec[info.field] = [];
        break;
      case 'boolean':
        spec[info.field] = info.default === 'true';
        break;
      default:
        spec[info.field] = info.default;
    }
  }
  return spec as unknown as ServiceRouteSpec;
}

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
