/** Small builders of hand-made `ProxyModel`s for the renderer's tests (as json-routes' tests build them). */
import { BackendMode, ProxyModel, type Endpoint, type HttpHost, type Route, type Upstream } from '@switchyard/proto';

/** An endpoint `address:port` of `service` (weight 1 unless given). */
export function endpoint(address: string, port: number, service: string, weight = 1): Endpoint {
  return { address, port, weight, service, taskId: `${service}.${address}` };
}

/** An upstream of task endpoints `[address, port]` contributed by the service of the same name. */
export function upstream(name: string, endpoints: [string, number][], extra: Partial<Upstream> = {}): Upstream {
  return {
    name,
    endpoints: endpoints.map(([address, port]) => endpoint(address, port, name)),
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
