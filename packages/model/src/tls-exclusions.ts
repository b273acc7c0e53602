import { hostMatches } from '@switchyard/labels/safe';
import type { ProxyModel } from '@switchyard/proto';
import { compareStrings } from './safe.js';

/** What kind of wildcard TLS entry a {@link TlsExclusion} constrains. */
export type TlsExclusionKind = 'passthrough' | 'certificate';

/**
 * Hosts a wildcard TLS entry of the model must not capture, because other services own them.
 *
 * - `passthrough`: `wildcard` is the host of a wildcard `SniRoute`. TLS connections whose SNI is one
 *   of `hosts` must NOT be passed to that route's upstream: the proxy must give each an entry of its
 *   own that wins over the wildcard — its own SNI route when it has one, else the proxy's TLS
 *   termination (the host's certificate when it has one; otherwise the handshake is refused).
 * - `certificate`: `wildcard` is a wildcard `HttpHost` with a certificate. HTTPS requests for one of
 *   `hosts` (exact plain-HTTP hosts of other services) must NOT be answered by that host's routes
 *   with its certificate: the proxy refuses the handshake for them (or answers as for an unknown host).
 */
export interface TlsExclusion {
  /** The wildcard host, e.g. `*.example.com`. */
  wildcard: string;
  kind: TlsExclusionKind;
  /**
   * Hosts the wildcard covers (exact names, or narrower wildcards) that some service outside the
   * wildcard's own services routes, sorted. Never empty.
   */
  hosts: string[];
  /** The services of the wildcard entry (those told about the exclusion), sorted. */
  services: string[];
}

/**
 * The {@link TlsExclusion}s of a model, sorted by wildcard then kind: a pure function of the model's
 * `hosts`, `sniRoutes` and `upstreams` (so renderers can compute it from the model they receive).
 * A host is owned by the services of the upstreams its routes and SNI route use; a host with none
 * (only redirects) counts as owned by others. For `passthrough`, every covered HTTP host and SNI route
 * counts; for `certificate`, only covered HTTP hosts without a certificate and without an SNI route
 * (hosts with their own certificate or SNI route already have their own TLS entry).
 */
export function tlsExclusions(model: Pick<ProxyModel, 'hosts' | 'sniRoutes' | 'upstreams'>): TlsExclusion[] {
  const servicesOf = new Map(model.upstreams.map((u) => [u.name, u.services] as const));
  const owners = new Map<string, Set<string>>();
  const own = (host: string, upstream: string): void => {
    let set = owners.get(host);
    if (!set) owners.set(host, (set = new Set()));
    for (const s of servicesOf.get(upstream) ?? []) set.add(s);
  };
  for (const h of model.hosts) {
    if (!owners.has(h.host)) owners.set(h.host, new Set());
    for (const r of h.routes) own(h.host, r.upstream);
  }
  const sniHosts = new Set<string>();
  for (const s of model.sniRoutes) {
    sniHosts.add(s.host);
    if (!owners.has(s.host)) owners.set(s.host, new Set());
  }
  const sniOwners = new Map<string, Set<string>>();
  for (const s of model.sniRoutes) sniOwners.set(s.host, new Set(servicesOf.get(s.upstream) ?? []));

  const foreign = (host: string, mine: ReadonlySet<string>): boolean => {
    const theirs = new Set([...(owners.get(host) ?? []), ...(sniOwners.get(host) ?? [])]);
    return theirs.size === 0 || [...theirs].some((s) => !mine.has(s));
  };
  const result: TlsExclusion[] = [];
  const add = (wildcard: string, kind: TlsExclusionKind, mine: ReadonlySet<string>, candidates: Iterable<string>): void => {
    const hosts = [...new Set(candidates)].filter((h) => h !== wildcard && hostMatches(wildcard, h) && foreign(h, mine)).sort(compareStrings);
    if (hosts.length > 0) result.push({ wildcard, kind, hosts, services: [...mine].sort(compareStrings) });
  };
  for (const s of model.sniRoutes) {
    if (!s.host.startsWith('*.')) continue;
    add(s.host, 'passthrough', sniOwners.get(s.host) ?? new Set(), [...model.hosts.map((h) => h.host), ...sniHosts]);
  }
  const plain = model.hosts.filter((x) => x.certificate === '' && !sniHosts.has(x.host)).map((x) => x.host);
  for (const h of model.hosts) {
    if (!h.host.startsWith('*.') || h.certificate === '') continue;
    add(h.host, 'certificate', owners.get(h.host) ?? new Set(), plain);
  }
  return result.sort((a, b) => compareStrings(a.wildcard, b.wildcard) || compareStrings(a.kind, b.kind));
}
