import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Core's Prometheus metrics, on a registry of their own. */
export class CoreMetrics {
  readonly registry = new Registry();
  readonly modelBuilds = new Counter({ name: 'switchyard_model_builds_total', help: 'Models built from swarm snapshots', registers: [this.registry] });
  readonly snapshots = new Counter({ name: 'switchyard_snapshots_total', help: 'Changed swarm snapshots received from the reconciler', registers: [this.registry] });
  readonly errors = new Counter({ name: 'switchyard_errors_total', help: 'Errors by stage', labelNames: ['stage'], registers: [this.registry] });
  readonly modelVersion = new Gauge({ name: 'switchyard_model_version', help: 'Current model version per service cluster', labelNames: ['cluster'], registers: [this.registry] });
  readonly diagnostics = new Gauge({ name: 'switchyard_diagnostics', help: 'Diagnostics in the current model', labelNames: ['cluster', 'severity'], registers: [this.registry] });
  readonly deliveries = new Counter({ name: 'switchyard_deliveries_total', help: 'Proxy config submissions by result', labelNames: ['proxy', 'result'], registers: [this.registry] });
  readonly deliveryLatency = new Histogram({
    name: 'switchyard_delivery_latency_seconds',
    help: 'Time from a model version being published to its config being handed to Docker',
    labelNames: ['proxy'],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
    registers: [this.registry],
  });
  readonly replicaModelVersion = new Gauge({ name: 'switchyard_proxy_replica_model_version', help: 'Model version each proxy replica (task) last applied', labelNames: ['proxy', 'task'], registers: [this.registry] });
  readonly replicaReloads = new Gauge({ name: 'switchyard_proxy_replica_reloads', help: 'Graceful reloads each proxy replica made since its agent started', labelNames: ['proxy', 'task'], registers: [this.registry] });
  readonly replicaDraining = new Gauge({ name: 'switchyard_proxy_replica_draining', help: 'Old proxy processes or workers a replica still drains after reloads', labelNames: ['proxy', 'task'], registers: [this.registry] });
  readonly replicasConnected = new Gauge({ name: 'switchyard_proxy_replicas_connected', help: 'Proxy replicas whose agent follows core', labelNames: ['proxy'], registers: [this.registry] });
  readonly replicaRejections = new Counter({ name: 'switchyard_proxy_config_rejections_total', help: "Configurations a proxy replica refused (the proxy's own check) or failed to load", labelNames: ['proxy', 'result'], registers: [this.registry] });
  readonly appliedLatency = new Histogram({
    name: 'switchyard_model_applied_seconds',
    help: 'Time from a model version being published to its config being applied on every connected proxy replica',
    labelNames: ['proxy'],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
    registers: [this.registry],
  });
  readonly controlPlaneRefused = new Counter({
    name: 'switchyard_control_plane_refused_total',
    help: 'Connections and calls core refused on its gRPC port (plaintext, no or untrusted certificate, no identity, permission denied)',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  readonly dockerCalls = new Counter({ name: 'switchyard_docker_api_calls_total', help: 'Docker Engine API calls by method', labelNames: ['method'], registers: [this.registry] });
  readonly dockerErrors = new Counter({
    name: 'switchyard_docker_api_errors_total',
    help: 'Docker Engine API calls that failed or timed out (DockerAPITimeout), by method; event streams count when they break',
    labelNames: ['method'],
    registers: [this.registry],
  });
  readonly reconcileRounds = new Counter({
    name: 'switchyard_reconcile_rounds_total',
    help: 'Reconcile rounds (lists of services, tasks, networks and secrets) by result: ok or error',
    labelNames: ['result'],
    registers: [this.registry],
  });

  constructor(collectDefaults = true) {
    // Both results exist from the start, so a rate or a ratio of them is defined before the first failure.
    for (const result of ['ok', 'error']) this.reconcileRounds.inc({ result }, 0);
    if (collectDefaults) collectDefaultMetrics({ register: this.registry });
  }
}
