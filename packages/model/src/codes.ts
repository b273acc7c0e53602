import { Severity } from '@switchyard/proto';
import { LabelKey } from '@switchyard/labels/registry';

/**
 * Label keys the model builder refers to in its own diagnostics: the registry's `LabelKey` of
 * `@switchyard/labels` (kept under this name for existing callers).
 */
export const ModelLabel = LabelKey;

/**
 * Diagnostic codes emitted by the model builder itself (the label parser has its own).
 * Each value is the stable `Diagnostic.code`; severities are listed in {@link CONFLICT_RULES} and the README.
 */
export const ModelCode = {
  /** `network` names no (non-ingress) network of the service. Error: service skipped. */
  unknownNetwork: 'unknown-network',
  /** No `network` label and several candidate networks: the first by name is used. Warning. */
  ambiguousNetwork: 'ambiguous-network',
  /** The service has no usable (known, non-ingress) network. Error: service skipped. */
  noNetwork: 'no-network',
  /** The service needs an upstream but has no `port` label. Error: service skipped. */
  missingPort: 'missing-port',
  /** `ssl_cert` / `ssl_key` missing one of the pair or naming an absent secret. Error: service skipped. */
  unknownSecret: 'unknown-secret',
  /** The proxy's own check (`nginx -t`, `haproxy -c`) refused the certificate's secret. */
  certificateRefused: 'certificate-refused',
  /** Host, path or redirect URL outside the safe character sets. Error: service skipped. */
  unsafeValue: 'unsafe-value',
  /** Pool options differ from the older service on the same host and path. Error: newer excluded from that route. */
  routeConflict: 'route-conflict',
  /** A host is given different certificates (or one name with different keys). Error: the newer one is ignored. */
  certificateConflict: 'certificate-conflict',
  /** A host is both TLS-terminated and passed through by SNI. Error: the newer claim is dropped. */
  tlsConflict: 'tls-conflict',
  /** A websocket path is already routed to another upstream on that host. Warning: ignored. */
  websocketConflict: 'websocket-conflict',
  /** The same host and source path redirect to different targets. Warning: the newer is ignored. */
  redirectConflict: 'redirect-conflict',
  /** Several services set `default_backend`. Warning: the oldest wins. */
  defaultBackendConflict: 'default-backend-conflict',
  /** `vip` backend mode but the service has no virtual IP on the chosen network. Warning: empty pool. */
  missingVip: 'missing-vip',
  /**
   * `ssl_cert` / `ssl_key` names a secret whose labels do not allow this service (secret policy
   * `labelled`, the default). Error: service skipped (its TLS routes are not served); the secret is untouched.
   */
  secretNotAllowed: 'secret-not-allowed',
  /**
   * A redirect whose source host the service does not own: not one of its `hosts`, a host it is not
   * routed on, or a path another service's route answers. Error: that redirect is dropped.
   */
  redirectNotOwned: 'redirect-not-owned',
  /**
   * A wildcard TLS host (passthrough or certificate) covers hosts of other services; the proxies keep
   * those out of the wildcard. Warning naming the excluded hosts, on the wildcard's services.
   */
  wildcardExclusion: 'wildcard-excludes-host',
  /**
   * `com.docker.lb.*` labels set on the service's containers (`Spec.TaskTemplate.ContainerSpec.Labels`,
   * compose `labels:`) instead of the service (compose `deploy.labels:`); routing reads service labels only.
   * Error when the service has no `com.docker.lb.*` service label (it is listed, not routed); warning
   * when it has some (the container labels are ignored). Label `""`; the message names the labels.
   */
  containerLabel: 'container-label',
} as const;

/** One conflict rule of the model builder, as documented in the README. */
export interface ConflictRule {
  /** Diagnostic code emitted when the rule applies. */
  code: string;
  /** Severity of that diagnostic. */
  severity: Severity;
  /** What is compared and who wins. */
  rule: string;
}

/**
 * How the builder settles competing claims. "Older" always means smaller `createdAtUnixMs`,
 * then smaller service name, then smaller service ID: the same input always gives the same winner.
 */
export const CONFLICT_RULES: readonly ConflictRule[] = [
  {
    code: ModelCode.routeConflict,
    severity: Severity.SEVERITY_ERROR,
    rule:
      'Services claiming the same host and path share one upstream pool. A service whose sticky_session_cookie, ip_hash, ' +
      'ssl_backend, ssl_backend_tls_verify, backend_mode or context_root_rewrite differs from the oldest claimant is left out of that route.',
  },
  {
    code: ModelCode.certificateConflict,
    severity: Severity.SEVERITY_ERROR,
    rule:
      'A host gets the certificate of its oldest claimant that names one; a newer claimant naming another certificate keeps ' +
      'its route but its certificate is not used for that host. A certificate secret paired with different key secrets: the newer service is skipped.',
  },
  {
    code: ModelCode.tlsConflict,
    severity: Severity.SEVERITY_ERROR,
    rule:
      'A host cannot be both TLS-terminated (ssl_cert) and passed through (ssl_passthrough): the older claim wins; ' +
      'a losing passthrough service loses its SNI route, a losing certificate is not used for the host.',
  },
  {
    code: ModelCode.websocketConflict,
    severity: Severity.SEVERITY_WARNING,
    rule:
      'A websocket path that is already a route of the same host to another upstream is ignored (routes from hosts/context_root win, then older websocket paths).',
  },
  {
    code: ModelCode.redirectConflict,
    severity: Severity.SEVERITY_WARNING,
    rule: 'Redirects of the same host and source path to different targets: the older service wins.',
  },
  {
    code: ModelCode.redirectNotOwned,
    severity: Severity.SEVERITY_ERROR,
    rule:
      'A redirect is kept only when its source host is one of the service\'s own hosts, the service is routed on it (HTTP or SNI), ' +
      'and the route that would otherwise answer its source path (if any) has the service as its oldest member; otherwise that redirect is dropped.',
  },
  {
    code: ModelCode.wildcardExclusion,
    severity: Severity.SEVERITY_WARNING,
    rule:
      'A wildcard passthrough or wildcard certificate host never captures TLS for hosts other services route (see tlsExclusions): ' +
      'the proxies give those hosts their own entries; the wildcard\'s services are told which hosts are excluded.',
  },
  {
    code: ModelCode.defaultBackendConflict,
    severity: Severity.SEVERITY_WARNING,
    rule: 'Several default_backend services: the oldest becomes the default upstream, the others are routed normally otherwise.',
  },
];
