import type { Diagnostic } from '@switchyard/proto';

/** Prefix of Interlock's service labels, kept unchanged so existing stacks work. */
export const LABEL_PREFIX = 'com.docker.lb.';

/** Prefix of Switchyard's own labels (extensions to Interlock's set). */
export const SWITCHYARD_LABEL_PREFIX = 'com.switchyard.lb.';

/** A redirect parsed from `com.docker.lb.redirects`. */
export interface RedirectSpec {
  /** Lower-case host of the source URL. */
  sourceHost: string;
  /** Path prefix of the source URL, "/" when it has none. */
  sourcePath: string;
  /** Target URL (scheme://host[:port][/path]) without trailing slash. */
  target: string;
}

/**
 * The routing intent of one service, as its labels state it, every value validated.
 * Produced by {@link parseServiceLabels}; `undefined` fields were not set.
 */
export interface ServiceRouteSpec {
  /** Lower-case, validated, de-duplicated, sorted host names (`hosts`). */
  hosts: string[];
  /** Container port the proxy targets (`port`). */
  port: number | undefined;
  /** Network name or ID the proxy uses to reach the service (`network`). */
  network: string | undefined;
  /** Path prefix, begins with "/", no trailing slash (`context_root`). */
  contextRoot: string | undefined;
  /** Strip the context root before passing the request on (`context_root_rewrite`). */
  contextRootRewrite: boolean;
  /** Docker secret name of the TLS certificate (`ssl_cert`). */
  sslCert: string | undefined;
  /** Docker secret name of the TLS key (`ssl_key`). */
  sslKey: string | undefined;
  /** Route TLS by SNI straight to the tasks (`ssl_passthrough`). */
  sslPassthrough: boolean;
  /** Redirect plain HTTP to HTTPS (`ssl_only`). */
  sslOnly: boolean;
  /** Proxy speaks TLS to the tasks (`ssl_backend`). */
  sslBackend: boolean;
  /** Verification of the tasks' certificates (`ssl_backend_tls_verify`). */
  sslBackendTlsVerify: 'none' | 'required';
  /** Paths upgraded to WebSocket, sorted (`websocket_endpoints`). */
  websocketEndpoints: string[];
  /** Service cluster that routes this service, "" = default (`service_cluster`). */
  serviceCluster: string;
  /** Cookie pinning clients to a task (`sticky_session_cookie`). */
  stickySessionCookie: string | undefined;
  /** Pin clients to tasks by address (`ip_hash`). */
  ipHash: boolean;
  /** Redirects, sorted by source host and path (`redirects`). */
  redirects: RedirectSpec[];
  /** How the proxy addresses the service (`backend_mode`). */
  backendMode: 'task' | 'vip';
  /** This service answers requests for unknown hosts (`default_backend`). */
  defaultBackend: boolean;
  /** Switchyard extension: relative weight of this service in a shared pool (`com.switchyard.lb.weight`). */
  weight: number | undefined;
}

/** Result of parsing one service's labels: the spec (absent when not routable) and what was wrong. */
export interface ParseResult {
  /**
   * The validated spec, or `undefined` when the service carries no `com.docker.lb.*` label at all
   * (not routed; `diagnostics` is then empty) or when any label has an error (then the service is
   * skipped as a whole and `diagnostics` says why: a half-applied spec could send traffic where
   * nobody intended). A missing `com.docker.lb.hosts` is such an error (`missing-hosts`) unless
   * `com.docker.lb.default_backend=true`.
   */
  spec: ServiceRouteSpec | undefined;
  /** Errors and warnings, sorted by label then code. */
  diagnostics: Diagnostic[];
}
