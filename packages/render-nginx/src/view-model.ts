import { BackendMode, Severity, configKeyIssues, resolveMaxFileBytes, type Diagnostic, type HttpHost, type ProxyModel, type Upstream } from '@switchyard/proto';
import { NGINX_CONFIG_DEFAULTS, NGINX_IGNORED_KEYS, nginxConfigSchema, nginxTimeMs, type NginxConfig } from './config.js';
import {
  escapeRegex,
  formatEndpoint,
  formatRawArguments,
  isSafeAbsolutePath,
  isSafeCookieName,
  isSafeFileName,
  isSafeHost,
  isSafeToken,
  isSimpleCookieName,
  normalizePath,
  normalizeRedirectUrl,
  parseRawDirectives,
  quote,
} from './escape.js';
import type { NginxRenderOptions } from './types.js';
import { LabelKey } from '@switchyard/labels/registry';

/** Value of the `x-server-info` response header. */
export const SERVER_INFO = 'switchyard';
/** Path of the stub_status endpoint (served by the default server, loopback clients only). */
export const STATUS_PATH = '/nginx_status';
/** CA bundle used to verify backends when an upstream has `tls_verify`. */
export const CA_BUNDLE_PATH = '/etc/ssl/certs/ca-certificates.crt';
/** Glob of Debian's dynamic-module snippets, included when the stream module is needed. */
export const MODULES_INCLUDE = '/etc/nginx/modules-enabled/*.conf';
/** File name of the internal TLS-termination socket (next to the pid file) used with SNI passthrough. */
export const TLS_SOCKET_NAME = 'switchyard-tls.sock';
/**
 * Namespacing. Every name the renderer makes up starts with `switchyard_` (the TLS session cache zone
 * {@link SSL_SESSION_ZONE}, the stream upstream {@link TLS_TERMINATE_UPSTREAM}, variables); a name
 * derived from a service never does, because it always gets a fixed prefix in a namespace it shares
 * with them: upstream zones are `up_<upstream>`, stream upstreams `sni_<upstream>`. HTTP upstream
 * blocks keep the upstream's own name: nothing internal lives in that namespace.
 */
export const SSL_SESSION_ZONE = 'switchyard_ssl';
/** Stream upstream of the internal TLS-termination socket. */
export const TLS_TERMINATE_UPSTREAM = 'switchyard_tls_terminate';
/** Shared-memory zone name of an HTTP upstream. */
function zoneName(upstream: string): string {
  return `up_${upstream}`;
}
/** Stream upstream name of an SNI passthrough pool. */
function sniUpstreamName(upstream: string): string {
  return `sni_${upstream}`;
}
/** Upstream keepalive connections cached per worker and upstream. */
const UPSTREAM_KEEPALIVE = 32;
/** Upper bound for an endpoint weight (huge weights make `hash ... consistent` expensive). */
const MAX_WEIGHT = 1000;
/** Minimum read/send timeout for websocket routes, seconds. */
const WEBSOCKET_TIMEOUT = 3600;
/** Longest unix socket path Linux accepts. */
const MAX_SOCKET_PATH = 107;

const UNAVAILABLE_PAGE =
  '<!DOCTYPE html><html><head><title>503 Service Unavailable</title></head><body>' +
  '<h1>503 Service Unavailable</h1><p>No service is currently available for this request.</p>' +
  `<hr><p>${SERVER_INFO}</p></body></html>`;

/** The 503 page served for unknown hosts and unavailable routes, as a quoted nginx string. */
export const UNAVAILABLE_BODY = quote(UNAVAILABLE_PAGE);

/** Label keys named in diagnostics, from the label registry (the renderer never reads labels). */
const LABEL = {
  hosts: LabelKey.hosts,
  contextRoot: LabelKey.contextRoot,
  redirects: LabelKey.redirects,
  sslCert: LabelKey.sslCert,
  sslOnly: LabelKey.sslOnly,
  passthrough: LabelKey.sslPassthrough,
  cookie: LabelKey.stickySessionCookie,
  ipHash: LabelKey.ipHash,
  port: LabelKey.port,
  defaultBackend: LabelKey.defaultBackend,
} as const;

/** Values every location block may print, shared by reference. */
export interface LocationShared {
  unavailableBody: string;
  caBundle: string;
  websocketTimeout: number;
  websocketHeaders: { name: string; value: string }[];
  /** `proxy_connect_timeout` of locations proxying to a task-mode upstream (see {@link taskConnectTimeout}). */
  taskConnectTimeout: string;
}

/** A `location` block. Exactly one of `proxyPass`, `redirect`, `unavailable` is set. */
export interface LocationView {
  match: string;
  /** Normalized path (sort key). */
  path: string;
  /** Name of the upstream proxied to ("" when none). */
  upstream: string;
  proxyPass: string | false;
  /** `proxy_connect_timeout` of this location (task-mode upstreams), or false for the http-level one. */
  connectTimeout: string | false;
  tls: boolean;
  tlsVerify: boolean;
  websocket: boolean;
  redirect: string | false;
  unavailable: boolean;
  shared: LocationShared;
}

/** A `server` block for one host (plain HTTP, TLS, or both). */
export interface ServerView {
  host: string;
  listen: string[];
  sslOnlyRedirect: string | false;
  tls: boolean;
  certPath: string;
  keyPath: string;
  locations: LocationView[];
}

/**
 * A TLS server refusing the handshake for hosts without TLS of their own that a wildcard host of
 * another service (with a certificate) would otherwise answer for.
 */
export interface RejectTlsView {
  listen: string;
  names: string[];
}

/** One line of the SNI map of `stream {}`: a passthrough host and its stream upstream. */
export interface SniMapEntry {
  host: string;
  /** The escaped, quoted map key (never a map parameter such as `default` or `include`). */
  key: string;
  upstream: string;
}

/** An `upstream` block (http or stream). */
export interface UpstreamView {
  name: string;
  balance: string | false;
  zone: string | false;
  servers: string[];
  keepalive: number | false;
}

/** Everything the nginx.conf template prints; every value is already validated or quoted. */
export interface NginxView {
  user: string;
  workerProcesses: string;
  rlimitNoFile: number | false;
  workerShutdownTimeout: string | false;
  pidPath: string;
  errorLogPath: string;
  includeModules: string | false;
  globalOptions: string[];
  maxConnections: number;
  http: {
    keepaliveTimeout: string;
    clientMaxBodySize: string;
    clientBodyBufferSize: string;
    clientHeaderBufferSize: string;
    largeClientHeaderBuffers: string;
    clientBodyTimeout: string;
    underscoresInHeaders: string;
    serverNamesHashBucketSize: number;
    serverNamesHashMaxSize: number;
    mainLogFormat: string;
    traceLogFormat: string;
    /** Whether a log format uses Interlock's `$reqid` (defined by a map: the client's X-Request-ID, else `$request_id`). */
    reqidMap: boolean;
    accessLog: string;
    connectTimeout: number;
    sendTimeout: number;
    readTimeout: number;
    sslProtocols: string;
    sslCiphers: string;
    sslDhParam: string | false;
    sslSessionZone: string;
    infoHeaders: { name: string; value: string }[];
    proxyHeaders: { name: string; value: string }[];
    cookieMaps: { variable: string; pattern: string }[];
    options: string[];
    upstreams: UpstreamView[];
    /** Glob of the part files included inside `http {}` (split layout), or false. */
    include: string | false;
    httpListen: string;
    tlsListen: string | false;
    statusPath: string;
    defaultLocation: LocationView;
    /** The TLS refusal for captured hosts, or false. */
    rejectTls: RejectTlsView | false;
    servers: ServerView[];
    sslOpts: string[];
  };
  stream: {
    options: string[];
    mapHashBucketSize: number;
    listen: string;
    tlsSocket: string;
    terminateUpstream: string;
    /** Lines of the SNI map, sorted by host. */
    sniMap: SniMapEntry[];
    /** Glob of the map files included inside the SNI map (split layout), or false. */
    mapInclude: string | false;
    upstreams: UpstreamView[];
    /** Glob of the part files (passthrough upstreams) included inside `stream {}` (split layout), or false. */
    include: string | false;
    /** nginx time with its unit, e.g. `600s` or `1s`. */
    connectTimeout: string;
    proxyTimeout: number;
  } | false;
}

/** Collects diagnostics for one render. */
class Diagnostics {
  readonly list: Diagnostic[] = [];
  error(service: string, label: string, code: string, message: string): void {
    this.list.push({ service, label, code, message, severity: Severity.SEVERITY_ERROR });
  }
  warning(service: string, label: string, code: string, message: string): void {
    this.list.push({ service, label, code, message, severity: Severity.SEVERITY_WARNING });
  }
  sorted(): Diagnostic[] {
    const key = (d: Diagnostic) => [d.service, d.label, d.code, d.message];
    return [...this.list].sort((a, b) => {
      const ka = key(a);
      const kb = key(b);
      for (let i = 0; i < ka.length; i++) {
        const x = ka[i] as string;
        const y = kb[i] as string;
        if (x !== y) return x < y ? -1 : 1;
      }
      return 0;
    });
  }
}

/** Shows an untrusted value in a diagnostic message (JSON-quoted, truncated). */
function show(value: string): string {
  const text = value.length > 80 ? `${value.slice(0, 80)}…` : value;
  return JSON.stringify(text);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function nextPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/** Bucket size nginx needs to hash a name of `length` chars (element = pointer + aligned key, plus a terminator). */
function bucketSizeFor(length: number): number {
  return nextPow2(8 + Math.ceil((length + 2) / 8) * 8 + 8);
}

function validPort(value: number | undefined, fallback: number, what: string, diags: Diagnostics): number {
  if (value === undefined) return fallback;
  if (Number.isInteger(value) && value >= 1 && value <= 65535) return value;
  diags.error('', '', 'invalid-option', `${what} ${show(String(value))} is not a port number; using ${fallback}`);
  return fallback;
}

/** Merges and validates the config; invalid keys fall back to their defaults with a diagnostic. */
function resolveConfig(partial: Partial<NginxConfig> | undefined, diags: Diagnostics): NginxConfig {
  const input: Record<string, unknown> = { ...(partial ?? {}) };
  for (const key of Object.keys(input)) if (input[key] === undefined || key in NGINX_IGNORED_KEYS) delete input[key];
  for (let attempt = 0; attempt < 3; attempt++) {
    const result = nginxConfigSchema.safeParse(input);
    if (result.success) return result.data;
    for (const issue of configKeyIssues(result.error.issues)) {
      diags.error('', issue.key, 'invalid-config', `config key ${issue.key}: ${issue.message}; using the default`);
      delete input[issue.key];
    }
  }
  return nginxConfigSchema.parse({});
}

interface UpstreamInfo {
  upstream: Upstream;
  service: string;
  /** Printable name, or undefined when the upstream has no endpoints (rendered as a 503). */
  usable: boolean;
}

/**
 * Builds the template view of an nginx.conf from a model and options. Pure and deterministic;
 * every problem becomes a diagnostic and the offending item is skipped.
 */
export function buildNginxView(
  model: ProxyModel,
  options: NginxRenderOptions = {},
): { view: NginxView; diagnostics: Diagnostic[]; maxFileBytes: number } {
  const diags = new Diagnostics();
  const { maxFileBytes, problem: maxFileBytesProblem } = resolveMaxFileBytes(options.maxFileBytes);
  if (maxFileBytesProblem !== undefined) diags.error('', '', 'invalid-option', maxFileBytesProblem);
  const config = resolveConfig(options.config, diags);
  const httpPort = validPort(options.httpPort, 80, 'httpPort', diags);
  const httpsPort = validPort(options.httpsPort, 443, 'httpsPort', diags);
  const publishedHttpsPort = validPort(options.publishedHttpsPort, httpsPort, 'publishedHttpsPort', diags);

  let secretsDir = (options.secretsDir ?? '/run/secrets').replace(/(.)\/+$/, '$1');
  if (!isSafeAbsolutePath(secretsDir)) {
    diags.error('', '', 'unsafe-value', `secretsDir ${show(secretsDir)} is not a safe absolute path; using /run/secrets`);
    secretsDir = '/run/secrets';
  }
  let proxyIdValue = '$hostname';
  if (options.proxyId !== undefined && options.proxyId !== '') {
    if (isSafeToken(options.proxyId)) proxyIdValue = options.proxyId;
    else diags.error('', '', 'unsafe-value', `proxyId ${show(options.proxyId)} is not a safe name token; using $hostname`);
  }

  // ---- upstreams ---------------------------------------------------------------------------
  const upstreams = new Map<string, UpstreamInfo>();
  const httpUpstreams: UpstreamView[] = [];
  const cookieVariables = new Map<string, string>();
  const sortedUpstreams = [...model.upstreams].sort((a, b) => compare(a.name, b.name));
  for (const upstream of sortedUpstreams) {
    const service = upstream.services.join(',');
    if (!isSafeToken(upstream.name)) {
      diags.error(service, '', 'unsafe-value', `upstream name ${show(upstream.name)} is not a safe name token; upstream skipped`);
      continue;
    }
    if (upstreams.has(upstream.name)) {
      diags.error(service, '', 'duplicate-upstream', `upstream ${upstream.name} is defined twice; the first one is used`);
      continue;
    }
    const servers = buildServers(upstream, service, diags);
    const info: UpstreamInfo = { upstream, service, usable: servers.length > 0 };
    upstreams.set(upstream.name, info);
    if (!info.usable) {
      diags.warning(service, '', 'empty-upstream', `upstream ${upstream.name} has no endpoints; its routes answer 503`);
      continue;
    }
    let balance: string | false = false;
    if (upstream.stickyCookie !== '') {
      if (!isSafeCookieName(upstream.stickyCookie)) {
        diags.error(service, LABEL.cookie, 'unsafe-value', `sticky cookie name ${show(upstream.stickyCookie)} is not a safe name token; stickiness disabled`);
      } else {
        let variable = `$cookie_${upstream.stickyCookie}`;
        if (!isSimpleCookieName(upstream.stickyCookie)) {
          variable = cookieVariables.get(upstream.stickyCookie) ?? `$switchyard_cookie_${cookieVariables.size + 1}`;
          cookieVariables.set(upstream.stickyCookie, variable);
        }
        balance = `hash ${variable} consistent`;
        if (upstream.ipHash) {
          diags.warning(service, LABEL.ipHash, 'conflicting-balance', `upstream ${upstream.name} has both a sticky cookie and ip_hash; the cookie wins`);
        }
      }
    }
    if (balance === false && (upstream.ipHash || config.IPHash)) balance = 'ip_hash';
    const zone = config.UpstreamZoneSize === 0 ? false : `${zoneName(upstream.name)} ${zoneSizeKb(config.UpstreamZoneSize, servers.length)}k`;
    httpUpstreams.push({ name: upstream.name, balance, zone, servers, keepalive: UPSTREAM_KEEPALIVE });
  }
  const cookieMaps = [...cookieVariables.entries()]
    .sort((a, b) => compare(a[0], b[0]))
    .map(([name, variable]) => ({ variable, pattern: quote(`~(?:^|;\\s*)${escapeRegex(name)}=([^;]*)`) }));

  const certificates = new Map<string, { certPath: string; keyPath: string }>();
  for (const cert of model.certificates) {
    if (!isSafeFileName(cert.certFile) || !isSafeFileName(cert.keyFile)) {
      diags.error('', LABEL.sslCert, 'unsafe-value', `certificate ${show(cert.name)} has unsafe file names ${show(cert.certFile)}/${show(cert.keyFile)}; skipped`);
      continue;
    }
    if (!certificates.has(cert.name)) {
      certificates.set(cert.name, { certPath: `${secretsDir}/${cert.certFile}`, keyPath: `${secretsDir}/${cert.keyFile}` });
    }
  }

  // ---- SNI passthrough -------------------------------------------------------------------------
  const sniMap: SniMapEntry[] = [];
  const sniUpstreams: UpstreamView[] = [];
  const sniUpstreamNames = new Set<string>();
  const sniHosts = new Set<string>();
  // One stream server proxies every SNI route: it gets the task-mode connect timeout only when all of them are task mode.
  let sniAllTasks = true;
  for (const route of [...model.sniRoutes].sort((a, b) => compare(a.host, b.host))) {
    const info = upstreams.get(route.upstream);
    const service = info?.service ?? '';
    if (!isSafeHost(route.host)) {
      diags.error(service, LABEL.hosts, 'unsafe-value', `SNI host ${show(route.host)} is not a valid host name; skipped`);
      continue;
    }
    if (sniHosts.has(route.host)) {
      diags.error(service, LABEL.passthrough, 'duplicate-sni-route', `SNI host ${route.host} is routed twice; the first route is used`);
      continue;
    }
    sniHosts.add(route.host);
    if (!info) {
      diags.error('', LABEL.passthrough, 'unknown-upstream', `SNI host ${route.host} points at unknown upstream ${show(route.upstream)}; its TLS connections are refused`);
      continue;
    }
    if (!info.usable) {
      diags.warning(service, LABEL.passthrough, 'empty-upstream', `SNI host ${route.host}: upstream ${route.upstream} has no endpoints; its TLS connections are refused`);
      continue;
    }
    const name = sniUpstreamName(route.upstream);
    if (!sniUpstreamNames.has(name)) {
      sniUpstreamNames.add(name);
      const balance = info.upstream.ipHash || config.IPHash ? 'hash $remote_addr consistent' : false;
      const servers = buildServers(info.upstream, service, new Diagnostics());
      sniUpstreams.push({ name, balance, zone: false, servers, keepalive: false });
    }
    if (!isTaskMode(info.upstream)) sniAllTasks = false;
    sniMap.push({ host: route.host, key: mapKey(route.host), upstream: name });
  }
  sniUpstreams.sort((a, b) => compare(a.name, b.name));
  const passthrough = sniMap.length > 0;
  const taskConnect = taskConnectTimeout(config);

  // ---- shared location values -------------------------------------------------------------------
  // The app gets the Host header as the client sent it (case and port kept), as Interlock's nginx
  // template (`$http_host`) and HAProxy do; routing itself matches the normalized `$host`.
  const proxyHeaders = [
    { name: 'Host', value: '$http_host' },
    { name: 'Connection', value: "''" },
    { name: 'X-Real-IP', value: '$remote_addr' },
    { name: 'X-Forwarded-For', value: '$proxy_add_x_forwarded_for' },
    { name: 'X-Forwarded-Proto', value: '$scheme' },
    { name: 'X-Forwarded-Host', value: '$host' },
    { name: 'X-Request-ID', value: '$request_id' },
  ];
  const shared: LocationShared = {
    unavailableBody: UNAVAILABLE_BODY,
    caBundle: CA_BUNDLE_PATH,
    websocketTimeout: Math.max(config.ReadTimeout, WEBSOCKET_TIMEOUT),
    websocketHeaders: [
      ...proxyHeaders.filter((header) => header.name !== 'Connection'),
      { name: 'Upgrade', value: '$http_upgrade' },
      { name: 'Connection', value: '$switchyard_connection_upgrade' },
    ],
    taskConnectTimeout: taskConnect,
  };

  // ---- listeners ---------------------------------------------------------------------------------
  let tlsSocket = `${dirname(config.PidPath)}/${TLS_SOCKET_NAME}`;
  if (tlsSocket.length > MAX_SOCKET_PATH) {
    diags.warning('', 'PidPath', 'socket-path-too-long', `the TLS socket next to PidPath would exceed ${MAX_SOCKET_PATH} characters; using /var/run`);
    tlsSocket = `/var/run/${TLS_SOCKET_NAME}`;
  }
  const httpListen = String(httpPort);
  const tlsAddress = passthrough ? `unix:${tlsSocket}` : String(httpsPort);

  // ---- hosts -----------------------------------------------------------------------------------
  const servers: ServerView[] = [];
  const seenHosts = new Set<string>();
  const referenced = new Set<string>();
  // ssl_only redirects send clients to the port they reach the TLS listener on.
  const httpsSuffix = publishedHttpsPort === 443 ? '' : `:${publishedHttpsPort}`;
  let anyTlsServer = false;
  let longestName = 0;
  /** Valid hosts and whether they have a TLS server of their own. */
  const hostTls = new Map<string, boolean>();
  for (const host of [...model.hosts].sort((a, b) => compare(a.host, b.host))) {
    let serviceCache: string | undefined;
    const service = () => (serviceCache ??= hostService(host, upstreams));
    if (!isSafeHost(host.host)) {
      diags.error(service(), LABEL.hosts, 'unsafe-value', `host ${show(host.host)} is not a valid host name; skipped`);
      continue;
    }
    if (seenHosts.has(host.host)) {
      diags.error(service(), LABEL.hosts, 'duplicate-host', `host ${host.host} appears twice; the first one is used`);
      continue;
    }
    seenHosts.add(host.host);
    longestName = Math.max(longestName, host.host.length);
    const locations = buildLocations(host, upstreams, service, diags, shared);
    for (const location of locations) if (location.upstream !== '') referenced.add(location.upstream);
    let cert: { certPath: string; keyPath: string } | undefined;
    if (host.certificate !== '') {
      cert = certificates.get(host.certificate);
      if (!cert) {
        diags.error(service(), LABEL.sslCert, 'unknown-certificate', `host ${host.host} refers to unknown certificate ${show(host.certificate)}; served over HTTP only`);
      } else if (sniHosts.has(host.host)) {
        diags.warning(service(), LABEL.passthrough, 'sni-conflict', `host ${host.host} is both terminated and passed through; passthrough wins for TLS`);
      }
    }
    if (host.sslOnly && !cert && !sniHosts.has(host.host)) {
      diags.warning(service(), LABEL.sslOnly, 'ssl-only-without-tls', `host ${host.host} redirects to HTTPS but has no certificate or passthrough route`);
    }
    const tlsServer = cert ? { tls: true, certPath: cert.certPath, keyPath: cert.keyPath } : { tls: false, certPath: '', keyPath: '' };
    anyTlsServer ||= tlsServer.tls;
    hostTls.set(host.host, tlsServer.tls);
    if (host.sslOnly) {
      servers.push({ host: host.host, listen: [httpListen], sslOnlyRedirect: `https://$host${httpsSuffix}$request_uri`, tls: false, certPath: '', keyPath: '', locations: [] });
      if (tlsServer.tls) servers.push({ host: host.host, listen: [`${tlsAddress} ssl`], sslOnlyRedirect: false, ...tlsServer, locations });
    } else {
      const listen = tlsServer.tls ? [httpListen, `${tlsAddress} ssl`] : [httpListen];
      servers.push({ host: host.host, listen, sslOnlyRedirect: false, ...tlsServer, locations });
    }
  }

  // ---- wildcards must not capture other hosts' TLS -------------------------------------------------
  // A host without TLS of its own under a wildcard host with a certificate: its HTTPS would be answered
  // by the wildcard's server. Under a wildcard SNI passthrough route: its TLS would go to the
  // wildcard's tasks. The first are refused; the second go to termination (own certificate, or refused).
  const tlsWildcards = [...hostTls].filter(([h, tls]) => tls && h.startsWith('*.')).map(([h]) => h);
  const sniWildcards = sniMap.filter((e) => e.host.startsWith('*.')).map((e) => e.host);
  const rejectNames: string[] = [];
  for (const [h, tls] of hostTls) {
    if (sniHosts.has(h)) continue;
    if (!tls && tlsWildcards.some((w) => wildcardCovers(w, h))) rejectNames.push(h);
    if (sniWildcards.some((w) => wildcardCovers(w, h))) sniMap.push({ host: h, key: mapKey(h), upstream: TLS_TERMINATE_UPSTREAM });
  }
  sniMap.sort((a, b) => compare(a.host, b.host));

  // ---- default server --------------------------------------------------------------------------
  let defaultLocation = unavailableLocation('/', shared);
  if (model.defaultUpstream !== '') {
    const info = upstreams.get(model.defaultUpstream);
    if (!info) {
      diags.error('', LABEL.defaultBackend, 'unknown-upstream', `default upstream ${show(model.defaultUpstream)} does not exist; unknown hosts get 503`);
    } else if (info.usable) {
      defaultLocation = proxyLocation('/', '/', info.upstream, false, false, shared);
      referenced.add(info.upstream.name);
    }
  }

  // ---- sizes -------------------------------------------------------------------------------------
  const tlsListen = anyTlsServer || passthrough ? tlsAddress : false;
  const rejectTls = tlsListen !== false && rejectNames.length > 0 ? { listen: `${tlsListen} ssl`, names: rejectNames } : false;
  const serverNamesHashBucketSize = Math.max(config.ServerNamesHashBucketSize, bucketSizeFor(longestName));
  const serverNamesHashMaxSize = Math.max(512, nextPow2(seenHosts.size * 4));
  let longestSni = 0;
  for (const entry of sniMap) longestSni = Math.max(longestSni, entry.host.length);

  const sslOpts = config.SSLOpts.trim() === '' ? [] : rawDirectives(config.SSLOpts);
  const infoHeaders = config.HideInfoHeaders
    ? []
    : [
        { name: 'x-request-id', value: '$request_id' },
        { name: 'x-proxy-id', value: proxyIdValue },
        { name: 'x-server-info', value: quote(SERVER_INFO) },
        { name: 'x-upstream-addr', value: '$upstream_addr' },
        { name: 'x-upstream-response-time', value: '$upstream_header_time' },
      ];

  const globalOptions = config.GlobalOptions.flatMap(rawDirectives);
  const mainLogFormat = rawArguments(config.MainLogFormat, NGINX_CONFIG_DEFAULTS.MainLogFormat);
  const traceLogFormat = rawArguments(config.TraceLogFormat, NGINX_CONFIG_DEFAULTS.TraceLogFormat);
  const view: NginxView = {
    user: config.User,
    workerProcesses: config.WorkerProcesses,
    rlimitNoFile: config.RLimitNoFile === 0 ? false : config.RLimitNoFile,
    workerShutdownTimeout: workerShutdownTimeout(config.WorkerShutdownTimeout, globalOptions, diags),
    pidPath: config.PidPath,
    errorLogPath: config.ErrorLogPath,
    includeModules: passthrough ? MODULES_INCLUDE : false,
    globalOptions,
    maxConnections: config.MaxConnections,
    http: {
      keepaliveTimeout: config.KeepaliveTimeout,
      clientMaxBodySize: config.ClientMaxBodySize,
      clientBodyBufferSize: config.ClientBodyBufferSize,
      clientHeaderBufferSize: config.ClientHeaderBufferSize,
      largeClientHeaderBuffers: config.LargeClientHeaderBuffers,
      clientBodyTimeout: config.ClientBodyTimeout,
      underscoresInHeaders: config.UnderscoresInHeaders ? 'on' : 'off',
      serverNamesHashBucketSize,
      serverNamesHashMaxSize,
      mainLogFormat,
      traceLogFormat,
      reqidMap: /\$(?:reqid\b|\{reqid\})/.test(`${mainLogFormat} ${traceLogFormat}`),
      accessLog: accessLog(config),
      connectTimeout: config.ConnectTimeout,
      sendTimeout: config.SendTimeout,
      readTimeout: config.ReadTimeout,
      sslProtocols: config.SSLProtocols,
      sslCiphers: config.SSLCiphers,
      sslDhParam: config.SSLDefaultDHParamPath === '' ? false : config.SSLDefaultDHParamPath,
      sslSessionZone: SSL_SESSION_ZONE,
      infoHeaders,
      proxyHeaders,
      cookieMaps,
      options: config.HTTPOptions.flatMap(rawDirectives),
      upstreams: httpUpstreams.filter((upstream) => referenced.has(upstream.name)),
      include: false,
      httpListen,
      tlsListen,
      statusPath: STATUS_PATH,
      defaultLocation,
      rejectTls,
      servers,
      sslOpts,
    },
    stream: passthrough
      ? {
          options: config.TCPOptions.flatMap(rawDirectives),
          mapHashBucketSize: Math.max(64, bucketSizeFor(longestSni)),
          listen: String(httpsPort),
          tlsSocket,
          terminateUpstream: TLS_TERMINATE_UPSTREAM,
          sniMap,
          mapInclude: false,
          upstreams: sniUpstreams,
          include: false,
          connectTimeout: sniAllTasks ? taskConnect : `${config.ConnectTimeout}s`,
          proxyTimeout: config.ReadTimeout,
        }
      : false,
  };
  return { view, diagnostics: diags.sorted(), maxFileBytes };
}

/**
 * The `access_log` arguments. Buffered by default: one write per request costs the single worker
 * about a tenth of its CPU time per proxied request (tools/bench/dataplane.cjs); a buffer of at most
 * 4 KiB, flushed every second, keeps lines whole on a pipe and late by at most a second.
 */
function accessLog(config: NginxConfig): string {
  if (config.AccessLogPath === 'off') return 'off';
  return config.AccessLogBuffer === '' ? `${config.AccessLogPath} main` : `${config.AccessLogPath} main buffer=${config.AccessLogBuffer} flush=1s`;
}

/**
 * Task-mode upstreams (anything but vip mode: task is Interlock's default) point at task IPs, which
 * vanish when a task stops; vip-mode ones point at a service VIP or a remote address.
 */
function isTaskMode(upstream: Upstream): boolean {
  return upstream.mode !== BackendMode.BACKEND_MODE_VIP;
}

/**
 * `proxy_connect_timeout` of task-mode upstreams: the lower of TaskConnectTimeout and ConnectTimeout.
 * A live task on the overlay answers a SYN within milliseconds, so a short timeout only cuts the wait
 * on a task that has gone (until the next reload drops it) and lets `proxy_next_upstream` move on.
 */
function taskConnectTimeout(config: NginxConfig): string {
  const taskMs = nginxTimeMs(config.TaskConnectTimeout);
  return taskMs !== undefined && taskMs < config.ConnectTimeout * 1000 ? config.TaskConnectTimeout : `${config.ConnectTimeout}s`;
}

/**
 * KB of an upstream's shared-memory zone: the configured size, raised for large upstreams (nginx
 * 1.22 fits only about 63 servers in 64 KB and refuses to start when the zone is too small).
 * 32 KB + 1 KB per server, rounded up to 64 KB, leaves a margin at every measured size.
 */
function zoneSizeKb(configured: number, servers: number): number {
  return Math.max(configured, Math.ceil((32 + servers) / 64) * 64);
}

/**
 * The `worker_shutdown_timeout` to print, or false. nginx refuses the directive twice, and
 * Interlock users may already set it in GlobalOptions: their explicit line wins, with a warning.
 */
function workerShutdownTimeout(value: string, globalOptions: readonly string[], diags: Diagnostics): string | false {
  if (value === '') return false;
  if (globalOptions.some((directive) => /^worker_shutdown_timeout\b/.test(directive))) {
    diags.warning(
      '',
      'WorkerShutdownTimeout',
      'overridden-by-global-options',
      'GlobalOptions sets worker_shutdown_timeout, so WorkerShutdownTimeout is not printed (move the value to WorkerShutdownTimeout)',
    );
    return false;
  }
  return value;
}

function rawDirectives(text: string): string[] {
  const parsed = parseRawDirectives(text);
  return parsed.ok ? parsed.directives : [];
}

function rawArguments(text: string, fallback: string): string {
  const parsed = formatRawArguments(text);
  if (parsed.ok) return parsed.value;
  const again = formatRawArguments(fallback);
  return again.ok ? again.value : quote('$remote_addr');
}

/**
 * A host as a `map` key: a leading backslash (which nginx strips) keeps a name such as `default`,
 * `include`, `hostnames` or `volatile` from being read as a map parameter, and the key is quoted.
 */
function mapKey(host: string): string {
  return quote(`\\${host}`);
}

/** Whether the wildcard `*.suffix` covers `host` (a name, or a narrower wildcard) other than itself. */
function wildcardCovers(wildcard: string, host: string): boolean {
  const suffix = wildcard.slice(1);
  return host !== wildcard && host.endsWith(suffix) && host.length > suffix.length;
}

function dirname(path: string): string {
  const index = path.lastIndexOf('/');
  return index <= 0 ? '' : path.slice(0, index);
}

function hostService(host: HttpHost, upstreams: Map<string, UpstreamInfo>): string {
  const names = new Set<string>();
  for (const route of host.routes) {
    const info = upstreams.get(route.upstream);
    if (info) for (const service of info.upstream.services) names.add(service);
  }
  return [...names].sort().join(',');
}

function buildServers(upstream: Upstream, service: string, diags: Diagnostics): string[] {
  const seen = new Set<string>();
  const servers: string[] = [];
  const endpoints = [...upstream.endpoints].sort((a, b) => compare(a.address, b.address) || a.port - b.port);
  for (const endpoint of endpoints) {
    const address = formatEndpoint(endpoint.address, endpoint.port);
    const where = endpoint.service || service;
    if (address === undefined) {
      diags.error(where, LABEL.port, 'unsafe-value', `endpoint ${show(`${endpoint.address}:${endpoint.port}`)} of upstream ${upstream.name} is not an IP address and port; skipped`);
      continue;
    }
    if (seen.has(address)) {
      diags.warning(where, '', 'duplicate-endpoint', `endpoint ${address} appears twice in upstream ${upstream.name}; the first one is used`);
      continue;
    }
    seen.add(address);
    let weight = endpoint.weight;
    if (!Number.isInteger(weight) || weight < 1) weight = 1;
    if (weight > MAX_WEIGHT) {
      diags.warning(where, '', 'weight-clamped', `endpoint ${address} weight ${weight} lowered to ${MAX_WEIGHT}`);
      weight = MAX_WEIGHT;
    }
    servers.push(weight === 1 ? address : `${address} weight=${weight}`);
  }
  return servers;
}

function unavailableLocation(match: string, shared: LocationShared, path = '/'): LocationView {
  return { match, path, upstream: '', proxyPass: false, connectTimeout: false, tls: false, tlsVerify: false, websocket: false, redirect: false, unavailable: true, shared };
}

function proxyLocation(match: string, path: string, upstream: Upstream, stripPrefix: boolean, websocket: boolean, shared: LocationShared): LocationView {
  const scheme = upstream.tls ? 'https' : 'http';
  return {
    match,
    path,
    upstream: upstream.name,
    proxyPass: `${scheme}://${upstream.name}${stripPrefix ? '/' : ''}`,
    connectTimeout: isTaskMode(upstream) ? shared.taskConnectTimeout : false,
    tls: upstream.tls,
    tlsVerify: upstream.tls && upstream.tlsVerify,
    websocket,
    redirect: false,
    unavailable: false,
    shared,
  };
}

/** Location matchers for a normalized path: `/` → [`/`]; `/app` → [`= /app`, `/app/`]. */
function matchersFor(path: string): string[] {
  return path === '/' ? ['/'] : [`= ${path}`, `${path}/`];
}

function buildLocations(
  host: HttpHost,
  upstreams: Map<string, UpstreamInfo>,
  service: () => string,
  diags: Diagnostics,
  shared: LocationShared,
): LocationView[] {
  const byMatch = new Map<string, LocationView>();
  const add = (location: LocationView, what: string, label: string) => {
    if (byMatch.has(location.match)) {
      diags.warning(service(), label, 'duplicate-location', `host ${host.host}: ${what} duplicates location ${show(location.match)}; skipped`);
      return;
    }
    byMatch.set(location.match, location);
  };
  for (const redirect of [...host.redirects].sort((a, b) => compare(a.fromPath, b.fromPath))) {
    const path = normalizePath(redirect.fromPath);
    const target = normalizeRedirectUrl(redirect.toUrl);
    if (path === undefined) {
      diags.error(service(), LABEL.redirects, 'unsafe-value', `host ${host.host}: redirect path ${show(redirect.fromPath)} is not a safe path; skipped`);
    }
    if (target === undefined) {
      diags.error(service(), LABEL.redirects, 'unsafe-value', `host ${host.host}: redirect target ${show(redirect.toUrl)} is not a safe http(s) URL; skipped`);
    }
    if (path === undefined || target === undefined) continue;
    for (const match of matchersFor(path)) {
      const location = { ...unavailableLocation(match, shared, path), unavailable: false, redirect: `${target}$request_uri` };
      add(location, `redirect from ${path}`, LABEL.redirects);
    }
  }
  for (const route of host.routes) {
    const path = normalizePath(route.path);
    const info = upstreams.get(route.upstream);
    const routeService = () => info?.service ?? service();
    if (path === undefined) {
      diags.error(routeService(), LABEL.contextRoot, 'unsafe-value', `host ${host.host}: path ${show(route.path)} is not a safe path; route skipped`);
      continue;
    }
    if (!info) {
      diags.error(routeService(), '', 'unknown-upstream', `host ${host.host}: path ${path} points at unknown upstream ${show(route.upstream)}; it answers 503`);
    }
    for (const match of matchersFor(path)) {
      const location = info?.usable
        ? proxyLocation(match, path, info.upstream, route.stripPrefix && path !== '/', route.websocket, shared)
        : unavailableLocation(match, shared, path);
      add(location, `route ${path}`, LABEL.contextRoot);
    }
  }
  if (!byMatch.has('/')) byMatch.set('/', unavailableLocation('/', shared));
  const exact = (l: LocationView) => (l.match.charCodeAt(0) === 61 /* '=' */ ? 0 : 1);
  return [...byMatch.values()].sort((a, b) => b.path.length - a.path.length || compare(a.path, b.path) || exact(a) - exact(b));
}
