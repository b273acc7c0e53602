import { followLatest } from './follow.js';
import {
  ApplyResult,
  type ProxyConfigBundle,
  type ProxyReplica,
  type ProxyReplicaStatus,
  type ReportProxyConfigRequest,
} from '@switchyard/proto';

/** A replica that has not been heard from for this long after its stream closed is forgotten. */
export const FORGET_DISCONNECTED_MS = 5 * 60_000;

/** What a replica report completed, for the caller's logs and metrics. */
export interface ReportOutcome {
  /** Set when this report completed the rollout of the current bundle to every connected replica. */
  allApplied?: { bundle: ProxyConfigBundle };
}

interface ProxyState {
  bundle: ProxyConfigBundle | undefined;
  watchers: Set<(b: ProxyConfigBundle) => void>;
  replicas: Map<string, ProxyReplicaStatus>;
  /** Open streams per task id (an agent may briefly hold two while reconnecting). */
  streams: Map<string, number>;
  /** Checksum whose "applied everywhere" was already announced. */
  announced: string;
}

/**
 * ProxyConfigHub is core's side of in-place (hitless) delivery: it holds the configuration bundle
 * each proxy service must serve, streams it to the proxy agents of that service, and keeps what
 * each replica reported (applied, rejected, reloads). Pure bookkeeping: no I/O, injectable clock.
 */
export class ProxyConfigHub {
  private readonly proxies = new Map<string, ProxyState>();

  constructor(private readonly now: () => number = Date.now) {}

  private state(proxy: string): ProxyState {
    let s = this.proxies.get(proxy);
    if (!s) this.proxies.set(proxy, (s = { bundle: undefined, watchers: new Set(), replicas: new Map(), streams: new Map(), announced: '' }));
    return s;
  }

  /** Makes `bundle` the configuration of `proxy` and pushes it to every connected agent. */
  publish(proxy: string, bundle: ProxyConfigBundle): void {
    const s = this.state(proxy);
    if (s.bundle?.checksum === bundle.checksum && s.bundle.modelVersion === bundle.modelVersion) return;
    s.bundle = bundle;
    for (const w of s.watchers) w(bundle);
  }

  /** The bundle `proxy` must serve, if core has one. */
  current(proxy: string): ProxyConfigBundle | undefined {
    return this.proxies.get(proxy)?.bundle;
  }

  /**
   * Follows a proxy's bundles for one replica: yields the current bundle at once (if any), then
   * each new one, always the newest (a slow consumer skips intermediate ones). The replica counts
   * as connected while the generator runs.
   */
  async *watch(proxy: string, replica: ProxyReplica, signal: AbortSignal): AsyncGenerator<ProxyConfigBundle> {
    const s = this.state(proxy);
    const status = this.replicaStatus(s, proxy, replica);
    s.streams.set(replica.taskId, (s.streams.get(replica.taskId) ?? 0) + 1);
    status.connected = true;
    status.lastSeenUnixMs = this.now();
    try {
      yield* followLatest(
        s.bundle,
        (listener) => {
          s.watchers.add(listener);
          return () => s.watchers.delete(listener);
        },
        signal,
      );
    } finally {
      const left = (s.streams.get(replica.taskId) ?? 1) - 1;
      if (left > 0) s.streams.set(replica.taskId, left);
      else {
        s.streams.delete(replica.taskId);
        status.connected = false;
        status.lastSeenUnixMs = this.now();
      }
    }
  }

  private replicaStatus(s: ProxyState, proxy: string, replica: ProxyReplica): ProxyReplicaStatus {
    let status = s.replicas.get(replica.taskId);
    if (!status) {
      status = {
        proxyService: proxy,
        replica,
        connected: false,
        appliedModelVersion: 0,
        appliedChecksum: '',
        appliedAtUnixMs: 0,
        rejectedModelVersion: 0,
        rejectedChecksum: '',
        rejectedError: '',
        rejectedAtUnixMs: 0,
        reloads: 0,
        draining: 0,
        lastSeenUnixMs: this.now(),
      };
      s.replicas.set(replica.taskId, status);
    } else {
      status.replica = replica;
    }
    return status;
  }

  /** Records what a replica did with a bundle. */
  report(req: ReportProxyConfigRequest): ReportOutcome {
    const replica = req.replica ?? { taskId: '', nodeId: '', hostname: '', agentVersion: '' };
    const s = this.state(req.proxyService);
    const status = this.replicaStatus(s, req.proxyService, replica);
    status.lastSeenUnixMs = this.now();
    status.reloads = req.reloads;
    status.draining = req.draining;
    const at = req.atUnixMs || this.now();
    if (req.result === ApplyResult.APPLY_RESULT_APPLIED) {
      status.appliedModelVersion = req.modelVersion;
      status.appliedChecksum = req.checksum;
      status.appliedAtUnixMs = at;
      if (status.rejectedChecksum === req.checksum) {
        status.rejectedChecksum = '';
        status.rejectedModelVersion = 0;
        status.rejectedError = '';
        status.rejectedAtUnixMs = 0;
      }
    } else if (req.result === ApplyResult.APPLY_RESULT_REJECTED || req.result === ApplyResult.APPLY_RESULT_FAILED) {
      status.rejectedModelVersion = req.modelVersion;
      status.rejectedChecksum = req.checksum;
      status.rejectedError = req.error;
      status.rejectedAtUnixMs = at;
    }
    const outcome: ReportOutcome = {};
    const bundle = s.bundle;
    if (bundle && s.announced !== bundle.checksum && this.allApplied(s, bundle.checksum)) {
      s.announced = bundle.checksum;
      outcome.allApplied = { bundle };
    }
    return outcome;
  }

  private allApplied(s: ProxyState, checksum: string): boolean {
    const connected = [...s.replicas.values()].filter((r) => r.connected);
    return connected.length > 0 && connected.every((r) => r.appliedChecksum === checksum);
  }

  /**
   * Every known replica, sorted by proxy service then task id. Replicas whose stream closed more
   * than {@link FORGET_DISCONNECTED_MS} ago are forgotten (and returned in `forgotten`).
   */
  replicas(): { replicas: ProxyReplicaStatus[]; forgotten: ProxyReplicaStatus[] } {
    const now = this.now();
    const replicas: ProxyReplicaStatus[] = [];
    const forgotten: ProxyReplicaStatus[] = [];
    for (const [proxy, s] of [...this.proxies.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      for (const [task, r] of [...s.replicas.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
        if (!r.connected && now - r.lastSeenUnixMs > FORGET_DISCONNECTED_MS) {
          s.replicas.delete(task);
          forgotten.push({ ...r, proxyService: proxy });
          continue;
        }
        replicas.push({ ...r });
      }
    }
    return { replicas, forgotten };
  }
}
