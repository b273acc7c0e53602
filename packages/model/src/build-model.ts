import {
  BackendMode,
  Severity,
  type Diagnostic,
  type Endpoint,
  type HttpHost,
  type ProxyModel,
  type ProxyNetwork,
  type Redirect,
  type Route,
  type ServiceStatus,
  type SwarmNetwork,
  type SwarmSecret,
  type SwarmService,
  type SwarmSnapshot,
  type SwarmTask,
  type TlsCertificate,
  type Upstream,
} from '@switchyard/proto';
import {
  isSafeHost,
  isSafePath,
  isSafeRedirectUrl,
  isSafeToken,
  MAX_WEBSOCKET_ENDPOINTS,
  parseSecretAccess,
  parseServiceLabels,
  readClaim,
  SECRET_LABELS,
  secretAllows,
  type ParseResult,
  type RedirectSpec,
  type SecretAccess,
  type ServiceRouteSpec,
} from '@switchyard/labels';
import { ModelCode, ModelLabel } from './codes.js';
import { modelHash } from './hash.js';
import { compareAddress, compareStrings, pickAddress } from './safe.js';
import { tlsExclusions } from './tls-exclusions.js';
import { upstreamName } from './upstream-name.js';
import { DEFAULT_SERVICE_WEIGHT, endpointWeights } from './weights.js';

/** The label parser's signature (that of `parseServiceLabels` from `@switchyard/labels`). */
export type ServiceLabelParser = (service: string, labels: Record<string, string>) => ParseResult;

/** Options of {@link buildModel}. */
export interface BuildModelOptions {
  /** Service cluster to build the model for ("" = the default cluster). Default "". */
  serviceCluster?: string;
  /** Version stamped on the model (core's monotonic counter). Default 0. */
  version?: number;
  /** Label parser; defaults to `parseServiceLabels` from `@switchyard/labels` (tests inject fakes). */
  parse?: ServiceLabelParser;
  /**
   * Secrets the proxy's own check refused (name → the proxy's words). A service whose certificate
   * uses one is left out with a `certificate-refused` diagnostic, so one bad certificate does not
   * hold back every other route's updates.
   */
  refusedSecrets?: ReadonlyMap<string, string>;
  /**
   * Which services may name a secret in `ssl_cert` / `ssl_key`. `'labelled'` (default): only those the
   * secret's labels allow (`com.switchyard.lb.allowed-services`, `com.switchyard.lb.allowed-hosts`; see
   * `SECRET_LABELS` in `@switchyard/labels`); any other service is left out with `secret-not-allowed`.
   * `'any'`: Interlock's behaviour, any service may use any secret.
   */
  secretPolicy?: SecretPolicy;
}

/** How {@link BuildModelOptions.secretPolicy} lets services use secrets. */
export type SecretPolicy = 'any' | 'labelled';

/** A snapshot secret with its labels (kept as a name for callers written before `SwarmSecret.labels`). */
export type LabelledSecret = SwarmSecret & { labels?: Readonly<Record<string, string>> };

/** A service that passed every check and may take part in routes. */
interface Candidate {
  service: SwarmService;
  name: string;
  spec: ServiceRouteSpec;
  /** Network the proxy reaches it on (undefined when it needs no upstream, e.g. redirects only). */
  network: SwarmNetwork | undefined;
  endpoints: Endpoint[];
  runningTasks: number;
  /** Certificate name ("" = none). */
  certificate: string;
  /** Position in age order (oldest = 0). */
  rank: number;
  /** {@link poolOptions} with and without context_root_rewrite, computed once. */
  httpOptions: string;
  sniOptions: string;
}

/** Mutable state of one model build. */
interface Build {
  diagnostics: Diagnostic[];
  /** Pool key ("\n"-joined sorted service names) → members. */
  pools: Map<string, Candidate[]>;
}

/** Host under construction; routes keep the pool key in `upstream` until names are assigned. */
interface HostDraft {
  host: string;
  routes: Map<string, Route>;
  /** Path → the oldest member of the route's pool (who may redirect that path). */
  routeOwners: Map<string, Candidate>;
  redirects: Map<string, { redirect: Redirect; owner: Candidate }> | undefined;
  /** Candidates routed on this host, in age order. */
  members: Candidate[];
  /** A passthrough service of this host asks for ssl_only (plain HTTP is redirected to HTTPS). */
  passthroughSslOnly: boolean;
}

/** The `container-label` diagnostic of a service with `com.docker.lb.*` container labels. */
function containerLabelDiagnostic(service: string, keys: readonly string[], hasServiceLabels: boolean): Diagnostic {
  const one = keys.length === 1;
  const named = `${one ? 'label' : 'labels'} ${keys.join(', ')}`;
  const move = 'move them under deploy.labels (service labels) in the stack file, or use docker service update --label-add';
  return hasServiceLabels
    ? warning(service, '', ModelCode.containerLabel, `container ${named} (compose "labels:") ${one ? 'is' : 'are'} ignored: routing reads service labels only; ${move}`)
    : error(service, '', ModelCode.containerLabel, `not routed: ${named} ${one ? 'is' : 'are'} set on the containers (compose "labels:"), not on the service; routing reads service labels only; ${move}`);
}

function diag(service: string, label: string, code: string, message: string, severity: Severity): Diagnostic {
  return { service, label, code, message, severity };
}

function error(service: string, label: string, code: string, message: string): Diagnostic {
  return diag(service, label, code, message, Severity.SEVERITY_ERROR);
}

function warning(service: string, label: string, code: string, message: string): Diagnostic {
  return diag(service, label, code, message, Severity.SEVERITY_WARNING);
}

function compareNetworks(a: SwarmNetwork, b: SwarmNetwork): number {
  return compareStrings(a.name, b.name) || compareStrings(a.id, b.id);
}

function compareEndpoints(a: Endpoint, b: Endpoint): number {
  return (
    compareAddress(a.address, b.address) ||
    a.port - b.port ||
    compareStrings(a.service, b.service) ||
    compareStrings(a.taskId, b.taskId) ||
    a.weight - b.weight
  );
}

function compareDiagnostics(a: Diagnostic, b: Diagnostic): number {
  return (
    compareStrings(a.service, b.service) ||
    compareStrings(a.label, b.label) ||
    compareStrings(a.code, b.code) ||
    compareStrings(a.message, b.message) ||
    compareStrings(a.severity, b.severity)
  );
}

/** Route order: longest path first, then by path. */
function compareRoutes(a: Route, b: Route): number {
  return b.path.length - a.path.length || compareStrings(a.path, b.path);
}

/** The options that must agree inside one pool (and, for HTTP routes, on one path). */
function poolOptions(spec: ServiceRouteSpec, withRewrite: boolean): string {
  const tls = spec.sslBackend;
  // Cookie names are tokens ([A-Za-z0-9_.-]), so "|" cannot occur inside a field.
  return `${spec.stickySessionCookie ?? ''}|${spec.ipHash}|${tls}|${tls && spec.sslBackendTlsVerify === 'required'}|${spec.backendMode}|${withRewrite && spec.contextRootRewrite}`;
}

/** The label of the first pool option on which `b` differs from `a` ("" when none does). */
function differingLabel(a: ServiceRouteSpec, b: ServiceRouteSpec, withRewrite: boolean): string {
  if ((a.stickySessionCookie ?? '') !== (b.stickySessionCookie ?? '')) return ModelLabel.stickySessionCookie;
  if (a.ipHash !== b.ipHash) return ModelLabel.ipHash;
  if (a.sslBackend !== b.sslBackend) return ModelLabel.sslBackend;
  if (a.sslBackend && a.sslBackendTlsVerify !== b.sslBackendTlsVerify) return ModelLabel.sslBackendTlsVerify;
  if (a.backendMode !== b.backendMode) return ModelLabel.backendMode;
  if (withRewrite && a.contextRootRewrite !== b.contextRootRewrite) return ModelLabel.contextRootRewrite;
  return '';
}

function describeOptions(spec: ServiceRouteSpec): string {
  const parts = [
    `sticky_session_cookie=${spec.stickySessionCookie ?? ''}`,
    `ip_hash=${spec.ipHash}`,
    `ssl_backend=${spec.sslBackend}`,
    `ssl_backend_tls_verify=${spec.sslBackendTlsVerify}`,
    `backend_mode=${spec.backendMode}`,
    `context_root_rewrite=${spec.contextRootRewrite}`,
  ];
  return parts.join(', ');
}

/** Chooses the network the proxy reaches `service` on, or reports why it cannot. */
function chooseNetwork(
  service: SwarmService,
  spec: ServiceRouteSpec,
  networksById: Map<string, SwarmNetwork>,
  diagnostics: Diagnostic[],
): SwarmNetwork | undefined {
  const own: SwarmNetwork[] = [];
  const seen = new Set<string>();
  for (const id of service.networkIds) {
    const net = networksById.get(id);
    if (net && !net.ingress && !seen.has(net.id)) {
      seen.add(net.id);
      own.push(net);
    }
  }
  own.sort(compareNetworks);
  if (spec.network !== undefined) {
    const wanted = spec.network;
    const hit = own.find((n) => n.id === wanted) ?? own.find((n) => n.name === wanted);
    if (!hit) {
      diagnostics.push(
        error(
          service.name,
          ModelLabel.network,
          ModelCode.unknownNetwork,
          `network "${wanted}" is not one of the service's networks (${own.map((n) => n.name).join(', ') || 'none'})`,
        ),
      );
    }
    return hit;
  }
  const first = own[0];
  if (!first) {
    diagnostics.push(error(service.name, '', ModelCode.noNetwork, 'the service is attached to no non-ingress network the proxy could join'));
    return undefined;
  }
  if (own.length > 1) {
    diagnostics.push(
      warning(
        service.name,
        ModelLabel.network,
        ModelCode.ambiguousNetwork,
        `the service has several networks (${own.map((n) => n.name).join(', ')}); using "${first.name}": set ${ModelLabel.network} to choose`,
      ),
    );
  }
  return first;
}

/** Endpoints (weight 1) of a service on `network`, and its running-task count. */
function serviceEndpoints(
  service: SwarmService,
  spec: ServiceRouteSpec,
  network: SwarmNetwork,
  tasks: readonly SwarmTask[],
  diagnostics: Diagnostic[],
): Endpoint[] {
  const port = spec.port ?? 0;
  if (spec.backendMode === 'vip') {
    const address = pickAddress(service.virtualIps.filter((v) => v.networkId === network.id).map((v) => v.address));
    if (address === undefined) {
      diagnostics.push(
        warning(service.name, ModelLabel.backendMode, ModelCode.missingVip, `backend_mode=vip but the service has no virtual IP on network "${network.name}"`),
      );
      return [];
    }
    return [{ address, port, weight: 1, service: service.name, taskId: '' }];
  }
  const endpoints: Endpoint[] = [];
  for (const task of tasks) {
    const addresses: string[] = [];
    for (const att of task.attachments) if (att.networkId === network.id) addresses.push(...att.addresses);
    const address = pickAddress(addresses);
    if (address !== undefined) endpoints.push({ address, port, weight: 1, service: service.name, taskId: task.id });
  }
  return endpoints;
}

/** What the secret policy says of each secret (by name): `'any'` = usable by every service. */
type SecretTable = Map<string, SecretAccess | 'any'>;

function mayUseSecret(access: SecretAccess | 'any' | undefined, service: string, hosts: readonly string[]): boolean {
  return access === 'any' || (access !== undefined && secretAllows(access, service, hosts));
}

/** Checks every value of the spec that will reach config text; returns false (with errors) when one is unsafe. */
function checkSafe(name: string, spec: ServiceRouteSpec, diagnostics: Diagnostic[]): boolean {
  let ok = true;
  const bad = (label: string, what: string): void => {
    ok = false;
    diagnostics.push(error(name, label, ModelCode.unsafeValue, what));
  };
  for (const host of spec.hosts) if (!isSafeHost(host)) bad(ModelLabel.hosts, `host ${JSON.stringify(host)} is not a valid host name`);
  if (spec.contextRoot !== undefined && !isSafePath(spec.contextRoot)) {
    bad(ModelLabel.contextRoot, `context root ${JSON.stringify(spec.contextRoot)} is not a safe path`);
  }
  for (const p of spec.websocketEndpoints) if (!isSafePath(p)) bad(ModelLabel.websocketEndpoints, `websocket path ${JSON.stringify(p)} is not a safe path`);
  if (spec.websocketEndpoints.length > MAX_WEBSOCKET_ENDPOINTS) {
    bad(ModelLabel.websocketEndpoints, `${spec.websocketEndpoints.length} websocket paths, more than ${MAX_WEBSOCKET_ENDPOINTS}`);
  }
  for (const r of spec.redirects) {
    if (!isSafeHost(r.sourceHost) || !isSafePath(r.sourcePath) || !isSafeRedirectUrl(r.target)) {
      bad(ModelLabel.redirects, `redirect ${JSON.stringify(`${r.sourceHost}${r.sourcePath}`)} → ${JSON.stringify(r.target)} contains unsafe characters`);
    }
  }
  return ok;
}

/**
 * Builds the {@link ProxyModel} of one service cluster from a swarm snapshot: a pure, deterministic
 * function (shuffling the snapshot's arrays never changes the encoded result). Bad labels never
 * throw; they become `diagnostics` and, for errors, leave the service (or one of its claims) out.
 * The rules are described in the package README and {@link CONFLICT_RULES}.
 */
export function buildModel(snapshot: SwarmSnapshot, options: BuildModelOptions = {}): ProxyModel {
  const cluster = options.serviceCluster ?? '';
  const parse = options.parse ?? parseServiceLabels;
  const diagnostics: Diagnostic[] = [];
  const statuses: ServiceStatus[] = [];

  const networksById = new Map<string, SwarmNetwork>();
  for (const n of [...snapshot.networks].sort(compareNetworks)) if (!networksById.has(n.id)) networksById.set(n.id, n);
  const policy = options.secretPolicy ?? 'labelled';
  const secrets: SecretTable = new Map();
  for (const s of [...(snapshot.secrets as LabelledSecret[])].sort((a, b) => compareStrings(a.name, b.name) || compareStrings(a.id, b.id))) {
    if (!secrets.has(s.name)) secrets.set(s.name, policy === 'any' ? 'any' : parseSecretAccess(s.labels));
  }
  const tasksByService = new Map<string, SwarmTask[]>();
  for (const t of snapshot.tasks) {
    if (t.state !== 'running' || t.desiredState !== 'running') continue;
    const list = tasksByService.get(t.serviceId);
    if (list) list.push(t);
    else tasksByService.set(t.serviceId, [t]);
  }

  const services = [...snapshot.services].sort((a, b) => compareStrings(a.name, b.name) || compareStrings(a.id, b.id));
  const candidates: Candidate[] = [];
  for (const service of services) {
    // What the service and its containers (compose `labels:` instead of `deploy.labels:`) claim, read by
    // the label package; snapshots built before `container_labels` existed may lack that map.
    const claim = readClaim(service.labels);
    const containerClaim = readClaim(service.containerLabels ?? {});
    const misplaced = containerClaim.keys;
    if (claim.keys.length === 0) {
      if (misplaced.length > 0) {
        // Listed (not routed) in the cluster its container labels name, so `status` and `explain` say why.
        if (containerClaim.serviceCluster !== cluster) continue;
        diagnostics.push(containerLabelDiagnostic(service.name, misplaced, false));
        statuses.push({
          id: service.id,
          name: service.name,
          serviceCluster: cluster,
          hosts: containerClaim.hosts,
          routed: false,
          runningTasks: tasksByService.get(service.id)?.length ?? 0,
        });
      }
      continue;
    }
    const result = parse(service.name, service.labels);
    const spec = result.spec;
    // A service whose labels did not parse is listed in the cluster it names (unknown: every cluster).
    const serviceCluster = spec ? spec.serviceCluster : claim.serviceCluster;
    if (serviceCluster !== undefined && serviceCluster !== cluster) continue;
    diagnostics.push(...result.diagnostics);
    if (misplaced.length > 0) diagnostics.push(containerLabelDiagnostic(service.name, misplaced, true));
    const running = tasksByService.get(service.id) ?? [];
    const status: ServiceStatus = {
      id: service.id,
      name: service.name,
      serviceCluster: serviceCluster ?? '',
      hosts: spec ? [...spec.hosts] : claim.hosts,
      routed: false,
      runningTasks: running.length,
    };
    statuses.push(status);
    if (!spec) continue;
    const candidate = admit(service, spec, running, networksById, secrets, diagnostics, options.refusedSecrets);
    if (candidate) candidates.push(candidate);
  }

  const model = assemble(candidates, diagnostics);
  for (const x of tlsExclusions(model)) {
    const what = x.kind === 'passthrough' ? 'passthrough' : 'certificate';
    for (const service of x.services) {
      diagnostics.push(
        warning(
          service,
          x.kind === 'passthrough' ? ModelLabel.sslPassthrough : ModelLabel.sslCert,
          ModelCode.wildcardExclusion,
          `wildcard ${what} host ${x.wildcard} does not take TLS for hosts other services route: ${x.hosts.join(', ')}`,
        ),
      );
    }
  }
  const routed = new Set(model.routedNames);
  for (const s of statuses) s.routed = routed.has(s.name);

  const result: ProxyModel = {
    version: options.version ?? 0,
    hash: '',
    serviceCluster: cluster,
    hosts: model.hosts,
    sniRoutes: model.sniRoutes,
    upstreams: model.upstreams,
    certificates: model.certificates,
    defaultUpstream: model.defaultUpstream,
    networks: model.networks,
    services: statuses.sort((a, b) => compareStrings(a.name, b.name) || compareStrings(a.id, b.id)),
    diagnostics: dedupeSorted(diagnostics),
  };
  result.hash = modelHash(result);
  return result;
}

function dedupeSorted(diagnostics: Diagnostic[]): Diagnostic[] {
  const sorted = [...diagnostics].sort(compareDiagnostics);
  return sorted.filter((d, i) => i === 0 || compareDiagnostics(d, sorted[i - 1] as Diagnostic) !== 0);
}

/** Per-service checks (safety, port, network, secrets); returns the candidate or undefined (skipped). */
function admit(
  service: SwarmService,
  spec: ServiceRouteSpec,
  running: SwarmTask[],
  networksById: Map<string, SwarmNetwork>,
  secrets: SecretTable,
  diagnostics: Diagnostic[],
  refusedSecrets: ReadonlyMap<string, string> = new Map(),
): Candidate | undefined {
  const name = service.name;
  if (!checkSafe(name, spec, diagnostics)) return undefined;
  const needsUpstream = spec.hosts.length > 0 || spec.defaultBackend;
  let ok = true;
  if (needsUpstream && spec.port === undefined) {
    diagnostics.push(error(name, ModelLabel.port, ModelCode.missingPort, `${ModelLabel.port} is required to route the service`));
    ok = false;
  }
  let certificate = '';
  if (spec.sslCert !== undefined || spec.sslKey !== undefined) {
    for (const [label, secret] of [
      [ModelLabel.sslCert, spec.sslCert],
      [ModelLabel.sslKey, spec.sslKey],
    ] as const) {
      if (secret === undefined) {
        diagnostics.push(error(name, label, ModelCode.unknownSecret, `${label} is required with ${ModelLabel.sslCert}/${ModelLabel.sslKey}`));
        ok = false;
      } else if (!secrets.has(secret) || !isSafeToken(secret)) {
        diagnostics.push(error(name, label, ModelCode.unknownSecret, `secret "${secret}" does not exist`));
        ok = false;
      } else if (!mayUseSecret(secrets.get(secret), name, spec.hosts)) {
        diagnostics.push(
          error(
            name,
            label,
            ModelCode.secretNotAllowed,
            `secret "${secret}" does not allow this service: its label ${SECRET_LABELS.allowedServices} must name the service (or be "*"), ` +
              `or its label ${SECRET_LABELS.allowedHosts} must cover all of the service's hosts (${spec.hosts.join(', ') || 'none'}); the service's TLS routes are not served`,
          ),
        );
        ok = false;
      } else if (refusedSecrets.has(secret)) {
        diagnostics.push(error(name, label, ModelCode.certificateRefused, `the proxy's own check refused secret "${secret}": ${refusedSecrets.get(secret)}`));
        ok = false;
      }
    }
    certificate = spec.sslCert ?? '';
  }
  let network: SwarmNetwork | undefined;
  if (needsUpstream) {
    network = chooseNetwork(service, spec, networksById, diagnostics);
    if (!network) ok = false;
  }
  if (!ok) return undefined;
  const endpoints = network ? serviceEndpoints(service, spec, network, running, diagnostics) : [];
  return {
    service,
    name,
    spec,
    network,
    endpoints,
    runningTasks: running.length,
    certificate,
    rank: 0,
    httpOptions: poolOptions(spec, true),
    sniOptions: poolOptions(spec, false),
  };
}

/** The routing parts of a model, and the services they route. */
type Assembled = Pick<ProxyModel, 'hosts' | 'sniRoutes' | 'upstreams' | 'certificates' | 'defaultUpstream' | 'networks'> & { routedNames: string[] };

/** Turns admitted candidates into hosts, SNI routes, pools, certificates and networks. */
function assemble(admitted: Candidate[], diagnostics: Diagnostic[]): Assembled {
  const build: Build = { diagnostics, pools: new Map() };
  const byAge = [...admitted].sort(
    (a, b) =>
      a.service.createdAtUnixMs - b.service.createdAtUnixMs || compareStrings(a.name, b.name) || compareStrings(a.service.id, b.service.id),
  );

  // Certificates: one secret pair per certificate name; a newer service pairing it differently is skipped.
  const certificates = new Map<string, TlsCertificate>();
  const candidates: Candidate[] = [];
  for (const c of byAge) {
    if (c.certificate !== '') {
      const key = c.spec.sslKey ?? '';
      const existing = certificates.get(c.certificate);
      if (existing && existing.keySecret !== key) {
        diagnostics.push(
          error(c.name, ModelLabel.sslKey, ModelCode.certificateConflict, `certificate "${c.certificate}" is already paired with key secret "${existing.keySecret}" by an older service`),
        );
        continue;
      }
      if (!existing) {
        certificates.set(c.certificate, {
          name: c.certificate,
          certSecret: c.certificate,
          keySecret: key,
          certFile: `${c.certificate}.pem`,
          keyFile: `${c.certificate}.pem.key`,
        });
      }
    }
    c.rank = candidates.length;
    candidates.push(c);
  }

  // HTTP claims: host → path → claimants (age order); SNI claims: host → claimants.
  const httpClaims = new Map<string, Map<string, Candidate[]>>();
  const sniClaims = new Map<string, Candidate[]>();
  for (const c of candidates) {
    for (const host of c.spec.hosts) {
      if (c.spec.sslPassthrough) {
        pushTo(sniClaims, host, c);
      } else {
        let paths = httpClaims.get(host);
        if (!paths) httpClaims.set(host, (paths = new Map()));
        pushTo(paths, c.spec.contextRoot ?? '/', c);
      }
    }
  }

  const hosts = new Map<string, HostDraft>();
  const hostDraft = (host: string): HostDraft => {
    let h = hosts.get(host);
    if (!h) hosts.set(host, (h = { host, routes: new Map(), routeOwners: new Map(), redirects: undefined, members: [], passthroughSslOnly: false }));
    return h;
  };

  for (const [host, paths] of httpClaims) {
    const draft = hostDraft(host);
    for (const [path, claimants] of paths) {
      const members = settlePool(build, claimants, true, `${host}${path}`);
      draft.routes.set(path, { path, stripPrefix: members[0]?.spec.contextRootRewrite ?? false, upstream: poolKey(members), websocket: false });
      if (members[0]) draft.routeOwners.set(path, members[0]);
      for (const m of members) if (!draft.members.includes(m)) draft.members.push(m);
    }
    draft.members.sort((a, b) => a.rank - b.rank);
  }

  // SNI routes (passthrough pools), then TLS termination vs passthrough on the same host.
  const sni = new Map<string, { key: string; members: Candidate[] }>();
  for (const [host, claimants] of sniClaims) {
    const members = settlePool(build, claimants, false, `${host} (passthrough)`);
    sni.set(host, { key: poolKey(members), members });
  }

  // Host-level TLS: the oldest member naming a certificate wins; passthrough conflicts resolved by age.
  const hostCerts = new Map<string, string>();
  for (const draft of hosts.values()) {
    const certOwner = draft.members.find((m) => m.certificate !== '');
    if (!certOwner) continue;
    for (const m of draft.members) {
      if (m.certificate !== '' && m.certificate !== certOwner.certificate) {
        diagnostics.push(
          error(m.name, ModelLabel.sslCert, ModelCode.certificateConflict, `host ${draft.host} already uses certificate "${certOwner.certificate}" of an older service`),
        );
      }
    }
    const passthrough = sni.get(draft.host);
    const sniOwner = passthrough?.members[0];
    if (passthrough && sniOwner) {
      if (sniOwner.rank < certOwner.rank) {
        for (const m of draft.members) {
          if (m.certificate !== '') {
            diagnostics.push(error(m.name, ModelLabel.sslCert, ModelCode.tlsConflict, `host ${draft.host} is passed through by the older service ${sniOwner.name}; not terminating TLS for it`));
          }
        }
        continue;
      }
      for (const m of passthrough.members) {
        diagnostics.push(
          error(m.name, ModelLabel.sslPassthrough, ModelCode.tlsConflict, `host ${draft.host} is TLS-terminated by the older service ${certOwner.name}; no passthrough route`),
        );
      }
      sni.delete(draft.host);
    }
    hostCerts.set(draft.host, certOwner.certificate);
  }

  // ssl_only on a passed-through host: an HTTP host without routes that only redirects to HTTPS.
  for (const [host, s] of sni) {
    if (s.members.some((m) => m.spec.sslOnly)) hostDraft(host).passthroughSslOnly = true;
  }

  // Websocket endpoints: same upstream as the service's own route on that host.
  for (const c of candidates) {
    if (c.spec.sslPassthrough || c.spec.websocketEndpoints.length === 0) continue;
    const mainPath = c.spec.contextRoot ?? '/';
    for (const host of c.spec.hosts) {
      const draft = hosts.get(host);
      const main = draft?.routes.get(mainPath);
      if (!draft || !main || !draft.members.includes(c) || !main.upstream.split('\n').includes(c.name)) continue;
      for (const wsPath of c.spec.websocketEndpoints) {
        const underRoot = c.spec.contextRoot !== undefined && (wsPath === mainPath || wsPath.startsWith(`${mainPath}/`));
        if (underRoot && main.stripPrefix) {
          main.websocket = true;
          continue;
        }
        const existing = draft.routes.get(wsPath);
        if (!existing) {
          draft.routes.set(wsPath, { path: wsPath, stripPrefix: false, upstream: main.upstream, websocket: true });
          const owner = draft.routeOwners.get(mainPath);
          if (owner) draft.routeOwners.set(wsPath, owner);
        } else if (existing.upstream === main.upstream) {
          existing.websocket = true;
        } else {
          diagnostics.push(
            warning(c.name, ModelLabel.websocketEndpoints, ModelCode.websocketConflict, `path ${wsPath} of host ${host} already routes to other services; websocket endpoint ignored`),
          );
        }
      }
    }
  }

  // Redirects (hosts created without routes when absent), only where the service owns the source.
  const redirectOwners = new Set<string>();
  for (const c of candidates) {
    for (const r of c.spec.redirects) {
      const refusal = redirectRefusal(c, r, hosts.get(r.sourceHost), sni.get(r.sourceHost)?.members ?? []);
      if (refusal !== undefined) {
        diagnostics.push(error(c.name, ModelLabel.redirects, ModelCode.redirectNotOwned, `redirect of ${r.sourceHost}${r.sourcePath} dropped: ${refusal}`));
        continue;
      }
      const draft = hostDraft(r.sourceHost);
      const redirects = (draft.redirects ??= new Map());
      const existing = redirects.get(r.sourcePath);
      if (!existing) {
        redirects.set(r.sourcePath, { redirect: { fromPath: r.sourcePath, toUrl: r.target }, owner: c });
        redirectOwners.add(c.name);
      } else if (existing.redirect.toUrl !== r.target) {
        diagnostics.push(
          warning(c.name, ModelLabel.redirects, ModelCode.redirectConflict, `${r.sourceHost}${r.sourcePath} already redirects to ${existing.redirect.toUrl} (older service ${existing.owner.name})`),
        );
      } else {
        redirectOwners.add(c.name);
      }
    }
  }

  // Default backend: the oldest service asking for it, alone in its pool.
  let defaultKey = '';
  for (const c of candidates) {
    if (!c.spec.defaultBackend) continue;
    if (defaultKey === '') {
      defaultKey = c.name;
      build.pools.set(defaultKey, [c]);
    } else {
      diagnostics.push(
        warning(c.name, ModelLabel.defaultBackend, ModelCode.defaultBackendConflict, `the older service ${defaultKey} is already the default backend`),
      );
    }
  }

  // Pools actually referenced → upstream names, endpoints, networks.
  const used = new Set<string>();
  for (const draft of hosts.values()) for (const r of draft.routes.values()) used.add(r.upstream);
  for (const s of sni.values()) used.add(s.key);
  if (defaultKey !== '') used.add(defaultKey);
  const names = nameUpstreams([...used].sort(compareStrings));

  const upstreams: Upstream[] = [];
  const networks = new Map<string, ProxyNetwork>();
  const routedNames = new Set<string>(redirectOwners);
  for (const key of [...used].sort(compareStrings)) {
    const members = build.pools.get(key) ?? [];
    upstreams.push(toUpstream(names.get(key) ?? key, members));
    for (const m of members) {
      routedNames.add(m.name);
      if (m.network) networks.set(m.network.id, { id: m.network.id, name: m.network.name });
    }
  }
  upstreams.sort((a, b) => compareStrings(a.name, b.name));

  const httpHosts: HttpHost[] = [...hosts.values()]
    .map((d) => ({
      host: d.host,
      certificate: hostCerts.get(d.host) ?? '',
      sslOnly: d.passthroughSslOnly || d.members.some((m) => m.spec.sslOnly),
      routes: [...d.routes.values()].map(renameUpstream(names)).sort(compareRoutes),
      redirects: d.redirects ? [...d.redirects.values()].map((r) => r.redirect).sort((a, b) => compareStrings(a.fromPath, b.fromPath)) : [],
    }))
    .sort((a, b) => compareStrings(a.host, b.host));

  const usedCerts = new Set(httpHosts.map((h) => h.certificate).filter((c) => c !== ''));
  return {
    hosts: httpHosts,
    sniRoutes: [...sni.entries()]
      .map(([host, s]) => ({ host, upstream: names.get(s.key) ?? s.key }))
      .sort((a, b) => compareStrings(a.host, b.host)),
    upstreams,
    certificates: [...certificates.values()].filter((c) => usedCerts.has(c.name)).sort((a, b) => compareStrings(a.name, b.name)),
    defaultUpstream: defaultKey === '' ? '' : (names.get(defaultKey) ?? defaultKey),
    networks: [...networks.values()].sort((a, b) => compareStrings(a.name, b.name) || compareStrings(a.id, b.id)),
    routedNames: [...routedNames],
  };
}

/**
 * Why service `c` may not redirect `r` (undefined when it may): the source host must be one of its own
 * hosts, it must be routed there (HTTP member or SNI pool member), and the route that would otherwise
 * answer the source path (longest prefix on whole segments), if any, must have `c` as its oldest member.
 * So a redirect never takes traffic another service's route receives.
 */
function redirectRefusal(c: Candidate, r: RedirectSpec, draft: HostDraft | undefined, sniMembers: readonly Candidate[]): string | undefined {
  if (!c.spec.hosts.includes(r.sourceHost)) return `${r.sourceHost} is not one of the service's hosts (${ModelLabel.hosts})`;
  if (!(draft?.members.includes(c) ?? false) && !sniMembers.includes(c)) {
    return `the service is not routed on ${r.sourceHost} (an older service's claim won)`;
  }
  let covering = '';
  for (const path of draft?.routes.keys() ?? []) {
    const covers = path === '/' || r.sourcePath === path || r.sourcePath.startsWith(`${path}/`);
    if (covers && path.length > covering.length) covering = path;
  }
  const owner = covering === '' ? undefined : draft?.routeOwners.get(covering);
  if (owner !== undefined && owner !== c) return `${r.sourceHost}${covering} is served by the older service ${owner.name}`;
  return undefined;
}

/** Replaces a route's pool key by the pool's upstream name (routes are private to this build). */
function renameUpstream(names: Map<string, string>): (route: Route) => Route {
  return (route) => {
    route.upstream = names.get(route.upstream) ?? route.upstream;
    return route;
  };
}

function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function poolKey(members: readonly Candidate[]): string {
  if (members.length === 1) return members[0]?.name ?? '';
  return members
    .map((m) => m.name)
    .sort(compareStrings)
    .join('\n');
}

/**
 * Settles one (host, path) claim: the oldest claimant fixes the pool options; claimants that differ
 * are excluded with `route-conflict`. Registers the pool and returns its members (age order).
 */
function settlePool(build: Build, claimants: Candidate[], withRewrite: boolean, where: string): Candidate[] {
  const ref = claimants[0];
  if (!ref) return [];
  const options = (c: Candidate): string => (withRewrite ? c.httpOptions : c.sniOptions);
  const refOptions = options(ref);
  const members: Candidate[] = [];
  for (const c of claimants) {
    if (c === ref || options(c) === refOptions) {
      members.push(c);
    } else {
      build.diagnostics.push(
        error(
          c.name,
          differingLabel(ref.spec, c.spec, withRewrite),
          ModelCode.routeConflict,
          `${where} is served by the older service ${ref.name} with other options (${describeOptions(ref.spec)}); this service is left out of that route`,
        ),
      );
    }
  }
  const key = poolKey(members);
  if (!build.pools.has(key)) build.pools.set(key, members.length === 1 ? members : [...members].sort((a, b) => compareStrings(a.name, b.name)));
  return members;
}

/** Assigns collision-free upstream names to pool keys (processed in sorted order). */
function nameUpstreams(keys: readonly string[]): Map<string, string> {
  const names = new Map<string, string>();
  const taken = new Set<string>();
  for (const key of keys) {
    const services = key.split('\n');
    let name = upstreamName(services);
    for (let len = 16; taken.has(name) && len <= 64; len += 16) name = upstreamName(services, len);
    taken.add(name);
    names.set(key, name);
  }
  return names;
}

/** The Upstream of a pool: options from its oldest member, weighted endpoints, sorted. */
function toUpstream(name: string, members: readonly Candidate[]): Upstream {
  let ref: Candidate | undefined;
  for (const m of members) if (!ref || m.rank < ref.rank) ref = m;
  const weighted = members.some((m) => m.spec.weight !== undefined);
  let endpoints: Endpoint[];
  if (weighted) {
    const weights = endpointWeights(
      members.map((m) => m.spec.weight ?? DEFAULT_SERVICE_WEIGHT),
      members.map((m) => m.endpoints.length),
    );
    endpoints = members.flatMap((m, i) => {
      const w = weights[i] ?? 0;
      return w > 0 ? m.endpoints.map((e) => ({ ...e, weight: w })) : [];
    });
  } else {
    endpoints = members.length === 1 ? [...(members[0]?.endpoints ?? [])] : members.flatMap((m) => m.endpoints);
  }
  const spec = ref?.spec;
  return {
    name,
    endpoints: endpoints.sort(compareEndpoints),
    stickyCookie: spec?.stickySessionCookie ?? '',
    ipHash: spec?.ipHash ?? false,
    tls: spec?.sslBackend ?? false,
    tlsVerify: (spec?.sslBackend ?? false) && spec?.sslBackendTlsVerify === 'required',
    mode: spec?.backendMode === 'vip' ? BackendMode.BACKEND_MODE_VIP : BackendMode.BACKEND_MODE_TASK,
    services: members.map((m) => m.name).sort(compareStrings),
  };
}
