/**
 * Builds the haproxy.cfg view model from a ProxyModel: every decision and every validation happens here;
 * the template only prints the resulting lines.
 */
import { BackendMode, DEFAULT_MAX_FILE_BYTES, MIN_MAX_FILE_BYTES, Severity, byteLength, packChunks, partNumber, resolveMaxFileBytes } from '@switchyard/proto';
import type { Diagnostic, Endpoint, HttpHost, ProxyModel, RenderedFile, RendererOptions, Upstream } from '@switchyard/proto';
import { haproxyTimeMs, resolveHaproxyConfig, sslVersionRange } from './config.js';
import type { HaproxyConfig } from './config.js';
import { describeValue, formatEndpointAddress, optionLineProblem } from './safe.js';
import { isSafeAbsolutePath, isSafeCookieName, isSafeFileName, isSafeHost, isSafePath, isSafeRedirectUrl, isSafeToken } from '@switchyard/labels/safe';
import { LabelKey } from '@switchyard/labels/registry';

/** Options of {@link renderHaproxy}. */
export interface HaproxyRenderOptions extends RendererOptions {
  /** HAProxy extension configuration (Interlock keys); missing keys take the defaults. */
  config?: Partial<HaproxyConfig>;
  /**
   * Largest file to produce, in bytes (default {@link DEFAULT_MAX_FILE_BYTES}; a Docker Config holds at
   * most 500 KiB). A configuration that fits is rendered as one `haproxy.cfg`, exactly as without this
   * option; a larger one is split: backends go to `switchyard.d/part-NNN.cfg` and the host and route
   * tables to map files under `switchyard.d/` (see the README). At least {@link MIN_MAX_FILE_BYTES};
   * `Infinity` never splits.
   */
  maxFileBytes?: number;
}

/** One section of haproxy.cfg (`global`, `defaults`, `frontend x`, `backend y`). */
export interface HaproxySection {
  comments: string[];
  title: string;
  lines: string[];
}

/** A section as printed: its directive lines indented by four spaces and joined with newlines. */
export interface HaproxyPrintedSection {
  comments: string[];
  title: string;
  body: string;
}

/** What the template prints. */
export interface HaproxyView {
  header: string[];
  sections: HaproxyPrintedSection[];
}

// Default and smallest accepted maxFileBytes: the renderer contract's (`@switchyard/proto`), re-exported.
export { DEFAULT_MAX_FILE_BYTES, MIN_MAX_FILE_BYTES };

/** Path of the stats page. */
export const STATS_PATH = '/haproxy_status';
/** Value of the `x-server-info` response header. */
export const SERVER_INFO = 'switchyard';
/** Timeout applied to upgraded (WebSocket) connections on backends that serve a websocket route. */
export const WEBSOCKET_TUNNEL_TIMEOUT = '3600s';
/** How long the TLS listener waits for a ClientHello to read the SNI. */
export const SNI_INSPECT_DELAY = '5s';
/** Backend handing TLS connections to the terminating bind of fe_http. */
export const TLS_TERMINATE_BACKEND = 'sy_tls_terminate';
/** Backend closing TLS connections nothing may serve. */
export const TLS_REJECT_BACKEND = 'sy_tls_reject';
/** Path (relative to haproxy.cfg; `default-path config`) of the certificate list of the terminating bind. */
export const CERT_LIST_FILE = 'switchyard.d/certificates.crt-list';
/**
 * Path of the `index`-th (from 0) certificate list when one would exceed `maxFileBytes`:
 * `switchyard.d/certificates-001.crt-list`, … (never `*.cfg`: `-f switchyard.d` loads those).
 */
export function certListPart(index: number): string {
  return `switchyard.d/certificates-${partNumber(index)}.crt-list`;
}
/**
 * How fe_http reads the requested host: the Host header without its port, lower case and without a
 * trailing dot (`Name.:8080` is `name`), as nginx and `explainRequest` normalize it.
 */
export const HOST_VAR_RULE = 'http-request set-var(txn.host) req.hdr(host),host_only,lower,regsub([.]$,)';
/**
 * The redirect of plain HTTP on ssl_only hosts: same host (normalized, as nginx's `$host`), the
 * published TLS port (`portSuffix`, "" for 443) and the URI as the client sent it.
 */
export function sslOnlyRedirect(portSuffix: string): string {
  return `http-request redirect location https://%[var(txn.host)]${portSuffix}%[capture.req.uri] code 301`;
}
/**
 * Nested `..` levels the path normalization resolves (`/a/b/../../c` has two). A path with a `..`
 * segment left after them (deeper nesting, or above the root as in `/../x`) gets 400.
 */
export const DOTDOT_PASSES = 4;

/**
 * How fe_http normalizes the request path before matching routes and redirects, as nginx does, so
 * `/api/../admin` is not under `/api` while `/%61pi/x` and `//api/x` are. HAProxy 2.6's `normalize-uri`
 * is experimental, so converters do it; the request itself is left as sent:
 * - `txn.npath`: the path with `%2F`/`%2E` decoded (they shape segments), `//` merged, `.` segments
 *   removed and `..` segments resolved; other percent-escapes kept. Only paths with a `%`, `//` or `/.`
 *   need it. Routes that strip their prefix forward what follows the prefix in this path.
 * - `txn.mpath`: `txn.npath` percent-decoded; route and redirect prefixes are matched against it.
 * - 400, as nginx, for a `..` segment left over, an escaped NUL or an invalid escape.
 */
export const PATH_NORMALIZATION_RULES: readonly string[] = [
  'http-request set-var(txn.npath) path',
  String.raw`http-request set-var(txn.npath) 'path,regsub(%2F,/,gi),regsub(%2E,.,gi),regsub(/+,/,g),regsub("(?<=/\.|/\.\.)$",/),regsub("/\.(?=/)",,g)` +
    String.raw`,regsub("/(?!\.\./)[^/]+/\.\.(?=/)",,g)`.repeat(DOTDOT_PASSES) +
    `' if { path -m sub % // /. }`,
  'http-request set-var(txn.mpath) var(txn.npath),url_dec',
  'http-request deny deny_status 400 if { var(txn.npath) -m sub -i /../ %00 } || !{ var(txn.mpath) -m found }',
];

/**
 * The rule of a route that strips its prefix of `segments` path segments: the task gets the rest of
 * the normalized path (`/` when nothing is left) and the query as sent.
 */
export function stripPrefixRule(segments: number, condition: string): string {
  return `http-request set-path /%[var(txn.npath),field(${segments + 2},/,0)] if ${condition}`;
}

/** Largest weight HAProxy accepts on a server. */
export const MAX_WEIGHT = 256;

/**
 * Body of the 503 page: unknown hosts without a default backend, a known host without a route for
 * the path (as nginx), and routes whose upstream has no endpoints.
 */
export const PAGE_503 =
  '<html><head><title>503 Service Unavailable</title></head><body><h1>503 Service Unavailable</h1><p>No service is available for this request.</p></body></html>';
/** Answers a known host without a route (or redirect) for the path with the 503 page, as nginx does. */
export const NO_ROUTE_RULE = `http-request return status 503 content-type text/html string '${PAGE_503}' if has_vh !has_route`;

/** Label keys named in diagnostics, from the label registry (the renderer never reads labels). */
const LABEL = {
  hosts: LabelKey.hosts,
  contextRoot: LabelKey.contextRoot,
  cookie: LabelKey.stickySessionCookie,
  redirects: LabelKey.redirects,
  passthrough: LabelKey.sslPassthrough,
  cert: LabelKey.sslCert,
  port: LabelKey.port,
  defaultBackend: LabelKey.defaultBackend,
} as const;

/** A validated upstream and how it is used. */
export interface UpstreamView {
  name: string;
  services: string[];
  servers: { name: string; target: string; weight: number }[];
  stickyCookie: string;
  ipHash: boolean;
  tls: boolean;
  tlsVerify: boolean;
  websocket: boolean;
  usedHttp: boolean;
  usedTcp: boolean;
  /** `timeout connect` of its backends (task-mode upstreams), or undefined for the defaults' ConnectTimeout. */
  connectTimeout: string | undefined;
}

/** One route of a host (`id` names it in the one-file layout). */
export interface RouteView {
  id: string;
  pathAcl: string | undefined;
  /** Length of the path prefix without its trailing slash. */
  prefixLength: number;
  /** Path segments of the prefix the task does not get (strip_prefix), or 0. */
  stripSegments: number;
  upstream: UpstreamView;
}

/** One redirect of a host (`id` names it in the one-file layout). */
export interface RedirectView {
  id: string;
  pathAcl: string | undefined;
  /** Length of the source prefix without its trailing slash (precedence against routes). */
  prefixLength: number;
  toUrl: string;
}

/**
 * A route or a redirect of a host, in matching order: the longest path prefix first and, on an equal
 * prefix, the redirect first (the same precedence as nginx's locations and `explainRequest`).
 */
export type PathRuleView = { kind: 'route'; route: RouteView } | { kind: 'redirect'; redirect: RedirectView };

/** One line of the crt-list: a certificate and the host names (SNI filters) it is presented for. */
export interface CertListEntry {
  path: string;
  /** Hosts whose routes use the certificate, in matching order; nothing else gets it. */
  filters: string[];
}

/** A TLS server-name rule of fe_tls: which backend a ClientHello for `host` goes to. */
export interface SniEntryView {
  host: string;
  /** `tcp_<upstream>` (passthrough), {@link TLS_TERMINATE_BACKEND} or {@link TLS_REJECT_BACKEND}. */
  backend: string;
}

/** A validated HTTP host with its routes and redirects, in matching order. */
export interface HostView {
  host: string;
  sslOnly: boolean;
  /** Name of the (valid) certificate terminating TLS for the host, or "". */
  certificate: string;
  routes: RouteView[];
  redirects: RedirectView[];
}

/** The routes and redirects of a host merged in matching order (see {@link PathRuleView}). */
export function pathRules(h: HostView): PathRuleView[] {
  const rules: PathRuleView[] = [
    ...h.redirects.map((redirect) => ({ kind: 'redirect' as const, redirect })),
    ...h.routes.map((route) => ({ kind: 'route' as const, route })),
  ];
  const length = (r: PathRuleView): number => (r.kind === 'route' ? r.route.prefixLength : r.redirect.prefixLength);
  // Stable sort: each list is already longest first, redirects come before routes on a tie.
  return rules.sort((x, y) => length(y) - length(x));
}


/** Collects diagnostics in discovery order. */
class Diagnostics {
  readonly list: Diagnostic[] = [];

  error(code: string, message: string, service = '', label = ''): void {
    this.list.push({ service, label, code, message, severity: Severity.SEVERITY_ERROR });
  }

  warn(code: string, message: string, service = '', label = ''): void {
    this.list.push({ service, label, code, message, severity: Severity.SEVERITY_WARNING });
  }
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Exact names first (alphabetical), then wildcards, most specific (longest) first. */
function compareHosts(a: string, b: string): number {
  const wa = a.startsWith('*.');
  const wb = b.startsWith('*.');
  if (wa !== wb) return wa ? 1 : -1;
  if (wa && a.length !== b.length) return b.length - a.length;
  return compareStrings(a, b);
}

/**
 * Whether the wildcard `*.suffix` covers `host` (an exact name, or a narrower wildcard) and is not
 * `host` itself: a name of one or more labels before `.suffix`.
 */
function wildcardCovers(wildcard: string, host: string): boolean {
  const suffix = wildcard.slice(1);
  return host !== wildcard && host.endsWith(suffix) && host.length > suffix.length;
}

/** The path without its trailing slash ("" for "/"). */
function trimSlash(path: string): string {
  return path.endsWith('/') ? path.slice(0, -1) : path;
}

function validPort(value: number | undefined, fallback: number, what: string, d: Diagnostics): number {
  if (value === undefined) return fallback;
  if (Number.isInteger(value) && value >= 1 && value <= 65535) return value;
  d.error('invalid-option', `${what} ${String(value)} is not a port number (1-65535); using ${fallback}`);
  return fallback;
}

/** Everything decided about a model before sections are laid out (shared by the one-file and split layouts). */
export interface HaproxyAnalysis {
  config: HaproxyConfig;
  httpPort: number;
  httpsPort: number;
  /** `:<publishedHttpsPort>` of ssl_only redirects, or "" when that port is 443. */
  httpsRedirectPort: string;
  proxyId: string | undefined;
  maxFileBytes: number;
  /** Valid upstreams by name, sorted by name. */
  upstreams: Map<string, UpstreamView>;
  /** The crt-list of the terminating bind: used certificates only, each filtered to its hosts (empty: no termination). */
  certList: CertListEntry[];
  /** Valid HTTP hosts in matching order (exact names alphabetically, then wildcards longest first). */
  hosts: HostView[];
  /** Path prefix → ACL name, in first-use order. */
  pathAcls: Map<string, string>;
  /** Valid SNI passthrough routes in matching order. */
  sniRoutes: { host: string; upstream: UpstreamView }[];
  /**
   * The TLS server-name rules of fe_tls in matching order (exact names, then wildcards longest first):
   * the passthrough routes, plus the HTTP hosts a wildcard of another service (SNI passthrough or
   * certificate) would otherwise capture, sent to their own termination or refused.
   */
  sniEntries: SniEntryView[];
  defaultUpstream: UpstreamView | undefined;
  /** Comment lines at the top of every file. */
  header: string[];
  /** Sorted diagnostics. */
  diagnostics: Diagnostic[];
}

/**
 * Builds the view model and the diagnostics for one ProxyModel, laid out as one `haproxy.cfg`
 * (whatever its size). Pure and deterministic.
 */
export function buildHaproxyView(
  model: ProxyModel,
  options: HaproxyRenderOptions = {},
): { view: HaproxyView; diagnostics: Diagnostic[] } {
  const analysis = analyzeModel(model, options);
  return { view: { header: analysis.header, sections: singleFileSections(analysis).map(printSection) }, diagnostics: analysis.diagnostics };
}

/** Prints a section's lines (indented by four spaces) for the template. */
export function printSection(s: HaproxySection): HaproxyPrintedSection {
  return { comments: s.comments, title: s.title, body: s.lines.length === 0 ? '' : `    ${s.lines.join('\n    ')}` };
}

/** Validates the options and the model; every problem becomes a diagnostic. Pure and deterministic. */
export function analyzeModel(model: ProxyModel, options: HaproxyRenderOptions = {}): HaproxyAnalysis {
  const d = new Diagnostics();

  // ---- options --------------------------------------------------------------------------------------
  const { config, issues } = resolveHaproxyConfig(options.config);
  for (const issue of issues) {
    d.error('invalid-config', `HAProxy config ${issue.key}: ${issue.message}; using the default`);
  }
  const httpPort = validPort(options.httpPort, 80, 'httpPort', d);
  let httpsPort = validPort(options.httpsPort, 443, 'httpsPort', d);
  if (httpsPort === httpPort) {
    d.error('invalid-option', `httpsPort equals httpPort (${httpPort}); using ${httpPort === 443 ? 8443 : 443}`);
    httpsPort = httpPort === 443 ? 8443 : 443;
  }
  const publishedHttpsPort = validPort(options.publishedHttpsPort, httpsPort, 'publishedHttpsPort', d);
  let secretsDir = options.secretsDir ?? '/run/secrets';
  if (!isSafeAbsolutePath(secretsDir)) {
    d.error('unsafe-value', `secretsDir ${describeValue(secretsDir)} is not a safe absolute path; using /run/secrets`);
    secretsDir = '/run/secrets';
  }
  secretsDir = secretsDir.replace(/\/+$/, '');
  const { maxFileBytes, problem: maxFileBytesProblem } = resolveMaxFileBytes(options.maxFileBytes);
  if (maxFileBytesProblem !== undefined) d.error('invalid-option', maxFileBytesProblem);
  let proxyId: string | undefined;
  if (options.proxyId !== undefined && options.proxyId !== '') {
    if (isSafeToken(options.proxyId)) proxyId = options.proxyId;
    else d.error('unsafe-value', `proxyId ${describeValue(options.proxyId)} is not a safe token; using the host name`);
  }

  // ---- upstreams ------------------------------------------------------------------------------------
  const taskConnect = taskConnectTimeout(config);
  const upstreams = new Map<string, UpstreamView>();
  const sortedUpstreams = [...model.upstreams].sort((a, b) => compareStrings(a.name, b.name));
  for (const up of sortedUpstreams) {
    const service = firstService(up);
    if (!isSafeToken(up.name)) {
      d.error('unsafe-value', `upstream name ${describeValue(up.name)} is not a safe identifier; upstream skipped`, service);
      continue;
    }
    if (upstreams.has(up.name)) {
      d.error('duplicate-upstream', `upstream ${up.name} is defined more than once; the first one is used`, service);
      continue;
    }
    upstreams.set(up.name, buildUpstream(up, d, taskConnect));
  }
  const serviceOf = (name: string): string => upstreams.get(name)?.services[0] ?? '';

  // ---- certificates ---------------------------------------------------------------------------------
  const certFiles = new Map<string, string>();
  const certs = [...model.certificates].sort((a, b) => compareStrings(a.name, b.name));
  for (const cert of certs) {
    if (certFiles.has(cert.name)) {
      d.error('duplicate-certificate', `certificate ${describeValue(cert.name)} is defined more than once; the first one is used`, '', LABEL.cert);
      continue;
    }
    if (!isSafeFileName(cert.certFile) || !isSafeFileName(cert.keyFile)) {
      d.error(
        'unsafe-value',
        `certificate ${describeValue(cert.name)} has an unsafe file name (${describeValue(cert.certFile)}, ${describeValue(cert.keyFile)}); certificate skipped`,
        '',
        LABEL.cert,
      );
      continue;
    }
    if (cert.keyFile !== `${cert.certFile}.key`) {
      d.error(
        'unsupported-certificate',
        `certificate ${describeValue(cert.name)}: HAProxy loads the key from ${describeValue(`${cert.certFile}.key`)}, but the key file is ${describeValue(cert.keyFile)}; certificate skipped`,
        '',
        LABEL.cert,
      );
      continue;
    }
    certFiles.set(cert.name, `${secretsDir}/${cert.certFile}`);
  }

  // ---- HTTP hosts -----------------------------------------------------------------------------------
  const pathAcls = new Map<string, string>();
  const pathAclFor = (path: string): string | undefined => {
    const prefix = trimSlash(path);
    if (prefix === '') return undefined;
    let acl = pathAcls.get(prefix);
    if (acl === undefined) {
      acl = `p${pathAcls.size}`;
      pathAcls.set(prefix, acl);
    }
    return acl;
  };
  const hosts = new Map<string, HostView>();
  let routeCount = 0;
  let redirectCount = 0;
  const sortedHosts = [...model.hosts].sort((a, b) => compareHosts(a.host, b.host));
  for (const h of sortedHosts) {
    const service = h.routes[0] ? serviceOf(h.routes[0].upstream) : '';
    if (!isSafeHost(h.host)) {
      d.error('unsafe-value', `host ${describeValue(h.host)} is not a valid lower-case host name; host skipped`, service, LABEL.hosts);
      continue;
    }
    if (hosts.has(h.host)) {
      d.error('duplicate-host', `host ${h.host} appears more than once; the first one is used`, service, LABEL.hosts);
      continue;
    }
    if (h.certificate !== '' && !certFiles.has(h.certificate)) {
      d.warn(
        'unknown-certificate',
        `host ${h.host} refers to certificate ${describeValue(h.certificate)}, which is not available; HTTPS requests get the default certificate`,
        service,
        LABEL.cert,
      );
    }
    const view: HostView = { host: h.host, sslOnly: h.sslOnly, certificate: certFiles.has(h.certificate) ? h.certificate : '', routes: [], redirects: [] };
    for (const route of sortRoutes(h)) {
      const rservice = serviceOf(route.upstream) || service;
      if (!isSafePath(route.path)) {
        d.error('unsafe-value', `route path ${describeValue(route.path)} on host ${h.host} is not a safe URL path; route skipped`, rservice, LABEL.contextRoot);
        continue;
      }
      const upstream = upstreams.get(route.upstream);
      if (upstream === undefined) {
        d.error('unknown-upstream', `route ${route.path} on host ${h.host} refers to unknown upstream ${describeValue(route.upstream)}; route skipped`, rservice);
        continue;
      }
      const prefix = trimSlash(route.path);
      if (view.routes.some((r) => r.pathAcl === pathAclFor(route.path))) {
        d.error('duplicate-route', `host ${h.host} has more than one route for ${route.path}; the first one is used`, rservice, LABEL.contextRoot);
        continue;
      }
      upstream.usedHttp = true;
      if (route.websocket) upstream.websocket = true;
      view.routes.push({
        id: `r${routeCount++}`,
        pathAcl: pathAclFor(route.path),
        prefixLength: prefix.length,
        stripSegments: route.stripPrefix && prefix !== '' ? prefix.split('/').length - 1 : 0,
        upstream,
      });
    }
    const redirects = [...h.redirects].sort(
      (a, b) => trimSlash(b.fromPath).length - trimSlash(a.fromPath).length || compareStrings(a.fromPath, b.fromPath),
    );
    for (const r of redirects) {
      if (!isSafePath(r.fromPath)) {
        d.error('unsafe-value', `redirect source ${describeValue(r.fromPath)} on host ${h.host} is not a safe URL path; redirect skipped`, service, LABEL.redirects);
        continue;
      }
      if (!isSafeRedirectUrl(r.toUrl)) {
        d.error('unsafe-value', `redirect target ${describeValue(r.toUrl)} on host ${h.host} is not a safe http(s) URL; redirect skipped`, service, LABEL.redirects);
        continue;
      }
      // The original URI (starting with "/") is appended, so a trailing slash of the target is dropped.
      view.redirects.push({
        id: `d${redirectCount++}`,
        pathAcl: pathAclFor(r.fromPath),
        prefixLength: trimSlash(r.fromPath).length,
        toUrl: r.toUrl.replace(/\/+$/, ''),
      });
    }
    hosts.set(h.host, view);
  }

  // ---- SNI passthrough ------------------------------------------------------------------------------
  const sniRoutes: { host: string; upstream: UpstreamView }[] = [];
  const seenSni = new Set<string>();
  for (const s of [...model.sniRoutes].sort((a, b) => compareHosts(a.host, b.host))) {
    const service = serviceOf(s.upstream);
    if (!isSafeHost(s.host)) {
      d.error('unsafe-value', `SNI host ${describeValue(s.host)} is not a valid lower-case host name; route skipped`, service, LABEL.passthrough);
      continue;
    }
    if (seenSni.has(s.host)) {
      d.error('duplicate-host', `SNI host ${s.host} appears more than once; the first one is used`, service, LABEL.passthrough);
      continue;
    }
    const upstream = upstreams.get(s.upstream);
    if (upstream === undefined) {
      d.error('unknown-upstream', `SNI route ${s.host} refers to unknown upstream ${describeValue(s.upstream)}; route skipped`, service, LABEL.passthrough);
      continue;
    }
    seenSni.add(s.host);
    upstream.usedTcp = true;
    sniRoutes.push({ host: s.host, upstream });
  }

  // ---- TLS: certificate list and server-name rules ---------------------------------------------------
  const hostList = [...hosts.values()];
  const certList: CertListEntry[] = [];
  for (const [name, path] of certFiles) {
    const filters = hostList.filter((h) => h.certificate === name).map((h) => h.host);
    // An unused certificate is not loaded: without filters HAProxy would offer it for its own names.
    if (filters.length > 0) certList.push({ path, filters });
  }
  const terminateTls = certList.length > 0;
  const sniEntries: SniEntryView[] = sniRoutes.map((s) => ({ host: s.host, backend: `tcp_${s.upstream.name}` }));
  const sniHosts = new Set(sniRoutes.map((s) => s.host));
  const sniWildcards = sniRoutes.filter((s) => s.host.startsWith('*.')).map((s) => s.host);
  const certWildcards = hostList.filter((h) => h.host.startsWith('*.') && h.certificate !== '').map((h) => h.host);
  for (const h of hostList) {
    if (sniHosts.has(h.host)) continue;
    const ownTls = terminateTls && h.certificate !== '';
    const captured = sniWildcards.some((w) => wildcardCovers(w, h.host)) || (!ownTls && certWildcards.some((w) => wildcardCovers(w, h.host)));
    if (captured) sniEntries.push({ host: h.host, backend: ownTls ? TLS_TERMINATE_BACKEND : TLS_REJECT_BACKEND });
  }
  sniEntries.sort((x, y) => compareHosts(x.host, y.host));

  // ---- default backend ------------------------------------------------------------------------------
  let defaultUpstream: UpstreamView | undefined;
  if (model.defaultUpstream !== '') {
    defaultUpstream = upstreams.get(model.defaultUpstream);
    if (defaultUpstream === undefined) {
      d.error(
        'unknown-upstream',
        `default upstream ${describeValue(model.defaultUpstream)} is unknown; unknown hosts get the 503 page`,
        '',
        LABEL.defaultBackend,
      );
    } else {
      defaultUpstream.usedHttp = true;
    }
  }

  const header = ['Generated by Switchyard (@switchyard/render-haproxy). Do not edit: changes are overwritten.'];
  // No model hash or version here: the file must change only when routing does (a diagnostic
  // or status change must not roll the proxy).
  if (model.serviceCluster !== '' && isSafeToken(model.serviceCluster)) header.push(`service cluster ${model.serviceCluster}`);

  d.list.sort(
    (a, b) => compareStrings(a.service, b.service) || compareStrings(a.label, b.label) || compareStrings(a.code, b.code),
  );
  return {
    config,
    httpPort,
    httpsPort,
    httpsRedirectPort: publishedHttpsPort === 443 ? '' : `:${publishedHttpsPort}`,
    proxyId,
    maxFileBytes,
    upstreams,
    certList,
    hosts: hostList,
    pathAcls,
    sniRoutes,
    sniEntries,
    defaultUpstream,
    header,
    diagnostics: d.list,
  };
}

/** Socket of the terminating TLS bind (fe_tls hands connections over to it). */
export function tlsSocketOf(a: HaproxyAnalysis): string {
  return `abns@switchyard-tls-${a.httpsPort}`;
}

/**
 * The terminating bind line of fe_http, or undefined when no certificate is used. Certificates come
 * from the crt-list ({@link CERT_LIST_FILE}, or its parts, one `crt-list` argument each; see
 * {@link certListFiles}), each only for the hosts that use it, and `strict-sni` refuses any other
 * server name (no default certificate), as nginx's default TLS server does.
 */
export function tlsBindOf(a: HaproxyAnalysis): string | undefined {
  if (a.certList.length === 0) return undefined;
  const ssl = a.config.SSLOpts.trim();
  const lists = certListFiles(a).map((f) => `crt-list ${f.path}`);
  return [`bind ${tlsSocketOf(a)} accept-proxy ssl ${lists.join(' ')} strict-sni`, 'alpn h2,http/1.1', ...(ssl ? [ssl] : [])].join(' ');
}

/** Most words HAProxy reads on a configuration line (its `MAX_LINE_ARGS`; it truncates the rest and refuses the file). */
export const HAPROXY_MAX_LINE_WORDS = 64;

/**
 * A `too-many-certificate-lists` error when the terminating bind line, one `crt-list` argument per
 * crt-list file, has more than {@link HAPROXY_MAX_LINE_WORDS} words (about 28 files: millions of
 * certificates at the default `maxFileBytes`; a larger `maxFileBytes` makes fewer files). None otherwise.
 */
export function bindLineProblems(a: HaproxyAnalysis): Diagnostic[] {
  const words = tlsBindOf(a)?.split(' ').length ?? 0;
  if (words <= HAPROXY_MAX_LINE_WORDS) return [];
  const message = `the terminating bind line names ${certListFiles(a).length} crt-list files and has ${words} words, more than HAProxy reads (${HAPROXY_MAX_LINE_WORDS}); raise maxFileBytes`;
  return [{ service: '', label: '', code: 'too-many-certificate-lists', message, severity: Severity.SEVERITY_ERROR }];
}

/**
 * The crt-list files (`<certificate> <host>...` per line, in certificate order); none when no
 * certificate is used. One file, {@link CERT_LIST_FILE}, when it fits in `maxFileBytes` (in either
 * layout of haproxy.cfg); otherwise its lines packed in order into {@link certListPart} files of at
 * most `maxFileBytes` each (a single longer line gets a file of its own).
 */
export function certListFiles(a: HaproxyAnalysis): RenderedFile[] {
  if (a.certList.length === 0) return [];
  const top = `${[...a.header, 'Certificates of the terminating bind, each presented only for the hosts that use it (SNI filters).'].map((l) => `# ${l}\n`).join('')}`;
  const lines = a.certList.map((c) => `${c.path} ${c.filters.join(' ')}\n`);
  const whole = top + lines.join('');
  if (byteLength(whole) <= a.maxFileBytes) return [{ path: CERT_LIST_FILE, content: whole }];
  const chunks = packChunks(lines, byteLength, a.maxFileBytes - byteLength(top));
  return chunks.map((chunk, i) => ({ path: certListPart(i), content: top + chunk.join('') }));
}

/** `backend sy_tls_terminate` and/or `backend sy_tls_reject` (after fe_tls), as its rules use them. */
export function tlsHandOffSections(a: HaproxyAnalysis): HaproxySection[] {
  const sections: HaproxySection[] = [];
  const terminate = a.certList.length > 0;
  if (terminate) {
    sections.push({
      comments: ['Hands TLS connections to the terminating bind of fe_http (client address kept via PROXY v2).'],
      title: `backend ${TLS_TERMINATE_BACKEND} from sy_tcp`,
      lines: [`server terminate ${tlsSocketOf(a)} send-proxy-v2`],
    });
  }
  if (!terminate || a.sniEntries.some((e) => e.backend === TLS_REJECT_BACKEND)) {
    sections.push({
      comments: [
        terminate
          ? 'TLS for hosts without TLS of their own that a wildcard of another service would capture: closed.'
          : 'No certificate to terminate TLS with: connections without a passthrough route are closed.',
      ],
      title: `backend ${TLS_REJECT_BACKEND} from sy_tcp`,
      lines: ['tcp-request content reject'],
    });
  }
  return sections;
}

/** `backend sy_default`: the 503 page for unknown hosts. */
export function unknownHostSection(): HaproxySection {
  return {
    comments: ['Requests for unknown hosts.'],
    title: 'backend sy_default',
    lines: [`http-request return status 503 content-type text/html string '${PAGE_503}'`],
  };
}

/** The backends of the used upstreams: HTTP ones, then TLS passthrough ones, each sorted by name. */
export function backendSections(a: HaproxyAnalysis): HaproxySection[] {
  const sections: HaproxySection[] = [];
  for (const up of a.upstreams.values()) if (up.usedHttp) sections.push(httpBackend(up));
  for (const up of a.upstreams.values()) if (up.usedTcp) sections.push(tcpBackend(up));
  return sections;
}

/** The sections of the one-file layout, in file order. */
export function singleFileSections(a: HaproxyAnalysis): HaproxySection[] {
  const { config, httpsPort, httpPort, sniRoutes, defaultUpstream, proxyId } = a;
  const terminateTls = a.certList.length > 0;
  const sections: HaproxySection[] = [globalSection(config), tcpDefaultsSection(config), defaultsSection(config)];

  if (terminateTls || sniRoutes.length > 0) {
    const lines = [
      `bind :${httpsPort}`,
      `tcp-request inspect-delay ${SNI_INSPECT_DELAY}`,
      'tcp-request content accept if { req.ssl_hello_type 1 }',
    ];
    for (const s of a.sniEntries) {
      lines.push(
        s.host.startsWith('*.')
          ? `use_backend ${s.backend} if { req.ssl_sni,lower -m end ${s.host.slice(1)} }`
          : `use_backend ${s.backend} if { req.ssl_sni -i ${s.host} }`,
      );
    }
    lines.push(`default_backend ${terminateTls ? TLS_TERMINATE_BACKEND : TLS_REJECT_BACKEND}`);
    sections.push({
      comments: ['TLS listener: SNI passthrough routes, everything else is terminated by fe_http.'],
      title: 'frontend fe_tls from sy_tcp',
      lines,
    });
    sections.push(...tlsHandOffSections(a));
  }

  sections.push(
    httpFrontend({
      config,
      httpPort,
      tlsBind: tlsBindOf(a),
      hosts: a.hosts,
      pathAcls: a.pathAcls,
      defaultBackend: defaultUpstream ? `up_${defaultUpstream.name}` : 'sy_default',
      proxyId,
      httpsRedirectPort: a.httpsRedirectPort,
    }),
  );

  sections.push(statsSection(config));
  if (!defaultUpstream) sections.push(unknownHostSection());
  sections.push(...backendSections(a));
  return sections;
}

function firstService(up: Upstream): string {
  return up.services[0] ?? up.endpoints[0]?.service ?? '';
}

function sortRoutes(h: HttpHost): HttpHost['routes'] {
  return [...h.routes].sort(
    (a, b) => trimSlash(b.path).length - trimSlash(a.path).length || compareStrings(a.path, b.path),
  );
}

function compareEndpoints(a: Endpoint, b: Endpoint): number {
  return compareStrings(a.address, b.address) || a.port - b.port || compareStrings(a.taskId, b.taskId);
}

/**
 * Task-mode upstreams (anything but vip mode: task is Interlock's default) point at task IPs, which
 * vanish when a task stops; vip-mode ones point at a service VIP or a remote address.
 */
function isTaskMode(up: Upstream): boolean {
  return up.mode !== BackendMode.BACKEND_MODE_VIP;
}

/**
 * `timeout connect` of task-mode backends: the lower of TaskConnectTimeout and ConnectTimeout. A live
 * task on the overlay answers a SYN within milliseconds, so a short timeout only cuts the wait on a task
 * that has gone (until the next reload drops it), after which the request is redispatched.
 */
function taskConnectTimeout(c: HaproxyConfig): string {
  const taskMs = haproxyTimeMs(c.TaskConnectTimeout);
  return taskMs !== undefined && taskMs < c.ConnectTimeout * 1000 ? c.TaskConnectTimeout : `${c.ConnectTimeout}s`;
}

function buildUpstream(up: Upstream, d: Diagnostics, taskConnect: string): UpstreamView {
  const service = firstService(up);
  const view: UpstreamView = {
    name: up.name,
    services: up.services.filter((s) => isSafeToken(s)),
    servers: [],
    stickyCookie: '',
    ipHash: up.ipHash,
    tls: up.tls,
    tlsVerify: up.tls && up.tlsVerify,
    websocket: false,
    usedHttp: false,
    usedTcp: false,
    connectTimeout: isTaskMode(up) ? taskConnect : undefined,
  };
  if (up.stickyCookie !== '') {
    if (isSafeCookieName(up.stickyCookie)) view.stickyCookie = up.stickyCookie;
    else d.error('unsafe-value', `sticky cookie name ${describeValue(up.stickyCookie)} of upstream ${up.name} is not a safe cookie name; stickiness disabled`, service, LABEL.cookie);
  }
  const used = new Set<string>();
  for (const ep of [...up.endpoints].sort(compareEndpoints)) {
    const epService = isSafeToken(ep.service) ? ep.service : service;
    const target = formatEndpointAddress(ep.address, ep.port);
    if (target === undefined) {
      d.error('invalid-endpoint', `endpoint ${describeValue(`${ep.address}:${ep.port}`)} of upstream ${up.name} is not an IP address and port; endpoint skipped`, epService, LABEL.port);
      continue;
    }
    let weight = ep.weight === 0 ? 1 : ep.weight;
    if (weight > MAX_WEIGHT) {
      d.warn('weight-clamped', `weight ${weight} of endpoint ${target} in upstream ${up.name} exceeds ${MAX_WEIGHT}; using ${MAX_WEIGHT}`, epService);
      weight = MAX_WEIGHT;
    }
    let base: string;
    if (ep.taskId !== '' && isSafeToken(ep.taskId)) {
      base = `task-${ep.taskId}`;
    } else {
      if (ep.taskId !== '') d.warn('unsafe-value', `task id ${describeValue(ep.taskId)} is not a safe identifier; server named after its address`, epService);
      const mode = up.mode === BackendMode.BACKEND_MODE_VIP ? 'vip' : 'ep';
      base = `${mode}-${ep.address.replace(/[^0-9A-Za-z]/g, '_')}-${ep.port}`;
    }
    let name = base;
    for (let i = 2; used.has(name); i++) name = `${base}-${i}`;
    used.add(name);
    view.servers.push({ name, target, weight });
  }
  return view;
}

/** The `global` section (DH params, TLS defaults, GlobalOptions). */
export function globalSection(c: HaproxyConfig): HaproxySection {
  // Relative paths (crt-list, split-layout maps) resolve next to haproxy.cfg.
  const lines = ['default-path config', `maxconn ${c.MaxConnections}`, `pidfile ${c.PidPath}`];
  // Graceful master-worker reloads: the new worker takes the listeners over through this socket, and
  // the old workers drain for at most HardStopAfter. A GlobalOptions line printed later wins.
  if (c.AdminSocketPath !== '') lines.push(`stats socket ${c.AdminSocketPath} mode 600 level admin expose-fd listeners`);
  if (c.HardStopAfter !== '') lines.push(`hard-stop-after ${c.HardStopAfter}`);
  // OpenSSL 3 refuses DH parameters below 2048 bits (Interlock's default is 1024).
  lines.push(`tune.ssl.default-dh-param ${Math.max(2048, c.SSLDefaultDHParam)}`);
  if (c.SSLCiphers !== '') lines.push(`ssl-default-bind-ciphers ${c.SSLCiphers}`);
  const range = sslVersionRange(c.SSLProtocols);
  const bindOptions = [range.min ? `ssl-min-ver ${range.min}` : '', range.max ? `ssl-max-ver ${range.max}` : '']
    .filter((s) => s !== '')
    .join(' ');
  if (bindOptions !== '') lines.push(`ssl-default-bind-options ${bindOptions}`);
  lines.push(`ssl-server-verify ${c.SSLVerify}`);
  lines.push(...rawLines(c.GlobalOptions));
  return { comments: [], title: 'global', lines };
}

/** Named defaults for the TLS (mode tcp) sections; DefaultOptions do not apply to them. */
export function tcpDefaultsSection(c: HaproxyConfig): HaproxySection {
  return {
    comments: ['Defaults of the TCP sections (TLS listener, passthrough backends).'],
    title: 'defaults sy_tcp',
    lines: ['mode tcp', 'option redispatch', 'retries 3', ...timeoutLines(c)],
  };
}

/** The configured timeouts, the same in both defaults sections (HTTP and TCP). */
function timeoutLines(c: Pick<HaproxyConfig, 'ConnectTimeout' | 'ClientTimeout' | 'ServerTimeout'>): string[] {
  return [`timeout connect ${c.ConnectTimeout}s`, `timeout client ${c.ClientTimeout}s`, `timeout server ${c.ServerTimeout}s`];
}

/**
 * Requests the HTTP frontends let HAProxy resend to another server when the first one closed the
 * connection without answering (a task stopped mid-request during a scale-down or a rolling update):
 * only GET, HEAD and OPTIONS, as nginx's `proxy_next_upstream` does by default; a POST is never sent twice.
 */
export const L7_RETRY_GUARD = 'http-request disable-l7-retry unless METH_GET || METH_OPTIONS';

/** Defaults of every HTTP section (the last unnamed defaults section), followed by DefaultOptions. */
export function defaultsSection(c: HaproxyConfig): HaproxySection {
  const lines = [
    'mode http',
    'option redispatch',
    'retries 3',
    // A refused connection, or a server that closed without answering, is retried on another server
    // (see L7_RETRY_GUARD for which methods).
    'retry-on conn-failure empty-response',
    ...timeoutLines(c),
    ...rawLines(c.DefaultOptions),
  ];
  return { comments: ['Defaults of the HTTP sections.'], title: 'defaults', lines };
}

/** Operator-provided raw lines, already validated by the config schema; re-checked defensively. */
function rawLines(lines: readonly string[]): string[] {
  return lines.filter((l) => optionLineProblem(l) === undefined && l.trim() !== '').map((l) => l.trim());
}

/** `backend sy_stats`: the statistics page. */
export function statsSection(c: HaproxyConfig): HaproxySection {
  const lines = ['stats enable', `stats uri ${STATS_PATH}`, 'stats refresh 10s'];
  if (c.HideInfoHeaders) lines.push('stats hide-version');
  if (c.AdminUser !== '') lines.push('stats realm Switchyard', `stats auth ${c.AdminUser}:${c.AdminPass}`);
  return {
    comments: [
      c.AdminUser !== ''
        ? `Statistics at ${STATS_PATH}, basic auth (AdminUser/AdminPass).`
        : `Statistics at ${STATS_PATH}, loopback clients only (set AdminUser/AdminPass to open it with basic auth).`,
    ],
    title: 'backend sy_stats',
    lines,
  };
}

interface HttpFrontendInput {
  config: HaproxyConfig;
  httpPort: number;
  tlsBind: string | undefined;
  hosts: HostView[];
  pathAcls: Map<string, string>;
  defaultBackend: string;
  proxyId: string | undefined;
  httpsRedirectPort: string;
}

/**
 * The first lines of fe_http, the same in both layouts: the listeners, the request id, the host and path
 * normalization and the ACLs the routing rules test (`has_vh`, `has_route`, the stats page). With them,
 * `statsCondition`: when a request is for the stats page (from loopback clients only unless AdminUser is set).
 */
export function httpFrontendHead(
  config: Pick<HaproxyConfig, 'AdminUser'>,
  httpPort: number,
  tlsBind: string | undefined,
): { lines: string[]; statsCondition: string } {
  const lines: string[] = [`bind :${httpPort}`];
  if (tlsBind !== undefined) lines.push(tlsBind);
  lines.push(
    'option forwardfor',
    L7_RETRY_GUARD,
    'unique-id-format %[uuid()]',
    'http-request set-header X-Request-ID %[unique-id]',
    HOST_VAR_RULE,
    ...PATH_NORMALIZATION_RULES,
    'acl has_vh var(txn.vh) -m found',
    'acl has_route var(txn.route) -m found',
    `acl stats_path path ${STATS_PATH}`,
  );
  if (config.AdminUser === '') lines.push('acl stats_client src 127.0.0.0/8 ::1');
  return { lines, statsCondition: config.AdminUser !== '' ? 'stats_path' : 'stats_path stats_client' };
}

function httpFrontend(input: HttpFrontendInput): HaproxySection {
  const { config, hosts } = input;
  const { lines, statsCondition } = httpFrontendHead(config, input.httpPort, input.tlsBind);

  // ACL declarations.
  hosts.forEach((h, i) => {
    lines.push(
      h.host.startsWith('*.')
        ? `acl h${i} var(txn.host) -m end ${h.host.slice(1)}`
        : `acl h${i} var(txn.host) -m str ${h.host}`,
      `acl vh${i} var(txn.vh) -m str h${i}`,
    );
  });
  for (const [prefix, acl] of input.pathAcls) {
    lines.push(`acl ${acl} var(txn.mpath) -m str ${prefix}`, `acl ${acl} var(txn.mpath) -m beg ${prefix}/`);
  }

  // Stats, then virtual host selection (exact names before wildcards, first match wins).
  lines.push(`http-request set-var(txn.route) str(stats) if ${statsCondition}`);
  hosts.forEach((_h, i) => lines.push(`http-request set-var(txn.vh) str(h${i}) if !has_route !has_vh h${i}`));

  // Plain HTTP to HTTPS for ssl_only hosts.
  hosts.forEach((h, i) => {
    if (h.sslOnly) {
      lines.push(`${sslOnlyRedirect(input.httpsRedirectPort)} if !has_route !{ ssl_fc } vh${i}`);
    }
  });

  // Route or redirect selection: within each host the longest prefix first, a redirect first on an
  // equal prefix; then the selected redirect answers.
  hosts.forEach((h, i) => {
    for (const rule of pathRules(h)) {
      const { id, pathAcl } = rule.kind === 'route' ? rule.route : rule.redirect;
      lines.push(`http-request set-var(txn.route) str(${id}) if !has_route vh${i}${pathAcl ? ` ${pathAcl}` : ''}`);
    }
  });
  for (const h of hosts) {
    for (const r of h.redirects) {
      lines.push(`http-request redirect location ${r.toUrl}%[capture.req.uri] code 302 if { var(txn.route) -m str ${r.id} }`);
    }
  }
  if (hosts.length > 0) {
    lines.push(NO_ROUTE_RULE);
  }
  for (const h of hosts) {
    for (const r of h.routes) {
      if (r.stripSegments > 0) lines.push(stripPrefixRule(r.stripSegments, `{ var(txn.route) -m str ${r.id} }`));
    }
  }

  // Request and response headers.
  lines.push(...headerLines(config, input.proxyId));

  // Backend selection.
  lines.push('use_backend sy_stats if { var(txn.route) -m str stats }');
  for (const h of hosts) {
    for (const r of h.routes) lines.push(`use_backend up_${r.upstream.name} if { var(txn.route) -m str ${r.id} }`);
  }
  lines.push(`default_backend ${input.defaultBackend}`);

  return {
    comments: [`HTTP on port ${input.httpPort}${input.tlsBind ? ' and terminated HTTPS from fe_tls' : ''}; ${hosts.length} host(s).`],
    title: 'frontend fe_http',
    lines,
  };
}

/**
 * Passive ejection of task endpoints: the first connection that fails to a task (it stopped, its
 * node went away) takes it out of the pool at once, so the next requests skip it instead of each
 * paying a connect timeout and a retry; a TCP check every 2 s puts a live one back. The same role as
 * nginx's default `max_fails=1`. Until the next reload drops a stopped task, this is what keeps
 * requests off it.
 */
export const TASK_SERVER_HEALTH = 'check inter 2s fall 3 rise 1 observe layer4 error-limit 1 on-error mark-down';

function serverLines(up: UpstreamView, http: boolean): string[] {
  return up.servers.map((s) => {
    let line = `server ${s.name} ${s.target} weight ${s.weight}`;
    // The check is a plain TCP connect, also for TLS backends (no handshake, no SNI to guess).
    if (up.connectTimeout !== undefined) line += ` ${TASK_SERVER_HEALTH}${http && up.tls ? ' no-check-ssl' : ''}`;
    if (http && up.tls) {
      line += up.tlsVerify
        ? ' ssl verify required ca-file @system-ca sni req.hdr(host),host_only'
        : ' ssl verify none sni req.hdr(host),host_only';
    }
    return line;
  });
}

function httpBackend(up: UpstreamView): HaproxySection {
  const comments = up.services.length > 0 ? [`services: ${up.services.join(', ')}`] : [];
  if (up.servers.length === 0) {
    return {
      comments: [...comments, 'No running endpoints: every request gets 503.'],
      title: `backend up_${up.name}`,
      lines: [`http-request return status 503 content-type text/html string '${PAGE_503}'`],
    };
  }
  const lines: string[] = [];
  if (up.stickyCookie !== '') lines.push(`balance hash req.cook(${up.stickyCookie})`, 'hash-type consistent');
  else if (up.ipHash) lines.push('balance source', 'hash-type consistent');
  else lines.push('balance roundrobin');
  if (up.connectTimeout !== undefined) lines.push(`timeout connect ${up.connectTimeout}`);
  if (up.websocket) lines.push(`timeout tunnel ${WEBSOCKET_TUNNEL_TIMEOUT}`);
  lines.push(...serverLines(up, true));
  return { comments, title: `backend up_${up.name}`, lines };
}

function tcpBackend(up: UpstreamView): HaproxySection {
  const comments = [...(up.services.length > 0 ? [`services: ${up.services.join(', ')}`] : []), 'TLS passthrough.'];
  const lines = [up.ipHash ? 'balance source' : 'balance roundrobin'];
  if (up.ipHash) lines.push('hash-type consistent');
  if (up.connectTimeout !== undefined) lines.push(`timeout connect ${up.connectTimeout}`);
  lines.push(...serverLines(up, false));
  return { comments, title: `backend tcp_${up.name} from sy_tcp`, lines };
}

/**
 * Request headers every routed request gets (forwarding information) and, unless HideInfoHeaders,
 * the response headers Interlock adds. Shared by the one-file and the split layouts.
 */
export function headerLines(config: Pick<HaproxyConfig, 'HideInfoHeaders'>, proxyId: string | undefined): string[] {
  const lines = [
    'http-request set-header X-Forwarded-Proto https if { ssl_fc }',
    'http-request set-header X-Forwarded-Proto http if !{ ssl_fc }',
    'http-request set-header X-Real-IP %[src]',
  ];
  if (!config.HideInfoHeaders) {
    lines.push(
      'http-response set-header x-upstream-addr %si:%sp',
      'http-response set-header x-upstream-response-time %Tr',
      'http-after-response set-header x-request-id %[unique-id]',
      `http-after-response set-header x-proxy-id ${proxyId ?? '%[hostname]'}`,
      `http-after-response set-header x-server-info ${SERVER_INFO}`,
    );
  }
  return lines;
}
