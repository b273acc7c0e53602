/**
 * The vocabulary of the conformance table: a request, and the outcome a user sees. Every target (a
 * real proxy, or `explainRequest`) turns a request into an {@link Outcome}; a row states the expected
 * outcome once, plus per-target differences where the targets really disagree.
 */
import type { ClusterName, TargetName } from './world.js';

/** What the TLS side of an `https` request got. */
export type TlsOutcome =
  /** The handshake was refused (no certificate and no passthrough route for the name). */
  | 'refused'
  /** The proxy terminated TLS with the certificate of this secret (the CN is the secret name). */
  | { terminated: string }
  /** The connection was passed through: this service's task presented its own certificate. */
  | { passthrough: string };

/**
 * What a user sees. A row lists only the fields it asserts; a target that cannot observe a field
 * (explain does not see headers) skips it.
 */
export interface Outcome {
  /** HTTP status of the answer (0 when the TLS handshake was refused). */
  status?: number;
  /** `https` requests: certificate served, passthrough, or refused. */
  tls?: TlsOutcome;
  /** Services whose tasks answered (sorted; over all samples). `[]`: no backend answered. */
  backends?: string[];
  /**
   * Distinct tasks (endpoints) that answered over all samples, all sent from one client address
   * (explain: the endpoints of the upstream, or 1 with `ip_hash`).
   */
  tasks?: number;
  /** Path and query the backend received. */
  path?: string;
  /** `Location` of a redirect. */
  location?: string;
  /** Response headers (lower case names); `null`: the header is absent. Proxies only. */
  headers?: Record<string, string | null>;
  /** Request headers the backend received (lower case names). Proxies only. */
  upstreamHeaders?: Record<string, string | null>;
  /** Fraction of the samples each service answered (compared within ±0.1). */
  shares?: Record<string, number>;
  /** The cookie that pins clients to a task (`""`: none does). */
  sticky?: string;
  /** A WebSocket upgrade on this path succeeds and relays messages. */
  websocket?: boolean;
  /** The proxy spoke TLS to the backend (ssl_backend, or the passed-through connection). */
  backendTls?: boolean;
}

/** One request of the table. */
export interface ConformanceRequest {
  /** Which cluster's proxies (and model) answer. */
  cluster: ClusterName;
  scheme: 'http' | 'https';
  /** `Host` header, and (without its port) the TLS server name for `https`. */
  host: string;
  /** Request target (path and query); default `/`. */
  path?: string;
  /** Requests sent (default 1): `backends`, `tasks` and `shares` are measured over all of them. */
  samples?: number;
  /** Check stickiness by this cookie: several values, each sent three times. */
  sticky?: string;
  /** Also try a WebSocket upgrade on the path. */
  websocket?: boolean;
}

/** One row: a request and what every target must answer. */
export interface Row {
  /** What the row shows (the test name). */
  name: string;
  /** The docs/routing page the row covers. */
  doc: string;
  request: ConformanceRequest;
  expect: Outcome;
  /**
   * Where targets really disagree: the fields a target answers differently (merged over `expect`),
   * with `why` saying what differs. Never used to hide a bug: each entry is reported.
   */
  differs?: { targets: Partial<Record<TargetName, Outcome>>; why: string };
}

/** The outcome `row` expects of `target`. */
export function expectedFor(row: Row, target: TargetName): Outcome {
  return { ...row.expect, ...(row.differs?.targets[target] ?? {}) };
}

/** Fields `explain` cannot observe (it never sees the bytes on the wire). */
export const NOT_EXPLAINED: readonly (keyof Outcome)[] = ['headers', 'upstreamHeaders'];

/**
 * The part of `observed` that `expected` asserts, made comparable with `toEqual`: only the fields and
 * headers `expected` lists, and shares within ±0.1 of the expected ones replaced by them.
 */
export function comparable(expected: Outcome, observed: Outcome, target: TargetName): { expected: Outcome; observed: Outcome } {
  const exp: Outcome = { ...expected };
  const obs: Outcome = {};
  for (const key of Object.keys(expected) as (keyof Outcome)[]) {
    if (target === 'explain' && NOT_EXPLAINED.includes(key)) {
      delete exp[key];
      continue;
    }
    (obs as Record<string, unknown>)[key] = observed[key];
  }
  for (const key of ['headers', 'upstreamHeaders'] as const) {
    const want = exp[key];
    if (want) obs[key] = Object.fromEntries(Object.keys(want).map((name) => [name, observed[key]?.[name] ?? null]));
  }
  if (exp.shares && obs.shares) {
    const near: Record<string, number> = {};
    for (const [service, share] of Object.entries(obs.shares)) {
      const want = exp.shares[service];
      near[service] = want !== undefined && Math.abs(want - share) <= 0.1 ? want : share;
    }
    obs.shares = near;
  }
  return { expected: exp, observed: obs };
}
