import { Severity, type Diagnostic, type Endpoint, type ProxyModel, type RenderedFile } from '@switchyard/proto';

/** Name of the file this extension renders (and submits to core). */
export const ROUTES_FILE = 'routes.json';

/** One route of a host: requests under `path` go to one of `endpoints`. */
export interface JsonRoute {
  /** Path prefix beginning with "/" (longest first within a host, as in the model). */
  path: string;
  /** Name of the model's upstream pool serving this route. */
  upstream: string;
  /** `ip:port` of each endpoint (`[ipv6]:port` for IPv6), in the model's order. */
  endpoints: string[];
}

/** One virtual host and its routes. */
export interface JsonHost {
  /** Lower-case host name as validated by core. */
  host: string;
  /** Routes sorted by path, longest first. */
  routes: JsonRoute[];
}

/** The whole rendered route table: what `routes.json` holds. */
export interface RouteTable {
  /** Version of the core model the table was rendered from. */
  modelVersion: number;
  /** Hosts sorted by host name. */
  hosts: JsonHost[];
}

/** What {@link renderRouteTable} returns: the table plus what it could not express. */
export interface RenderResult {
  table: RouteTable;
  /** Warnings about model features the JSON format leaves out; never errors. */
  diagnostics: Diagnostic[];
}

function warning(code: string, message: string, service = ''): Diagnostic {
  return { service, label: '', code, message, severity: Severity.SEVERITY_WARNING };
}

/** Formats an endpoint as `ip:port`, bracketing IPv6 addresses. */
export function endpointAddress(endpoint: Pick<Endpoint, 'address' | 'port'>): string {
  return endpoint.address.includes(':') ? `[${endpoint.address}]:${endpoint.port}` : `${endpoint.address}:${endpoint.port}`;
}

/**
 * Turns a core model into the JSON route table. Pure and deterministic: the same model always
 * gives an equal table. Hosts keep the model's order (sorted by name), routes keep theirs (longest
 * path first). A route whose upstream is missing from the model keeps an empty endpoint list and
 * gets a warning; so do the features this format cannot express (SNI passthrough, redirects).
 */
export function renderRouteTable(model: ProxyModel): RenderResult {
  const diagnostics: Diagnostic[] = [];
  const upstreams = new Map(model.upstreams.map((u) => [u.name, u]));
  const hosts: JsonHost[] = model.hosts.map((h) => ({
    host: h.host,
    routes: h.routes.map((r): JsonRoute => {
      const upstream = upstreams.get(r.upstream);
      if (!upstream) diagnostics.push(warning('unknown-upstream', `route ${h.host}${r.path} names upstream ${JSON.stringify(r.upstream)}, which the model does not have`));
      return { path: r.path, upstream: r.upstream, endpoints: (upstream?.endpoints ?? []).map(endpointAddress) };
    }),
  }));
  for (const h of model.hosts) {
    for (const redirect of h.redirects) {
      diagnostics.push(warning('unsupported-redirect', `redirect ${h.host}${redirect.fromPath} -> ${redirect.toUrl} is not part of the JSON route table`));
    }
  }
  for (const sni of model.sniRoutes) {
    const services = upstreams.get(sni.upstream)?.services.join(',') ?? '';
    diagnostics.push(warning('unsupported-sni-route', `TLS passthrough for ${sni.host} is not part of the JSON route table`, services));
  }
  return { table: { modelVersion: model.version, hosts }, diagnostics };
}

/**
 * Renders the files to submit to core: one `routes.json` holding the table as indented JSON with
 * a trailing newline (byte-identical for the same model).
 */
export function renderFiles(model: ProxyModel): { files: RenderedFile[]; table: RouteTable; diagnostics: Diagnostic[] } {
  const { table, diagnostics } = renderRouteTable(model);
  return { files: [{ path: ROUTES_FILE, content: `${JSON.stringify(table, null, 2)}\n` }], table, diagnostics };
}
