// Builders of hand-made `ProxyModel` parts for the renderers' tests and the Caddy example's: every
// field a test does not care about at its neutral value, so a test names only what it checks.
import { BackendMode, ProxyModel, type Endpoint, type HttpHost, type Route, type Upstream } from '@switchyard/proto';

/** An endpoint `address:port` of `service` (weight 1, task ID `<service>.<address>` unless given). */
export function endpoint(address: string, port: number, service: string, weight = 1, taskId = `${service}.${address}`): Endpoint {
  return { address, port, weight, service, taskId };
}

/**
 * A task-mode upstream contributed by the service of the same name, with no sticky cookie, hashing or
 * TLS unless `extra` says so. Endpoints are given whole or as `[address, port]` (an {@link endpoint}
 * of the service).
 */
export function upstream(name: string, endpoints: readonly (Endpoint | readonly [string, number])[], extra: Partial<Upstream> = {}): Upstream {
  return {
    name,
    endpoints: endpoints.map((e) => (Array.isArray(e) ? endpoint(e[0], e[1], name) : (e as Endpoint))),
    stickyCookie: '',
    ipHash: false,
    tls: false,
    tlsVerify: false,
    mode: BackendMode.BACKEND_MODE_TASK,
    services: [name],
    ...extra,
  };
}

/** A route of `path` to upstream `up`. */
export const route = (path: string, up: string, extra: Partial<Route> = {}): Route => ({ path, stripPrefix: false, upstream: up, websocket: false, ...extra });

/** A plain-HTTP host with its routes. */
export const host = (name: string, routes: Route[], extra: Partial<HttpHost> = {}): HttpHost => ({ host: name, certificate: '', sslOnly: false, routes, redirects: [], ...extra });

/** A model with every list empty except what `parts` sets (version 1 unless given). */
export const model = (parts: Partial<ProxyModel>): ProxyModel => ({ ...ProxyModel.fromPartial({}), version: 1, ...parts });
