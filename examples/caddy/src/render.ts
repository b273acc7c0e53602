/*
 * Core's model → Caddy 2.6's native JSON config, as a pipeline of small pure steps:
 * options → upstream plans (endpoints, balancing, what is unsupported) → routes per host (paths
 * longest first, a 503 fallback) → hosts in matching order (exact, then wildcards) → a final
 * catch-all → the config object → `caddy.json`.
 *
 * Nothing from the model can inject configuration: the file is `JSON.stringify` of plain objects, and
 * every host and path is also checked with `@switchyard/labels/safe` (the one definition of a safe
 * value) before it is used, because Caddy expands `{placeholders}` inside host and path values.
 */
import { isIP } from 'node:net';
import { LabelKey } from '@switchyard/labels/registry';
import { isSafeHost, isSafePath } from '@switchyard/labels/safe';
import { Severity, type Diagnostic, type HttpHost, type ProxyModel, type RenderedFiles, type Upstream } from '@switchyard/proto';
import type { CaddyConfig, CaddyHandler, CaddyMatcherSet, CaddyRoute, ReverseProxyHandler, StaticResponseHandler } from './caddy-types.js';

/** Name of the one file this extension renders (and submits to core). */
export const CADDY_FILE = 'caddy.json';
/** Default of {@link CaddyRenderOptions.adminAddress}: Caddy's own default, where `caddy reload` looks. */
export const DEFAULT_ADMIN_ADDRESS = 'localhost:2019';
/** Default of {@link CaddyRenderOptions.httpPort}. */
export const DEFAULT_HTTP_PORT = 80;
/** Name of the one HTTP server in the config (`apps.http.servers.switchyard`). */
export const CADDY_SERVER_NAME = 'switchyard';

/** How long an endpoint that failed is skipped (nginx's default `fail_timeout`). */
const FAIL_DURATION = '10s';
/** Most other endpoints tried when one cannot be reached. */
const MAX_RETRIES = 3;

/** Options of {@link renderCaddy}. */
export interface CaddyRenderOptions {
  /** Port of the plain HTTP listener, 1-65535 (default {@link DEFAULT_HTTP_PORT}). */
  httpPort?: number;
  /**
   * Caddy's admin endpoint, `host:port` (default {@link DEFAULT_ADMIN_ADDRESS}); `caddy reload
   * --config caddy.json` posts the new config there. Tests give each Caddy its own.
   */
  adminAddress?: string;
}

/** What {@link renderCaddy} returns: the file, the config object it holds, and what it could not express. */
export interface CaddyRenderResult extends RenderedFiles {
  /** The parsed form of `files[0].content`. */
  config: CaddyConfig;
}

/** Thrown by {@link renderCaddy} for options no config can be rendered with (a programmer error). */
export class CaddyRenderOptionsError extends Error {
  /** Stable machine-readable code. */
  readonly code = 'invalid-caddy-render-options';

  constructor(message: string) {
    super(message);
    this.name = 'CaddyRenderOptionsError';
  }
}

// ---- diagnostics ------------------------------------------------------------------------------

/** Collects diagnostics in the order they are found (the input is walked in a sorted order). */
class Diagnostics {
  readonly list: Diagnostic[] = [];

  warning(service: string, label: string, code: string, message: string): void {
    this.list.push({ service, label, code, message, severity: Severity.SEVERITY_WARNING });
  }

  error(service: string, label: string, code: string, message: string): void {
    this.list.push({ service, label, code, message, severity: Severity.SEVERITY_ERROR });
  }
}

/** Quotes a model value for a message (so an odd value cannot disguise itself). */
const show = (value: string): string => JSON.stringify(value);
/** `service web` / `services a,b` / `no service`, for messages. */
const serviceText = (service: string): string => (service === '' ? 'no service' : service.includes(',') ? `services ${service}` : `service ${service}`);
const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

// ---- options ----------------------------------------------------------------------------------

const ADMIN_ADDRESS = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]):([0-9]{1,5})$/;

const isPort = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= 65535;

/**
 * The options with their defaults filled in.
 * @throws {CaddyRenderOptionsError} for a port outside 1-65535 or an admin address that is not `host:port`.
 */
export function resolveRenderOptions(options: CaddyRenderOptions = {}): Required<CaddyRenderOptions> {
  const { httpPort = DEFAULT_HTTP_PORT, adminAddress = DEFAULT_ADMIN_ADDRESS } = options;
  if (!isPort(httpPort)) throw new CaddyRenderOptionsError(`httpPort must be an integer 1-65535, got ${String(httpPort)}`);
  const admin = ADMIN_ADDRESS.exec(adminAddress);
  if (!admin || !isPort(Number(admin[1]))) throw new CaddyRenderOptionsError(`adminAddress must be host:port (e.g. ${DEFAULT_ADMIN_ADDRESS}), got ${show(adminAddress)}`);
  return { httpPort, adminAddress };
}

// ---- fixed responses --------------------------------------------------------------------------

const textResponse = (status: number, body: string): StaticResponseHandler => ({
  handler: 'static_response',
  status_code: status,
  headers: { 'Content-Type': ['text/plain; charset=utf-8'] },
  body,
});

/** What a route without a usable upstream answers. */
const unavailable = (): StaticResponseHandler => textResponse(503, '503 Service Unavailable\n');
/** What a request for a host no service claims gets. */
const notFound = (): StaticResponseHandler => textResponse(404, '404 Not Found\n');

// ---- upstreams ----------------------------------------------------------------------------------

/**
 * Formats an endpoint as Caddy's `dial` address: `ip:port`, `[ipv6]:port`. Returns `undefined` for
 * anything that is not an IP literal with a port 1-65535 (a name would make Caddy resolve it).
 */
export function endpointDial(address: string, port: number): string | undefined {
  if (!isPort(port)) return undefined;
  switch (isIP(address)) {
    case 4:
      return `${address}:${port}`;
    case 6:
      return `[${address.toLowerCase()}]:${port}`;
    default:
      return undefined;
  }
}

/** An upstream as routes use it: its `reverse_proxy` handler, or none when its routes answer 503. */
interface UpstreamPlan {
  service: string;
  handler: ReverseProxyHandler | undefined;
}

/** The distinct `dial` addresses of an upstream's endpoints, sorted; bad ones are reported and skipped. */
function endpointDials(upstream: Upstream, service: string, diags: Diagnostics): string[] {
  const dials = new Set<string>();
  const endpoints = [...upstream.endpoints].sort((a, b) => compare(a.address, b.address) || a.port - b.port);
  for (const endpoint of endpoints) {
    const dial = endpointDial(endpoint.address, endpoint.port);
    const where = endpoint.service || service;
    if (dial === undefined) {
      diags.error(where, LabelKey.port, 'unsafe-value', `endpoint ${show(`${endpoint.address}:${endpoint.port}`)} of upstream ${show(upstream.name)} is not an IP address and port; skipped`);
    } else if (dials.has(dial)) {
      diags.warning(where, '', 'duplicate-endpoint', `endpoint ${dial} appears twice in upstream ${show(upstream.name)}; the first one is used`);
    } else {
      dials.add(dial);
    }
  }
  return [...dials];
}

/** Warns about the upstream features this example leaves out (sticky cookies, unequal weights). */
function warnUnsupportedBalancing(upstream: Upstream, service: string, diags: Diagnostics): void {
  const who = serviceText(service);
  if (upstream.stickyCookie !== '') {
    diags.warning(service, LabelKey.stickySessionCookie, 'unsupported-sticky-session', `${who}: sticky sessions (cookie ${show(upstream.stickyCookie)}) are not supported by the Caddy example; requests are balanced ${upstream.ipHash ? 'by client address (ip_hash)' : 'round robin'}`);
  }
  const weights = new Set(upstream.endpoints.map((e) => (Number.isInteger(e.weight) && e.weight >= 1 ? e.weight : 1)));
  if (weights.size > 1) {
    diags.warning(service, LabelKey.weight, 'unsupported-weight', `${who}: endpoint weights (${[...weights].sort((a, b) => a - b).join(', ')}) are not supported by the Caddy example (Caddy 2.6 has no weighted balancing); every endpoint gets an equal share`);
  }
}

/** The `reverse_proxy` handler for a set of endpoints. */
function reverseProxy(dials: string[], upstream: Upstream): ReverseProxyHandler {
  const retries = Math.min(dials.length - 1, MAX_RETRIES);
  return {
    handler: 'reverse_proxy',
    upstreams: dials.map((dial) => ({ dial })),
    load_balancing: { selection_policy: { policy: upstream.ipHash ? 'ip_hash' : 'round_robin' }, ...(retries > 0 ? { retries } : {}) },
    // As nginx: with one endpoint there is nothing to fail over to, so it is never marked down.
    ...(dials.length > 1 ? { health_checks: { passive: { fail_duration: FAIL_DURATION } } } : {}),
    ...(upstream.tls ? { transport: { protocol: 'http' as const, tls: { insecure_skip_verify: true } } } : {}),
  };
}

/** Plans one upstream: how its routes proxy, or that they answer 503 (and why, as a diagnostic). */
function planUpstream(upstream: Upstream, diags: Diagnostics): UpstreamPlan {
  const service = upstream.services.join(',');
  const dials = endpointDials(upstream, service, diags);
  if (upstream.tls && upstream.tlsVerify) {
    diags.warning(service, LabelKey.sslBackendTlsVerify, 'unsupported-backend-tls-verify', `${serviceText(service)}: verifying the tasks' TLS certificates is not supported by the Caddy example; its routes answer 503 rather than skip the verification`);
    return { service, handler: undefined };
  }
  if (dials.length === 0) {
    diags.warning(service, '', 'empty-upstream', `upstream ${show(upstream.name)} (${serviceText(service)}) has no endpoints; its routes answer 503`);
    return { service, handler: undefined };
  }
  warnUnsupportedBalancing(upstream, service, diags);
  return { service, handler: reverseProxy(dials, upstream) };
}

/** The model's upstreams as routes look them up; a name the model does not have gives `undefined`. */
interface Upstreams {
  /** The services contributing to an upstream, comma-separated (for diagnostics). */
  service(name: string): string | undefined;
  /** How routes to an upstream are handled; planned on first use, so only used upstreams are reported. */
  plan(name: string): UpstreamPlan | undefined;
}

function upstreamsOf(model: ProxyModel, diags: Diagnostics): Upstreams {
  const byName = new Map<string, Upstream>();
  for (const upstream of model.upstreams) if (!byName.has(upstream.name)) byName.set(upstream.name, upstream);
  const plans = new Map<string, UpstreamPlan>();
  return {
    service: (name) => byName.get(name)?.services.join(','),
    plan: (name) => {
      const upstream = byName.get(name);
      if (!upstream) return undefined;
      let plan = plans.get(name);
      if (!plan) plans.set(name, (plan = planUpstream(upstream, diags)));
      return plan;
    },
  };
}

// ---- hosts and paths --------------------------------------------------------------------------

/** A safe path without its trailing slash (`/api/` → `/api`), or `undefined` when unsafe. */
function normalizePath(path: string): string | undefined {
  if (!isSafePath(path)) return undefined;
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}

/**
 * Caddy path patterns of a route's path prefix: `/api` matches `/api` and everything under `/api/`
 * (not `/apix`); `/` matches every path (no pattern).
 */
export function pathPatterns(path: string): string[] | undefined {
  return path === '/' ? undefined : [path, `${path}/*`];
}

const escapeRegex = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The matcher of a host. An exact name uses Caddy's `host` matcher. A wildcard `*.example.com` covers
 * any name ending in `.example.com` in Switchyard (`hostMatches` of `@switchyard/labels/safe`, the one
 * host-matching rule: one or more labels), but Caddy's `*` stands for exactly one label, so wildcards
 * match the request's host by a regular expression instead (case-insensitive, port ignored).
 */
export function hostMatcher(host: string): CaddyMatcherSet {
  if (!host.startsWith('*.')) return { host: [host] };
  const suffix = escapeRegex(host.slice(1));
  return { header_regexp: { Host: { pattern: `(?i)^.+${suffix}(?::[0-9]+)?$` } } };
}

/** The services routed on a host (from its routes' upstreams), for diagnostics. */
function hostService(host: HttpHost, upstreams: Upstreams): string {
  const services = new Set<string>();
  for (const route of host.routes) for (const service of upstreams.service(route.upstream)?.split(',') ?? []) if (service !== '') services.add(service);
  return [...services].sort().join(',');
}

/** Warns about the host features this example leaves out: TLS termination, HTTPS-only, redirects. */
function warnUnsupportedHostFeatures(host: HttpHost, service: string, diags: Diagnostics): void {
  const who = serviceText(service);
  if (host.certificate !== '') {
    diags.warning(service, LabelKey.sslCert, 'unsupported-tls', `${who}: TLS termination for ${host.host} (certificate ${show(host.certificate)}) is not supported by the Caddy example; the host is served over plain HTTP only`);
  }
  if (host.sslOnly) {
    diags.warning(service, LabelKey.sslOnly, 'unsupported-ssl-only', `${who}: redirecting ${host.host} to HTTPS (ssl_only) is not supported by the Caddy example; the host is served over plain HTTP`);
  }
  for (const redirect of [...host.redirects].sort((a, b) => compare(a.fromPath, b.fromPath))) {
    diags.warning(service, LabelKey.redirects, 'unsupported-redirect', `${who}: the redirect ${host.host}${redirect.fromPath} -> ${redirect.toUrl} is not supported by the Caddy example; those requests are routed as if it did not exist`);
  }
}

/**
 * The routes of one (safe) host: one per path, longest path first, each proxying to its upstream
 * (after stripping the path when the route says so) or answering 503; then, unless a route covers
 * `/`, a 503 for the host's other paths, so that a request for this host never falls through to a
 * wildcard host's routes.
 */
function hostRoutes(host: HttpHost, upstreams: Upstreams, service: string, diags: Diagnostics): CaddyRoute[] {
  const matcher = hostMatcher(host.host);
  const paths: { path: string; upstream: string; stripPrefix: boolean }[] = [];
  const seen = new Set<string>();
  for (const route of host.routes) {
    const path = normalizePath(route.path);
    const routeService = upstreams.service(route.upstream) || service;
    if (path === undefined) {
      diags.error(routeService, LabelKey.contextRoot, 'unsafe-value', `host ${host.host}: path ${show(route.path)} is not a safe path; route skipped`);
    } else if (seen.has(path)) {
      diags.warning(routeService, LabelKey.contextRoot, 'duplicate-route', `host ${host.host}: path ${path} is routed twice; the first route is used`);
    } else {
      seen.add(path);
      paths.push({ path, upstream: route.upstream, stripPrefix: route.stripPrefix });
    }
  }
  paths.sort((a, b) => b.path.length - a.path.length || compare(a.path, b.path));
  const routes = paths.map(({ path, upstream, stripPrefix }): CaddyRoute => {
    const target = upstreams.plan(upstream);
    if (!target) diags.error(service, '', 'unknown-upstream', `host ${host.host}: path ${path} points at unknown upstream ${show(upstream)}; it answers 503`);
    const handle: CaddyHandler[] = target?.handler
      ? [...(stripPrefix && path !== '/' ? [{ handler: 'rewrite' as const, strip_path_prefix: path }] : []), target.handler]
      : [unavailable()];
    const patterns = pathPatterns(path);
    return { match: [patterns ? { ...matcher, path: patterns } : matcher], handle, terminal: true };
  });
  if (!seen.has('/')) routes.push({ match: [matcher], handle: [unavailable()], terminal: true });
  return routes;
}

/**
 * Orders hosts the way requests must be matched against them: exact names first (by name), then
 * wildcards, the most specific (most labels) first, so `a.example.com` wins over `*.example.com`,
 * which wins over `*.com`.
 */
export function matchingOrder(hosts: readonly string[]): string[] {
  const wildcard = (h: string) => h.startsWith('*.');
  const labels = (h: string) => (wildcard(h) ? h.split('.').length : 0);
  return [...hosts].sort((a, b) => Number(wildcard(a)) - Number(wildcard(b)) || labels(b) - labels(a) || compare(a, b));
}

/** Every host's routes, in {@link matchingOrder}; unsafe and duplicate hosts are reported and skipped. */
function allHostRoutes(model: ProxyModel, upstreams: Upstreams, diags: Diagnostics): CaddyRoute[] {
  const byName = new Map<string, HttpHost>();
  for (const host of [...model.hosts].sort((a, b) => compare(a.host, b.host))) {
    const service = hostService(host, upstreams);
    if (!isSafeHost(host.host)) {
      diags.error(service, LabelKey.hosts, 'unsafe-value', `host ${show(host.host)} is not a valid host name; skipped`);
    } else if (byName.has(host.host)) {
      diags.error(service, LabelKey.hosts, 'duplicate-host', `host ${host.host} appears twice; the first one is used`);
    } else {
      byName.set(host.host, host);
    }
  }
  return matchingOrder([...byName.keys()]).flatMap((name) => {
    const host = byName.get(name) as HttpHost;
    const service = hostService(host, upstreams);
    warnUnsupportedHostFeatures(host, service, diags);
    return hostRoutes(host, upstreams, service, diags);
  });
}

/** Warns about each SNI passthrough route, which this example does not render. */
function warnSniRoutes(model: ProxyModel, upstreams: Upstreams, diags: Diagnostics): void {
  for (const route of [...model.sniRoutes].sort((a, b) => compare(a.host, b.host))) {
    const service = upstreams.service(route.upstream) ?? '';
    diags.warning(service, LabelKey.sslPassthrough, 'unsupported-sni-passthrough', `${serviceText(service)}: TLS passthrough (SNI) for ${show(route.host)} is not supported by the Caddy example; it is not routed`);
  }
}

/**
 * The last route, for requests no host claims: the model's default upstream (`default_backend`) when
 * it has one, else 404 (without it Caddy would answer 200 with an empty body).
 */
function catchAllRoute(model: ProxyModel, upstreams: Upstreams, diags: Diagnostics): CaddyRoute {
  if (model.defaultUpstream === '') return { handle: [notFound()] };
  const target = upstreams.plan(model.defaultUpstream);
  if (!target) diags.error('', LabelKey.defaultBackend, 'unknown-upstream', `the default upstream ${show(model.defaultUpstream)} is not in the model; unknown hosts get 503`);
  return { handle: [target?.handler ?? unavailable()] };
}

// ---- the whole config -------------------------------------------------------------------------

/**
 * Builds the Caddy config object for a model. Pure and deterministic; never throws for model values
 * (bad ones are skipped and reported), see {@link renderCaddy}.
 * @throws {CaddyRenderOptionsError} for bad options only.
 */
export function buildCaddyConfig(model: ProxyModel, options: CaddyRenderOptions = {}): { config: CaddyConfig; diagnostics: Diagnostic[] } {
  const { httpPort, adminAddress } = resolveRenderOptions(options);
  const diags = new Diagnostics();
  const upstreams = upstreamsOf(model, diags);
  const routes = [...allHostRoutes(model, upstreams, diags), catchAllRoute(model, upstreams, diags)];
  warnSniRoutes(model, upstreams, diags);
  const config: CaddyConfig = {
    admin: { listen: adminAddress, config: { persist: false } },
    apps: { http: { servers: { [CADDY_SERVER_NAME]: { listen: [`:${httpPort}`], automatic_https: { disable: true }, routes } } } },
  };
  return { config, diagnostics: diags.list };
}

/**
 * Renders a model as Caddy 2.6's native JSON config: one file, `caddy.json` (indented JSON with a
 * trailing newline, byte-identical for the same model and options).
 *
 * The config has Caddy's admin API on `adminAddress` (so `caddy reload --config caddy.json` works)
 * and one plain-HTTP server on `:httpPort` with automatic HTTPS off. Each (host, path) of the model
 * is a route matching the host and the path prefix, proxying round robin (or by client IP with
 * `ip_hash`) to the upstream's endpoints; a route whose upstream has no endpoints answers 503, and
 * requests for unknown hosts get 404 (or go to the model's default upstream).
 *
 * What this example does not implement is reported as a warning naming the service and the feature,
 * never silently dropped: TLS termination, `ssl_only`, redirects, SNI passthrough, sticky sessions,
 * endpoint weights, and verified TLS to the tasks (whose routes then answer 503). Unsafe values are
 * errors and are skipped. Never throws for model values.
 *
 * @throws {CaddyRenderOptionsError} for a bad `httpPort` or `adminAddress` (a programmer error).
 */
export function renderCaddy(model: ProxyModel, options: CaddyRenderOptions = {}): CaddyRenderResult {
  const { config, diagnostics } = buildCaddyConfig(model, options);
  return { files: [{ path: CADDY_FILE, content: `${JSON.stringify(config, null, 2)}\n` }], diagnostics, config };
}
