import {
  Severity,
  type Diagnostic,
  type HttpHost,
  type ProxyModel,
  type Redirect,
  type Route,
  type ServiceStatus,
  type SniRoute,
  type TlsCertificate,
  type Upstream,
} from '@switchyard/proto';
import { hostMatches } from '@switchyard/labels/safe';

/** How a requested host name matched a host of the model. */
export type HostMatch = 'exact' | 'wildcard';

/**
 * What the proxy does with one request:
 * - `proxy`: forwarded to an upstream by a route of the host;
 * - `redirect`: answered with a redirect from a `redirects` label;
 * - `https-redirect`: plain HTTP on an `ssl_only` host, redirected to `https://`;
 * - `passthrough`: the TLS connection is passed, still encrypted, to an upstream chosen by SNI;
 * - `default-backend`: no host of the model matches, the default upstream answers;
 * - `unavailable`: the proxy answers 503 (unknown host without default backend, no route for the
 *   path, or an upstream without endpoints);
 * - `no-tls`: nothing serves TLS for this host (no certificate and no SNI passthrough route).
 */
export type OutcomeKind = 'proxy' | 'redirect' | 'https-redirect' | 'passthrough' | 'default-backend' | 'unavailable' | 'no-tls';

/** How the proxy answers the request on one listener (plain HTTP or TLS). */
export interface RequestOutcome {
  kind: OutcomeKind;
  /** One sentence saying what happens and why, for people. */
  summary: string;
  /** Host of the model that matched (`""` when none). */
  matchedHost: string;
  /** How `matchedHost` matched (absent when none did). */
  hostMatch?: HostMatch;
  /** Name of the upstream the request is sent to (`""` when none). */
  upstream: string;
  /** The route that matched (kinds `proxy`, and `unavailable` when the route's upstream cannot answer). */
  route?: Route;
  /**
   * Path the upstream receives, without the query; set with `route`. Without `strip_prefix` it is the
   * path as requested (both proxies pass the request line on unchanged: `/a/../b` stays `/a/../b`);
   * with `strip_prefix`, what follows the prefix in the normalized path (`/` when nothing does).
   */
  forwardedPath?: string;
  /** The redirect that matched (kind `redirect`). */
  redirect?: Redirect;
  /** Value of the `Location` header (kinds `redirect` and `https-redirect`). */
  location?: string;
  /** The certificate terminating TLS (TLS outcomes of terminated hosts only). */
  certificate?: TlsCertificate;
}

/** One service's part of an upstream pool. */
export interface ServiceShare {
  service: string;
  /** Endpoints the service contributes to the pool. */
  endpoints: number;
  /** Running tasks of the service (from `ServiceStatus`; 0 when the service has no status). */
  runningTasks: number;
  /** Fraction (0..1) of the pool's traffic: the service's endpoint weights over all weights. */
  share: number;
}

/** An upstream pool serving the request, with how its traffic splits between services. */
export interface UpstreamExplanation {
  /** The upstream as it is in the model (endpoints, sticky cookie, ip_hash, TLS, mode, services). */
  upstream: Upstream;
  /** One entry per service of `upstream.services`, in that order. */
  shares: ServiceShare[];
}

/** A labelled service that claims the requested host (or whose labels could not be read). */
export interface ServiceClaim {
  service: string;
  /** Hosts the service claims (empty when its labels could not be read). */
  hosts: string[];
  /** Whether the service is routed anywhere in the model. */
  routed: boolean;
  runningTasks: number;
  /** Whether the service has endpoints in an upstream that serves this request. */
  serving: boolean;
  /** The model's diagnostics about this service: why it is not routed, or not for this request. */
  diagnostics: Diagnostic[];
}

/** Everything {@link explainRequest} found out about one request. */
export interface Explanation {
  /** The normalized host name explained (lower case, no port, no trailing dot). */
  host: string;
  /** The normalized path explained (no query string, dot segments resolved). */
  path: string;
  serviceCluster: string;
  modelVersion: number;
  /** What a plain HTTP request gets. */
  http: RequestOutcome;
  /** What an HTTPS request (a TLS connection with this server name) gets. */
  https: RequestOutcome;
  /** The upstreams of `http` and `https`, once each, sorted by name. */
  upstreams: UpstreamExplanation[];
  /** Services claiming the host, sorted by name. */
  claimants: ServiceClaim[];
  /**
   * Services that are not routed because of errors in their labels, so their hosts are unknown: any
   * of them may be meant to serve this host. Sorted by name.
   */
  unreadable: ServiceClaim[];
  /**
   * True when plain HTTP or HTTPS reaches an endpoint through a route or SNI route of this host, or
   * is answered by one of its redirects. False for the 503 page, a default backend, no route for the
   * path, or routes whose upstream has no endpoints.
   */
  routed: boolean;
}

const SUCCESS: ReadonlySet<OutcomeKind> = new Set<OutcomeKind>(['proxy', 'passthrough', 'redirect']);

/**
 * Explains how the proxies of one service cluster answer a request for `host` + `path`: which host
 * of the model matches (exact names before `*.` wildcards, the longest wildcard first), which route
 * or redirect (the longest path prefix, matched on whole segments, wins; a redirect wins over a route
 * on the same path), the TLS certificate or SNI passthrough route (for TLS too the most specific name
 * decides: a host of the model without a certificate is refused, never answered by another service's
 * wildcard certificate or wildcard passthrough route), the upstream with its endpoints, and
 * which services claim the host without serving it, with their diagnostics.
 *
 * Pure: it reads only `model`. Never throws: any host or path string gives an explanation.
 *
 * @param model the proxy model of one service cluster
 * @param host requested host name; case, a `:port` suffix and a trailing dot are ignored
 * @param path requested path (default `/`); a query string is ignored for matching but kept in redirect locations
 * @param options `publishedHttpsPort`: the port clients reach the proxy's TLS listener on (Interlock's
 *   `PublishedSSLPort`, the renderers' option of the same name; default 443), named in the `Location`
 *   of ssl_only redirects unless it is 443
 * @example
 * const e = explainRequest(model, 'app.example.com', '/api/users');
 * e.http.kind;              // 'proxy'
 * e.http.route?.path;       // '/api'
 * e.upstreams[0]?.upstream.endpoints.length;
 */
export function explainRequest(model: ProxyModel, host: string, path = '/', options: { publishedHttpsPort?: number } = {}): Explanation {
  const wanted = normalizeHost(host);
  const { path: wantedPath, uri, raw } = normalizeRequestPath(path);
  const upstreamsByName = new Map(model.upstreams.map((u) => [u.name, u] as const));

  const requested = { path: wantedPath, uri, raw };
  const port = options.publishedHttpsPort ?? 443;
  const http = explainHttp(model, wanted, requested, upstreamsByName, port === 443 ? '' : `:${port}`);
  const https = explainHttps(model, wanted, requested, upstreamsByName);

  const usedNames = [...new Set([http.upstream, https.upstream].filter((n) => n !== ''))].sort(compareStrings);
  const upstreams: UpstreamExplanation[] = [];
  for (const name of usedNames) {
    const upstream = upstreamsByName.get(name);
    if (upstream) upstreams.push({ upstream, shares: sharesOf(upstream, model.services) });
  }
  const serving = new Set(upstreams.flatMap((u) => u.upstream.endpoints.map((e) => e.service)));

  const claim = (s: ServiceStatus): ServiceClaim => ({
    service: s.name,
    hosts: [...s.hosts],
    routed: s.routed,
    runningTasks: s.runningTasks,
    serving: serving.has(s.name),
    diagnostics: model.diagnostics.filter((d) => d.service === s.name),
  });
  const claimants = model.services.filter((s) => s.hosts.some((pattern) => hostMatches(pattern, wanted))).map(claim);
  const unreadable = model.services
    .filter((s) => !s.routed && s.hosts.length === 0)
    .map(claim)
    .filter((c) => c.diagnostics.some((d) => d.severity === Severity.SEVERITY_ERROR));

  return {
    host: wanted,
    path: wantedPath,
    serviceCluster: model.serviceCluster,
    modelVersion: model.version,
    http,
    https,
    upstreams,
    claimants: claimants.sort((a, b) => compareStrings(a.service, b.service)),
    unreadable: unreadable.sort((a, b) => compareStrings(a.service, b.service)),
    routed: SUCCESS.has(http.kind) || SUCCESS.has(https.kind),
  };
}

/** A request target: the normalized path matched against routes, the URI for redirects, the raw path. */
interface RequestedPath {
  path: string;
  uri: string;
  raw: string;
}

function explainHttp(model: ProxyModel, host: string, requested: RequestedPath, upstreams: ReadonlyMap<string, Upstream>, httpsPortSuffix: string): RequestOutcome {
  const found = bestHost(model.hosts, host);
  if (!found) return unknownHost(model, host, upstreams);
  const { item: httpHost, match } = found;
  const base = { matchedHost: httpHost.host, hostMatch: match, upstream: '' };
  if (httpHost.sslOnly) {
    return {
      ...base,
      kind: 'https-redirect',
      location: `https://${host}${httpsPortSuffix}${requested.uri}`,
      summary: `host ${httpHost.host} is ssl_only: plain HTTP is redirected to HTTPS`,
    };
  }
  return resolvePath(httpHost, match, requested, upstreams, undefined);
}

function explainHttps(model: ProxyModel, host: string, requested: RequestedPath, upstreams: ReadonlyMap<string, Upstream>): RequestOutcome {
  // The most specific name decides, as on both proxies: another service's wildcard (SNI passthrough
  // or certificate) never answers for a host the model has on its own; on the same name, passthrough.
  const sni = bestHost(model.sniRoutes, host);
  const named = bestHost(model.hosts, host);
  if (sni && (!named || specificity(sni.item.host) >= specificity(named.item.host))) {
    const route: SniRoute = sni.item;
    const upstream = upstreams.get(route.upstream);
    const base = { matchedHost: route.host, hostMatch: sni.match, upstream: route.upstream };
    if (!upstream) {
      return { ...base, kind: 'unavailable', summary: `SNI route ${route.host} points at upstream ${route.upstream}, which is not in the model` };
    }
    if (upstream.endpoints.length === 0) {
      return { ...base, kind: 'unavailable', summary: `TLS for ${route.host} is passed through to upstream ${route.upstream}, which has no endpoints (no running tasks)` };
    }
    return { ...base, kind: 'passthrough', summary: `TLS for ${route.host} is passed through by SNI to upstream ${route.upstream} (the tasks terminate TLS)` };
  }
  const certificates = new Map(model.certificates.map((c) => [c.name, c] as const));
  const terminated = named && named.item.certificate !== '' ? named : undefined;
  if (!terminated) {
    return {
      kind: 'no-tls',
      matchedHost: named ? named.item.host : '',
      ...(named ? { hostMatch: named.match } : {}),
      upstream: '',
      summary: named
        ? `host ${named.item.host} has no certificate and no SNI passthrough route: the TLS handshake for ${host} is refused (a wildcard of another service never answers for it)`
        : `no certificate and no SNI passthrough route for ${host}: HTTPS is not served for this host`,
    };
  }
  const certificate = certificates.get(terminated.item.certificate);
  const outcome = resolvePath(terminated.item, terminated.match, requested, upstreams, certificate);
  return certificate ? { ...outcome, certificate } : outcome;
}

function unknownHost(model: ProxyModel, host: string, upstreams: ReadonlyMap<string, Upstream>): RequestOutcome {
  const base = { matchedHost: '', upstream: '' };
  if (model.defaultUpstream === '') {
    return { ...base, kind: 'unavailable', summary: `no service routes host ${host} and there is no default backend: the proxy answers with its 503 page` };
  }
  const upstream = upstreams.get(model.defaultUpstream);
  if (!upstream || upstream.endpoints.length === 0) {
    return {
      ...base,
      kind: 'unavailable',
      upstream: upstream ? upstream.name : '',
      summary: `no service routes host ${host}; the default backend ${model.defaultUpstream} has no endpoints: 503`,
    };
  }
  return { ...base, kind: 'default-backend', upstream: upstream.name, summary: `no service routes host ${host}: the default backend ${upstream.name} answers` };
}

function resolvePath(
  httpHost: HttpHost,
  match: HostMatch,
  requested: RequestedPath,
  upstreams: ReadonlyMap<string, Upstream>,
  certificate: TlsCertificate | undefined,
): RequestOutcome {
  const { path, uri, raw } = requested;
  const base = { matchedHost: httpHost.host, hostMatch: match, upstream: '' };
  const tls = certificate ? ` (TLS terminated with certificate ${certificate.name})` : '';
  let bestRedirect: { redirect: Redirect; length: number } | undefined;
  for (const redirect of httpHost.redirects) {
    const prefix = trimSlash(redirect.fromPath);
    if (pathUnder(prefix, path) && (!bestRedirect || prefix.length > bestRedirect.length)) bestRedirect = { redirect, length: prefix.length };
  }
  let bestRoute: { route: Route; prefix: string } | undefined;
  for (const route of httpHost.routes) {
    const prefix = trimSlash(route.path);
    if (pathUnder(prefix, path) && (!bestRoute || prefix.length > bestRoute.prefix.length)) bestRoute = { route, prefix };
  }
  if (bestRedirect && (!bestRoute || bestRedirect.length >= bestRoute.prefix.length)) {
    const { redirect } = bestRedirect;
    return {
      ...base,
      kind: 'redirect',
      redirect,
      location: `${redirect.toUrl}${uri}`,
      summary: `redirect on ${httpHost.host} from ${redirect.fromPath} to ${redirect.toUrl}${tls}`,
    };
  }
  if (!bestRoute) {
    return { ...base, kind: 'unavailable', summary: `host ${httpHost.host} has no route for ${path}: the proxy answers 503${tls}` };
  }
  const { route, prefix } = bestRoute;
  const forwardedPath = route.stripPrefix && prefix !== '' ? path.slice(prefix.length) || '/' : raw;
  const upstream = upstreams.get(route.upstream);
  const routed = { ...base, route, forwardedPath, upstream: route.upstream };
  if (!upstream) {
    return { ...routed, upstream: '', kind: 'unavailable', summary: `route ${route.path} on ${httpHost.host} points at upstream ${route.upstream}, which is not in the model: 503` };
  }
  if (upstream.endpoints.length === 0) {
    return { ...routed, kind: 'unavailable', summary: `route ${route.path} on ${httpHost.host} goes to upstream ${upstream.name}, which has no endpoints (no running tasks): 503${tls}` };
  }
  const extras = [route.stripPrefix ? `prefix ${route.path} stripped` : '', route.websocket ? 'WebSocket upgrades allowed' : ''].filter((s) => s !== '');
  return {
    ...routed,
    kind: 'proxy',
    summary: `route ${route.path} on ${httpHost.host} to upstream ${upstream.name}${extras.length > 0 ? ` (${extras.join(', ')})` : ''}${tls}`,
  };
}

function sharesOf(upstream: Upstream, statuses: readonly ServiceStatus[]): ServiceShare[] {
  const total = upstream.endpoints.reduce((n, e) => n + e.weight, 0);
  return upstream.services.map((service) => {
    const mine = upstream.endpoints.filter((e) => e.service === service);
    const weight = mine.reduce((n, e) => n + e.weight, 0);
    return {
      service,
      endpoints: mine.length,
      runningTasks: statuses.find((s) => s.name === service)?.runningTasks ?? 0,
      share: total > 0 ? weight / total : 0,
    };
  });
}

/** The best match for `host` among items with a `host` field: exact first, then the longest wildcard. */
function bestHost<T extends { host: string }>(items: readonly T[], host: string): { item: T; match: HostMatch } | undefined {
  let wildcard: T | undefined;
  for (const item of items) {
    if (item.host === host) return { item, match: 'exact' };
    if (hostMatches(item.host, host) && (!wildcard || item.host.length > wildcard.host.length)) wildcard = item;
  }
  return wildcard ? { item: wildcard, match: 'wildcard' } : undefined;
}

/** How specific a host pattern is: an exact name beats every wildcard, a longer wildcard a shorter one. */
function specificity(pattern: string): number {
  return pattern.startsWith('*.') ? pattern.length : Number.MAX_SAFE_INTEGER;
}

/** Whether the route prefix (trailing slash trimmed, `""` for `/`) covers `path` on whole segments. */
function pathUnder(prefix: string, path: string): boolean {
  return prefix === '' || path === prefix || path.startsWith(`${prefix}/`);
}

function trimSlash(path: string): string {
  return path.endsWith('/') ? path.slice(0, -1) : path;
}

function normalizeHost(host: string): string {
  let h = host.trim().toLowerCase();
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//.exec(h);
  if (scheme) h = h.slice(scheme[0].length);
  const slash = h.indexOf('/');
  if (slash >= 0) h = h.slice(0, slash);
  if (h.startsWith('[')) return h; // IPv6 literal: nothing to match anyway
  const colon = h.lastIndexOf(':');
  if (colon >= 0) h = h.slice(0, colon);
  return h.endsWith('.') ? h.slice(0, -1) : h;
}

/**
 * Splits a request target into the path matched against locations (query and fragment dropped,
 * percent-escapes decoded, `//` merged, `.`/`..` resolved, as nginx does), the URI appended to
 * redirect targets (as requested, with its query) and the raw path (as requested, without the query).
 */
function normalizeRequestPath(target: string): RequestedPath {
  let uri = target.trim();
  const hash = uri.indexOf('#');
  if (hash >= 0) uri = uri.slice(0, hash);
  if (!uri.startsWith('/')) uri = `/${uri}`;
  const query = uri.indexOf('?');
  const raw = query >= 0 ? uri.slice(0, query) : uri;
  let path = raw;
  try {
    path = decodeURIComponent(path);
  } catch {
    // keep the undecoded path: a malformed escape is matched literally
  }
  const segments: string[] = [];
  const parts = path.split('/');
  parts.forEach((segment, i) => {
    if (segment === '..') segments.pop();
    else if (segment !== '.' && (segment !== '' || i === parts.length - 1)) segments.push(segment);
  });
  path = `/${segments.join('/')}`;
  return { path, uri, raw };
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
