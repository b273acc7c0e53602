import { buildModel } from '@switchyard/model';
import { ApplyResult, Delivery, Severity, configChecksum, type ConfigNotice, type ProxyKind, type ProxyModel, type ReconcileStatus, type RenderedFile, type ReportProxyConfigRequest, type SwarmSnapshot } from '@switchyard/proto';
import { Loop, SnapshotWatcher, errorMeta, type DockerPort, type Logger, type RoundOutcome, type Timers } from '@switchyard/reconciler';
import type { CoreConfig, ExtensionConfig } from './config.js';
import { ignoredKeyNotices, sortNotices } from './config-notices.js';
import type { Caller } from './control-plane.js';
import type { ServiceCredentials } from './credentials.js';
import { DeliveryError, DockerConfigDelivery, type ConfigDelivery } from './delivery.js';
import { DockerExecutor } from './executor.js';
import { createExtensionService, proxyKindOf, type SubmissionSink } from './grpc-service.js';
import { ModelHub } from './hub.js';
import { ProxyPreflight } from './preflight.js';
import { ProxyConfigHub } from './proxy-hub.js';
import { CoreMetrics } from './metrics.js';
import { RoutingMeshCheck, procIpvsProbe } from './routing-mesh.js';
import { planExtensionServices, type DesiredExtension } from './plan.js';
import { MANAGED_BY, MANAGED_BY_VALUE, ROLE, extensionServiceSpec } from './specs.js';

/** Shortest period of the deploy loop (extension services, proxy re-assertion, late garbage collection). */
const DEPLOY_INTERVAL_MIN_MS = 10_000;

/** Everything core is made of; the app builds the real ones, tests may pass fakes. */
export interface CoreOptions {
  config: CoreConfig;
  docker: DockerPort;
  logger: Logger;
  metrics?: CoreMetrics;
  delivery?: ConfigDelivery;
  /** Deploy and keep up to date the extension services (default true). */
  deployExtensions?: boolean;
  /** Issues the deployed services' client certificates; absent when core runs with `InsecureControlPlane`. */
  credentials?: ServiceCredentials;
  /** Checks the routing mesh for `PublishMode = "ingress"` (default: probes this host's `/proc/net/ip_vs`). */
  routingMesh?: RoutingMeshCheck;
  /** Clock and timers of the deploy loop (default: the global ones). */
  timers?: Timers;
}

/**
 * core: turns swarm snapshots into one model per service cluster, publishes them to extensions,
 * keeps the extension services deployed, and delivers accepted proxy configs.
 */
export class Core {
  readonly hub = new ModelHub();
  /** Configurations for the proxy agents (hitless delivery) and what each replica reported. */
  readonly proxies = new ProxyConfigHub();
  readonly metrics: CoreMetrics;
  private readonly watcher: SnapshotWatcher;
  private readonly delivery: ConfigDelivery;
  private readonly deployLoop: Loop;
  private readonly executor: DockerExecutor;
  private readonly publishedAt = new Map<number, number>();
  private readonly knownDiagnostics = new Map<string, Set<string>>();
  private lastSnapshot: SwarmSnapshot | undefined;
  /** Secrets the proxy's own check refused (secret ID → its words); services using them are left out. */
  private readonly refusedSecrets = new Map<string, string>();
  private readonly routingMesh: RoutingMeshCheck;

  constructor(private readonly options: CoreOptions) {
    this.metrics = options.metrics ?? new CoreMetrics(false);
    this.routingMesh = options.routingMesh ?? new RoutingMeshCheck({ probe: procIpvsProbe(), logger: options.logger });
    this.delivery =
      options.delivery ??
      new DockerConfigDelivery(
        options.docker,
        options.logger,
        options.config.CoreNetwork,
        {
          hub: this.proxies,
          coreAddress: options.config.CoreAddress,
          credentials: options.credentials
            ? (ext) => options.credentials!.secretFor(ext.ProxyServiceName, { role: 'proxy', name: ext.ProxyServiceName, serviceCluster: ext.ServiceCluster })
            : undefined,
        },
        new ProxyPreflight(options.docker, options.logger, options.config.CoreNetwork),
      );
    this.watcher = new SnapshotWatcher({
      docker: options.docker,
      logger: options.logger,
      resyncIntervalMs: options.config.PollIntervalMs,
      onRound: (outcome) => this.onRound(outcome),
    });
    this.executor = new DockerExecutor(options.docker, options.logger);
    // Extension and proxy services rarely drift: each round checks them and schedules the next one
    // PollInterval later, at most every 10 s (a wake, e.g. at start, runs one sooner).
    const deployIntervalMs = Math.max(DEPLOY_INTERVAL_MIN_MS, options.config.PollIntervalMs);
    this.deployLoop = new Loop({
      timers: options.timers,
      run: () => this.deployRound().finally(() => this.deployLoop.wake(deployIntervalMs)),
      onError: (err) => {
        this.metrics.errors.inc({ stage: 'deploy' });
        // Swarm moved a service's version under an update (a rollout finishing): expected, and the
        // next round updates from the new version, so it is no warning.
        if (/out of sequence/i.test((err as Error)?.message ?? '')) options.logger.info('a service changed during its update; the next deploy round retries', errorMeta(err));
        else options.logger.warn('deploying extension services failed; will retry', errorMeta(err));
      },
    });
  }

  /** The gRPC service implementation to mount on a nice-grpc server. */
  get service() {
    const sink: SubmissionSink = { deliver: (ext, version, files) => this.deliver(ext, version, files) };
    return createExtensionService(this.hub, sink, this.options.logger, () => this.clusters(), {
      hub: this.proxies,
      knownProxy: (name) => this.options.config.Extensions.some((e) => e.ProxyServiceName === name),
      onReport: (req) => this.onReplicaReport(req),
      onReplicas: () => this.replicaStatus(),
    }, (_caller: Caller) => this.metrics.controlPlaneRefused.inc({ reason: 'permission-denied' }), () => this.configNotices(), () => this.reconcileStatus());
  }

  /**
   * How the reconcile rounds go, for GetStatus: the last success, the last failure (with the Docker
   * call that failed) and how many rounds have failed since the last success.
   */
  reconcileStatus(): ReconcileStatus {
    const stats = this.watcher.stats();
    return {
      lastSuccessAtUnixMs: stats.lastReconcileAtMs ?? 0,
      lastError: stats.lastError ?? '',
      lastErrorAtUnixMs: stats.lastErrorAtMs ?? 0,
      consecutiveErrors: stats.consecutiveErrors,
    };
  }

  /** Counts a reconcile round (the watcher has logged a failure, with the Docker call, already). */
  private onRound(outcome: RoundOutcome): void {
    this.metrics.reconcileRounds.inc({ result: outcome.ok ? 'ok' : 'error' });
    if (!outcome.ok) this.metrics.errors.inc({ stage: 'reconcile' });
  }

  /**
   * What `switchyard status` shows about the configuration: the keys it ignores (info, from the file)
   * and settings this host cannot honour (warnings, found while running). Warnings first, then by key.
   */
  configNotices(): ConfigNotice[] {
    return sortNotices([...ignoredKeyNotices(this.options.config.IgnoredKeys), ...this.routingMesh.notices()]);
  }

  /** Logs and measures what a proxy replica reported about a configuration. */
  private onReplicaReport(req: ReportProxyConfigRequest): void {
    const { logger } = this.options;
    const outcome = this.proxies.report(req);
    const task = req.replica?.taskId ?? '';
    const meta = { proxyService: req.proxyService, task, node: req.replica?.nodeId, modelVersion: req.modelVersion, checksum: req.checksum.slice(0, 12), reloads: req.reloads, draining: req.draining };
    this.metrics.replicaReloads.set({ proxy: req.proxyService, task }, req.reloads);
    this.metrics.replicaDraining.set({ proxy: req.proxyService, task }, req.draining);
    if (req.result === ApplyResult.APPLY_RESULT_APPLIED) {
      this.metrics.replicaModelVersion.set({ proxy: req.proxyService, task }, req.modelVersion);
      logger.debug('proxy replica applied config', meta);
    } else {
      const result = req.result === ApplyResult.APPLY_RESULT_REJECTED ? 'rejected' : 'failed';
      this.metrics.replicaRejections.inc({ proxy: req.proxyService, result });
      logger.warn(`proxy replica ${result} config; it keeps serving its previous one`, { ...meta, error: req.error });
    }
    if (outcome.allApplied) {
      const { bundle } = outcome.allApplied;
      const published = this.publishedAt.get(bundle.modelVersion);
      const seconds = published !== undefined ? (Date.now() - published) / 1000 : undefined;
      if (seconds !== undefined) this.metrics.appliedLatency.observe({ proxy: req.proxyService }, seconds);
      logger.info('config applied on every connected proxy replica', { proxyService: req.proxyService, modelVersion: bundle.modelVersion, sincePublishMs: seconds === undefined ? undefined : Math.round(seconds * 1000) });
    }
  }

  /** Per-replica status for GetStatus; forgets long-gone replicas and their metric series. */
  private replicaStatus() {
    const { replicas, forgotten } = this.proxies.replicas();
    for (const r of forgotten) {
      const labels = { proxy: r.proxyService, task: r.replica?.taskId ?? '' };
      this.metrics.replicaModelVersion.remove(labels);
      this.metrics.replicaReloads.remove(labels);
      this.metrics.replicaDraining.remove(labels);
    }
    const connected = new Map<string, number>();
    for (const r of replicas) connected.set(r.proxyService, (connected.get(r.proxyService) ?? 0) + (r.connected ? 1 : 0));
    for (const [proxy, n] of connected) this.metrics.replicasConnected.set({ proxy }, n);
    return replicas;
  }

  /** Starts watching the swarm and deploying extensions. */
  start(): void {
    this.watcher.onSnapshot((snapshot) => this.onSnapshot(snapshot));
    this.watcher.start();
    if (this.options.deployExtensions !== false) {
      this.deployLoop.wake(0);
    }
  }

  /** Stops the watcher and the deploy loop (in-flight work finishes). */
  async stop(): Promise<void> {
    await this.watcher.stop();
    await this.deployLoop.stop();
  }

  /** Clusters that get a model: every configured one plus those registered extensions asked for. */
  clusters(): string[] {
    const set = new Set(this.options.config.Extensions.map((e) => e.ServiceCluster));
    for (const e of this.hub.registeredExtensions()) set.add(e.serviceCluster);
    return [...set].sort();
  }

  /** Rebuilds every cluster's model from a snapshot and publishes those that changed. */
  onSnapshot(snapshot: SwarmSnapshot): void {
    this.lastSnapshot = snapshot;
    this.metrics.snapshots.inc();
    this.rebuild();
  }

  private rebuild(): void {
    const snapshot = this.lastSnapshot;
    if (!snapshot) return;
    // By ID: a secret removed and created again under the same name is a new one, checked anew.
    const refusedSecrets = new Map(snapshot.secrets.flatMap((s) => (this.refusedSecrets.has(s.id) ? [[s.name, this.refusedSecrets.get(s.id)!] as const] : [])));
    for (const cluster of this.clusters()) {
      let model: ProxyModel;
      try {
        model = buildModel(snapshot, { serviceCluster: cluster, refusedSecrets, secretPolicy: this.options.config.SecretPolicy });
      } catch (err) {
        this.metrics.errors.inc({ stage: 'model' });
        this.options.logger.error('building the model failed; keeping the previous one', { serviceCluster: cluster, ...errorMeta(err) });
        continue;
      }
      this.metrics.modelBuilds.inc();
      const { model: stored, changed } = this.hub.publish(model);
      if (!changed) continue;
      this.publishedAt.set(stored.version, Date.now());
      this.metrics.modelVersion.set({ cluster }, stored.version);
      const errors = stored.diagnostics.filter((d) => d.severity === Severity.SEVERITY_ERROR).length;
      this.metrics.diagnostics.set({ cluster, severity: 'error' }, errors);
      this.metrics.diagnostics.set({ cluster, severity: 'warning' }, stored.diagnostics.length - errors);
      this.options.logger.info('model changed', {
        serviceCluster: cluster,
        modelVersion: stored.version,
        hash: stored.hash.slice(0, 12),
        hosts: stored.hosts.map((h) => h.host),
        sniHosts: stored.sniRoutes.map((s) => s.host),
        upstreams: stored.upstreams.map((u) => `${u.name}(${u.endpoints.length})`),
        networks: stored.networks.map((n) => n.name),
        diagnostics: stored.diagnostics.length,
      });
      this.logNewDiagnostics(cluster, stored);
    }
  }

  private logNewDiagnostics(cluster: string, model: ProxyModel): void {
    const before = this.knownDiagnostics.get(cluster) ?? new Set<string>();
    const now = new Set<string>();
    for (const d of model.diagnostics) {
      const key = `${d.service}\0${d.label}\0${d.code}\0${d.message}`;
      now.add(key);
      if (before.has(key)) continue;
      const meta = { serviceCluster: cluster, service: d.service, label: d.label, code: d.code, modelVersion: model.version };
      if (d.severity === Severity.SEVERITY_ERROR) this.options.logger.warn(`service ${d.service} not routed: ${d.message}`, meta);
      else this.options.logger.info(`service ${d.service}: ${d.message}`, meta);
    }
    this.knownDiagnostics.set(cluster, now);
  }

  private extensionFor(serviceCluster: string, proxyKind: ProxyKind): ExtensionConfig | undefined {
    return this.options.config.Extensions.find((e) => e.ServiceCluster === serviceCluster && proxyKindOf(e.ProxyKind) === proxyKind);
  }

  private async deliver(ext: { extensionId: string; name: string; serviceCluster: string; proxyKind: ProxyKind }, modelVersion: number, files: RenderedFile[]): Promise<string> {
    const target = this.extensionFor(ext.serviceCluster, ext.proxyKind);
    const model = this.hub.current(ext.serviceCluster);
    if (!target || !model) {
      this.options.logger.info('accepted config from an extension with no configured proxy; nothing to deliver', { extension: ext.name, serviceCluster: ext.serviceCluster, modelVersion });
      this.metrics.deliveries.inc({ proxy: '', result: 'no-proxy' });
      return '';
    }
    try {
      const result = await this.delivery.deliver({ extension: target, model, files, modelVersion });
      const published = this.publishedAt.get(modelVersion);
      if (published !== undefined) this.metrics.deliveryLatency.observe({ proxy: target.ProxyServiceName }, (Date.now() - published) / 1000);
      this.metrics.deliveries.inc({ proxy: target.ProxyServiceName, result: result.changed ? 'updated' : result.mode === 'hitless' ? 'in-place' : 'unchanged' });
      const configName = result.configNames.join(',');
      this.hub.recordDelivery(
        Delivery.fromPartial({
          serviceCluster: ext.serviceCluster,
          proxyService: target.ProxyServiceName,
          modelVersion,
          configName,
          checksum: configChecksum(files),
          deliveredAtUnixMs: Date.now(),
          mode: result.mode,
        }),
      );
      return configName;
    } catch (err) {
      const code = err instanceof DeliveryError ? err.code : 'docker';
      this.metrics.deliveries.inc({ proxy: target.ProxyServiceName, result: code === 'rejected-by-proxy' ? 'rejected' : 'failed' });
      this.metrics.errors.inc({ stage: 'delivery' });
      this.hub.recordDeliveryError(ext.serviceCluster, target.ProxyServiceName, modelVersion, (err as Error).message, Date.now());
      if (err instanceof DeliveryError && err.code === 'rejected-by-proxy' && err.secrets.length > 0) {
        // Leave the services using these certificates out, so every other route updates again.
        const words = err.output.split('\n').find((l) => /emerg|alert|error/i.test(l)) ?? err.output.split('\n')[0] ?? '';
        for (const name of err.secrets) {
          const id = this.lastSnapshot?.secrets.find((x) => x.name === name)?.id;
          if (id !== undefined) this.refusedSecrets.set(id, words.trim().slice(0, 300));
        }
        this.options.logger.warn('certificate secrets refused by the proxy; the services using them are left out of the model', { proxyService: target.ProxyServiceName, secrets: err.secrets });
        setImmediate(() => this.rebuild());
      }
      throw err;
    }
  }

  /**
   * One round of keeping extension services as configured and proxies as last delivered: observe,
   * plan ({@link planExtensionServices}), execute, then let the delivery re-assert each proxy. Costs
   * two list calls when nothing changed (networks and Switchyard's own services).
   */
  private async deployRound(): Promise<void> {
    const { config, docker } = this.options;
    if (config.Extensions.length === 0) return;
    const [networks, managed] = await Promise.all([docker.listNetworks(), docker.listServices({ label: [`${MANAGED_BY}=${MANAGED_BY_VALUE}`] })]);
    const proxyOf = (ext: ExtensionConfig) => managed.find((s) => s.Spec?.Name === ext.ProxyServiceName && s.Spec?.Labels?.[ROLE] === 'proxy');
    // Ports published through the routing mesh need IPVS on the host; see RoutingMeshCheck.
    await this.routingMesh.observe(config.Extensions.filter((e) => e.PublishMode === 'ingress' && proxyOf(e) !== undefined));
    const coreNet = networks.find((n) => n.Name === config.CoreNetwork || n.Id === config.CoreNetwork);
    if (!coreNet) {
      throw new Error(`CoreNetwork ${JSON.stringify(config.CoreNetwork)} not found: create it with 'docker network create --driver overlay --attachable ${config.CoreNetwork}' and attach core to it`);
    }
    const desired: DesiredExtension[] = [];
    for (const ext of config.Extensions) {
      const credentials = await this.options.credentials?.secretFor(ext.ServiceName, { role: 'extension', name: ext.Name, serviceCluster: ext.ServiceCluster });
      desired.push({ ext, spec: extensionServiceSpec(config, ext, coreNet.Id, credentials) });
    }
    await this.executor.runAll(planExtensionServices(desired, managed));
    for (const ext of config.Extensions) await this.delivery.reassert(ext, proxyOf(ext));
  }
}
