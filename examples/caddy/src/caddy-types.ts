/*
 * The part of Caddy 2.6's native JSON configuration this example writes, typed. Field names are
 * Caddy's own (snake_case); see https://caddyserver.com/docs/json/. Caddy decodes strictly: a field
 * it does not know is an error at load time, so nothing here is optional decoration.
 */

/** The whole `caddy.json`: the admin endpoint and one HTTP app. */
export interface CaddyConfig {
  admin: {
    /** Where the admin API listens (`caddy reload` posts the new config there). */
    listen: string;
    /** `persist: false`: Caddy does not write `autosave.json` on every load. */
    config: { persist: boolean };
  };
  apps: { http: { servers: Record<string, CaddyServer> } };
}

/** One HTTP server (`apps.http.servers.<name>`). */
export interface CaddyServer {
  /** Network addresses, e.g. `:80`. */
  listen: string[];
  /** Automatic HTTPS is off: this example serves plain HTTP only. */
  automatic_https: { disable: boolean };
  /** Evaluated in order; the first route whose handlers answer ends the request. */
  routes: CaddyRoute[];
}

/** A route: matcher sets (any may match; all fields of one set must match) and handlers run in order. */
export interface CaddyRoute {
  /** Absent: matches every request. */
  match?: CaddyMatcherSet[];
  handle: CaddyHandler[];
  /** No later route is evaluated once this one matched. */
  terminal?: boolean;
}

/** One matcher set: every field given must match. */
export interface CaddyMatcherSet {
  /** Host names (case-insensitive, port ignored); `*` stands for exactly one label. */
  host?: string[];
  /** Path patterns (case-insensitive); a trailing `*` makes a prefix match. */
  path?: string[];
  /** Regular expressions (RE2) on header values; the field `Host` is the request's host. */
  header_regexp?: Record<string, { pattern: string }>;
}

/** `reverse_proxy`: forwards to one of `upstreams`. */
export interface ReverseProxyHandler {
  handler: 'reverse_proxy';
  /** `dial` is `ip:port` (`[ipv6]:port`). */
  upstreams: { dial: string }[];
  load_balancing: {
    selection_policy: { policy: 'round_robin' | 'ip_hash' };
    /** How many other upstreams to try when one cannot be reached. */
    retries?: number;
  };
  /** Passive health checks: an upstream that failed is skipped for `fail_duration`. */
  health_checks?: { passive: { fail_duration: string } };
  /** TLS towards the upstreams (`insecure_skip_verify`: no certificate verification). */
  transport?: { protocol: 'http'; tls: { insecure_skip_verify: boolean } };
}

/** `static_response`: answers with a fixed status, headers and body. */
export interface StaticResponseHandler {
  handler: 'static_response';
  status_code: number;
  headers?: Record<string, string[]>;
  body?: string;
}

/** `rewrite` with `strip_path_prefix`: removes a path prefix before the next handler. */
export interface RewriteHandler {
  handler: 'rewrite';
  strip_path_prefix: string;
}

/** The handlers this example uses. */
export type CaddyHandler = ReverseProxyHandler | StaticResponseHandler | RewriteHandler;
