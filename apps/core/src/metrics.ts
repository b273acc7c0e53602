import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Buckets of the latency histograms, in seconds: from a model version being published to its config reaching a proxy. */
const LATENCY_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30];

/** Core's Prometheus metrics, on a registry of their own. */
export class CoreMetrics {
  readonly registry = new Registry();
  readonly modelBuilds = this.#counter('switchyard_model_builds_total', 'Models built from swarm snapshots');
  readonly snapshots = this.#counter('switchyard_snapshots_total', 'Changed swarm snapshots received from the reconciler');
  readonly errors = this.#counter('switchyard_errors_total', 'Errors by stage', ['stage']);
  readonly modelVersion = this.#gauge('switchyard_model_version', 'Current model version per service cluster', ['cluster']);
  readonly diagnostics = this.#gauge('switchyard_diagnostics', 'Diagnostics in the current model', ['cluster', 'severity']);
  readonly deliveries = this.#counter('switchyard_deliveries_total', 'Proxy config submissions by result', ['proxy', 'result']);
  readonly deliveryLatency = this.#latency('switchyard_delivery_latency_seconds', 'Time from a model version being published to its config being handed to Docker');
  readonly replicaModelVersion = this.#gauge('switchyard_proxy_replica_model_version', 'Model version each proxy replica (task) last applied', ['proxy', 'task']);
  readonly replicaReloads = this.#gauge('switchyard_proxy_replica_reloads', 'Graceful reloads each proxy replica made since its agent started', ['proxy', 'task']);
  readonly replicaDraining = this.#gauge('switchyard_proxy_replica_draining', 'Old proxy processes or workers a replica still drains after reloads', ['proxy', 'task']);
  readonly replicasConnected = this.#gauge('switchyard_proxy_replicas_connected', 'Proxy replicas whose agent follows core', ['proxy']);
  readonly replicaRejections = this.#counter(
    'switchyard_proxy_config_rejections_total',
    "Configurations a proxy replica refused (the proxy's own check) or failed to load",
    ['proxy', 'result'],
  );
  readonly appliedLatency = this.#latency(
    'switchyard_model_applied_seconds',
    'Time from a model version being published to its config being applied on every connected proxy replica',
  );
  readonly controlPlaneRefused = this.#counter(
    'switchyard_control_plane_refused_total',
    'Connections and calls core refused on its gRPC port (plaintext, no or untrusted certificate, no identity, permission denied)',
    ['reason'],
  );
  readonly dockerCalls = this.#counter('switchyard_docker_api_calls_total', 'Docker Engine API calls by method', ['method']);
  readonly dockerErrors = this.#counter(
    'switchyard_docker_api_errors_total',
    'Docker Engine API calls that failed or timed out (DockerAPITimeout), by method; event streams count when they break',
    ['method'],
  );
  readonly reconcileRounds = this.#counter(
    'switchyard_reconcile_rounds_total',
    'Reconcile rounds (lists of services, tasks, networks and secrets) by result: ok or error',
    ['result'],
  );

  constructor(collectDefaults = true) {
    // Both results exist from the start, so a rate or a ratio of them is defined before the first failure.
    for (const result of ['ok', 'error']) this.reconcileRounds.inc({ result }, 0);
    if (collectDefaults) collectDefaultMetrics({ register: this.registry });
  }

  #counter<const L extends string = string>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> {
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }

  #gauge<const L extends string>(name: string, help: string, labelNames: readonly L[]): Gauge<L> {
    return new Gauge({ name, help, labelNames, registers: [this.registry] });
  }

  /** A latency histogram by proxy, in seconds. */
  #latency(name: string, help: string): Histogram<'proxy'> {
    return new Histogram({ name, help, labelNames: ['proxy'], buckets: LATENCY_BUCKETS, registers: [this.registry] });
  }
}
