import { backoffDelay, type BackoffOptions } from '@switchyard/duration';
import type { SwarmSnapshot } from '@switchyard/proto';
import type { DockerEvent, DockerReader } from './docker-port.js';
import { errorMeta, type Logger } from './logger.js';
import { Loop } from './loop.js';
import { sleep, systemTimers, type Timers } from './timers.js';
import { snapshotDigest, toSnapshot } from './to-snapshot.js';

/** Default backoff of the watcher: 500 ms doubling up to 30 s, deterministic (no jitter). */
export const DEFAULT_BACKOFF: Readonly<BackoffOptions> = Object.freeze({ initialMs: 500, maxMs: 30_000, factor: 2, jitter: 'none' });

/** Event types the watcher subscribes to by default. */
export const DEFAULT_EVENT_TYPES: readonly string[] = Object.freeze(['service', 'network', 'secret', 'container', 'node']);

/** Event types after which the watcher polls quickly for a while (tasks come up later). */
const SETTLE_EVENT_TYPES = new Set(['service', 'node']);

/** Number of list calls in one reconcile round: services, tasks, networks, secrets. */
export const LIST_CALLS_PER_ROUND = 4;

/** Task states between "desired running" and "running": the task is on its way up. */
const STARTING_TASK_STATES = new Set(['new', 'allocated', 'pending', 'assigned', 'accepted', 'preparing', 'ready', 'starting']);

/** The list calls of one round, in the order the round makes them. */
const ROUND_CALLS = ['listServices', 'listTasks', 'listNetworks', 'listSecrets'] as const;

/** How one reconcile round ended, as reported to {@link SnapshotWatcherOptions.onRound}. */
export type RoundOutcome =
  | { ok: true; durationMs: number; atMs: number }
  | {
      ok: false;
      durationMs: number;
      atMs: number;
      error: unknown;
      /** The Docker call that failed (the first of the round's failed calls); absent when none did (a malformed answer). */
      operation: string | undefined;
    };

/** Fast polling after a service event, while the service's tasks settle. */
export interface SettleOptions {
  /** Interval between rounds while settling (default 500 ms). */
  intervalMs?: number;
  /**
   * Interval between rounds while settling and some task that should run is still starting
   * (default 100 ms): the moment it runs is the moment its route can serve.
   */
  startingIntervalMs?: number;
  /** How long to keep polling after the last service/node event (default 10 000 ms). */
  durationMs?: number;
}

/** Options of a {@link SnapshotWatcher}. */
export interface SnapshotWatcherOptions {
  /** Docker access. */
  docker: DockerReader;
  /** Where the watcher logs; it never creates a logger. */
  logger: Logger;
  /** Full resync period when nothing happens (default 3000 ms, Interlock's `PollInterval`). */
  resyncIntervalMs?: number;
  /** Delay between the first event of a burst and the round it triggers (default 50 ms). */
  debounceMs?: number;
  /** Fast polling after service events (defaults: every 500 ms for 10 s, 100 ms while a task starts). */
  settle?: SettleOptions;
  /** Backoff after failed rounds and broken event streams (default 500 ms doubling to 30 s). */
  backoff?: BackoffOptions;
  /** Event types that wake the watcher (default {@link DEFAULT_EVENT_TYPES}). */
  eventTypes?: readonly string[];
  /** Clock and timers (default: the global ones). */
  timers?: Timers;
  /** Called after every round, successful or not (for metrics); exceptions are logged, never propagated. */
  onRound?: (outcome: RoundOutcome) => void;
}

/** What accompanies each emitted snapshot. */
export interface SnapshotInfo {
  /** SHA-256 (hex) of the snapshot's protobuf encoding. */
  digest: string;
  /** Number of the successful round that produced it (1-based). */
  reconcile: number;
  /** When the round finished (Unix ms, from the watcher's clock). */
  atMs: number;
}

/** Receives snapshots; exceptions (and rejected promises) are logged, never propagated. */
export type SnapshotListener = (snapshot: SwarmSnapshot, info: SnapshotInfo) => void | Promise<void>;

/** Counters for metrics. All counts are totals since construction. */
export interface SnapshotWatcherStats {
  /** Successful reconcile rounds. */
  reconciles: number;
  /** Failed reconcile rounds. */
  errors: number;
  /** Failed rounds since the last success (0 when healthy). */
  consecutiveErrors: number;
  /** Docker list calls made. */
  listCalls: number;
  /** Snapshots emitted (rounds whose result differed from the previous one). */
  snapshots: number;
  /** Docker events received. */
  events: number;
  /** Event subscriptions opened (1 + resubscriptions). */
  subscriptions: number;
  /** Event streams that ended or failed while the watcher ran. */
  eventStreamFailures: number;
  /** End of the last successful round (Unix ms), if any. */
  lastReconcileAtMs: number | undefined;
  /** When the last snapshot was emitted (Unix ms), if any. */
  lastSnapshotAtMs: number | undefined;
  /** When the last round failed (Unix ms), if any. */
  lastErrorAtMs: number | undefined;
  /** Why the last round failed, e.g. `listTasks: Docker API call listTasks did not answer within 30000 ms`; kept after a success. */
  lastError: string | undefined;
  /** Duration of the last round, successful or not (ms). */
  lastRoundDurationMs: number | undefined;
}

/**
 * Watches a swarm and emits a {@link SwarmSnapshot} whenever what it sees changes.
 *
 * Level-triggered: every round lists services, tasks, networks and secrets (a constant
 * {@link LIST_CALLS_PER_ROUND} calls, whatever the cluster size) and builds the whole snapshot;
 * Docker events only wake it. Rounds are debounced (a burst of events gives one round),
 * single-flight (a wake during a round gives exactly one more round afterwards), repeated every
 * `resyncIntervalMs`, and every `settle.intervalMs` for `settle.durationMs` after a service or node
 * event (Engine 20.10 sends no task events; tasks come up after the service event), every
 * `settle.startingIntervalMs` while a task in that window is still starting. A snapshot is
 * emitted only when its encoding differs from the previous one. Failed rounds and broken event
 * streams are logged, counted and retried with exponential backoff; nothing is thrown.
 */
export class SnapshotWatcher {
  readonly #docker: DockerReader;
  readonly #logger: Logger;
  readonly #timers: Timers;
  readonly #resyncIntervalMs: number;
  readonly #debounceMs: number;
  readonly #settleIntervalMs: number;
  readonly #startingIntervalMs: number;
  readonly #settleDurationMs: number;
  readonly #backoff: BackoffOptions;
  readonly #eventTypes: string[];
  readonly #onRound: ((outcome: RoundOutcome) => void) | undefined;
  readonly #listeners = new Set<SnapshotListener>();
  readonly #stats: SnapshotWatcherStats = {
    reconciles: 0,
    errors: 0,
    consecutiveErrors: 0,
    listCalls: 0,
    snapshots: 0,
    events: 0,
    subscriptions: 0,
    eventStreamFailures: 0,
    lastReconcileAtMs: undefined,
    lastSnapshotAtMs: undefined,
    lastErrorAtMs: undefined,
    lastError: undefined,
    lastRoundDurationMs: undefined,
  };
  #loop: Loop | undefined;
  #abort: AbortController | undefined;
  #eventsTask: Promise<void> | undefined;
  #settleUntil = 0;
  #latest: SwarmSnapshot | undefined;
  #digest: string | undefined;

  /** Creates a watcher; nothing happens before {@link SnapshotWatcher.start}. */
  constructor(options: SnapshotWatcherOptions) {
    this.#docker = options.docker;
    this.#logger = options.logger;
    this.#timers = options.timers ?? systemTimers;
    this.#resyncIntervalMs = Math.max(1, options.resyncIntervalMs ?? 3000);
    this.#debounceMs = Math.max(0, options.debounceMs ?? 50);
    this.#settleIntervalMs = Math.max(1, options.settle?.intervalMs ?? 500);
    this.#startingIntervalMs = Math.max(1, Math.min(options.settle?.startingIntervalMs ?? 100, this.#settleIntervalMs));
    this.#settleDurationMs = Math.max(0, options.settle?.durationMs ?? 10_000);
    this.#backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
    this.#eventTypes = [...(options.eventTypes ?? DEFAULT_EVENT_TYPES)];
    this.#onRound = options.onRound;
  }

  /** Registers a listener for future snapshots; returns a function that unregisters it. */
  onSnapshot(listener: SnapshotListener): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** The last emitted snapshot, if any. */
  get latest(): SwarmSnapshot | undefined {
    return this.#latest;
  }

  /** Digest of the last emitted snapshot, if any. */
  get digest(): string | undefined {
    return this.#digest;
  }

  /** True between {@link SnapshotWatcher.start} and {@link SnapshotWatcher.stop}. */
  get started(): boolean {
    return this.#abort !== undefined;
  }

  /** A copy of the counters (for metrics). */
  stats(): SnapshotWatcherStats {
    return { ...this.#stats };
  }

  /** Subscribes to events and runs the first round at once. Calling it while started does nothing. */
  start(): void {
    if (this.#abort) return;
    const abort = new AbortController();
    this.#abort = abort;
    this.#loop = new Loop({
      run: () => this.#reconcile(),
      onError: (err) => this.#safeLog('error', 'reconcile loop error', errorMeta(err)),
      timers: this.#timers,
    });
    this.#eventsTask = this.#watchEvents(abort.signal).catch((err: unknown) => {
      this.#safeLog('error', 'docker event watcher stopped unexpectedly', errorMeta(err));
    });
    this.#loop.wake(0);
  }

  /** Requests a round after the debounce delay (e.g. after the caller changed the swarm itself). */
  wake(): void {
    this.#request(this.#debounceMs);
  }

  /** Stops watching: closes the event stream, cancels timers, waits for the running round. */
  async stop(): Promise<void> {
    const abort = this.#abort;
    if (!abort) return;
    abort.abort();
    await this.#loop?.stop();
    await this.#eventsTask;
    this.#abort = undefined;
    this.#loop = undefined;
    this.#eventsTask = undefined;
  }

  /** Wakes the loop unless a failed round's backoff retry is pending (events must not defeat it). */
  #request(delayMs: number): void {
    if (this.#stats.consecutiveErrors > 0) return;
    this.#loop?.wake(delayMs);
  }

  #onEvent(event: DockerEvent): void {
    this.#stats.events++;
    if (SETTLE_EVENT_TYPES.has(event.Type)) this.#settleUntil = this.#timers.now() + this.#settleDurationMs;
    this.#safeLog('debug', 'docker event', { type: event.Type, action: event.Action, id: event.Actor.ID });
    this.#request(this.#debounceMs);
  }

  async #watchEvents(signal: AbortSignal): Promise<void> {
    let attempt = 0;
    while (!signal.aborted) {
      const openedAt = this.#timers.now();
      let received = false;
      this.#stats.subscriptions++;
      // Events may have been missed while the stream was down: look again.
      if (this.#stats.subscriptions > 1) this.#request(this.#debounceMs);
      try {
        for await (const event of this.#docker.events({ signal, filters: { type: this.#eventTypes } })) {
          received = true;
          this.#onEvent(event);
        }
        if (signal.aborted) break;
        this.#safeLog('warn', 'docker event stream ended; resubscribing');
      } catch (err) {
        if (signal.aborted) break;
        this.#safeLog('warn', 'docker event stream failed; resubscribing', errorMeta(err));
      }
      this.#stats.eventStreamFailures++;
      if (received || this.#timers.now() - openedAt >= this.#backoff.maxMs) attempt = 0;
      attempt++;
      await sleep(backoffDelay(attempt, this.#backoff), signal, this.#timers);
    }
  }

  async #reconcile(): Promise<void> {
    const startedAt = this.#timers.now();
    this.#stats.listCalls += LIST_CALLS_PER_ROUND;
    // allSettled: a round ends only when all of its calls have, so rounds never overlap.
    const [services, tasks, networks, secrets] = await Promise.allSettled([
      this.#docker.listServices(),
      this.#docker.listTasks(),
      this.#docker.listNetworks(),
      this.#docker.listSecrets(),
    ]);
    const now = this.#timers.now();
    const durationMs = now - startedAt;
    this.#stats.lastRoundDurationMs = durationMs;
    if (
      services.status === 'rejected' ||
      tasks.status === 'rejected' ||
      networks.status === 'rejected' ||
      secrets.status === 'rejected'
    ) {
      const results = [services, tasks, networks, secrets];
      const index = results.findIndex((r) => r.status === 'rejected');
      const failed = results[index];
      this.#failed(failed?.status === 'rejected' ? failed.reason : undefined, ROUND_CALLS[index], now, durationMs);
      return;
    }
    let snapshot: SwarmSnapshot;
    let digest: string;
    try {
      snapshot = toSnapshot({ services: services.value, tasks: tasks.value, networks: networks.value, secrets: secrets.value });
      digest = snapshotDigest(snapshot);
    } catch (err) {
      // Only a malformed Engine answer can get here.
      this.#failed(err, undefined, now, durationMs);
      return;
    }
    this.#stats.reconciles++;
    this.#stats.consecutiveErrors = 0;
    this.#stats.lastReconcileAtMs = now;
    if (digest !== this.#digest) {
      this.#digest = digest;
      this.#latest = snapshot;
      this.#stats.snapshots++;
      this.#stats.lastSnapshotAtMs = now;
      this.#safeLog('debug', 'swarm snapshot changed', {
        digest,
        services: snapshot.services.length,
        tasks: snapshot.tasks.length,
        networks: snapshot.networks.length,
        secrets: snapshot.secrets.length,
      });
      this.#emit(snapshot, { digest, reconcile: this.#stats.reconciles, atMs: now });
    }
    const settling = this.#settleUntil > now;
    const starting = settling && snapshot.tasks.some((t) => t.desiredState === 'running' && STARTING_TASK_STATES.has(t.state));
    const interval = starting ? this.#startingIntervalMs : settling ? this.#settleIntervalMs : this.#resyncIntervalMs;
    this.#loop?.wake(Math.min(interval, this.#resyncIntervalMs));
    this.#report({ ok: true, durationMs, atMs: now });
  }

  #failed(err: unknown, operation: string | undefined, now: number, durationMs: number): void {
    this.#stats.errors++;
    this.#stats.consecutiveErrors++;
    this.#stats.lastErrorAtMs = now;
    const message = err instanceof Error ? err.message : String(err);
    this.#stats.lastError = operation === undefined ? message : `${operation}: ${message}`;
    const retryInMs = backoffDelay(this.#stats.consecutiveErrors, this.#backoff);
    this.#safeLog('warn', 'reconcile round failed; retrying', {
      ...errorMeta(err),
      ...(operation === undefined ? {} : { operation }),
      attempt: this.#stats.consecutiveErrors,
      retryInMs,
    });
    this.#loop?.wake(retryInMs);
    this.#report({ ok: false, durationMs, atMs: now, error: err, operation });
  }

  #report(outcome: RoundOutcome): void {
    try {
      this.#onRound?.(outcome);
    } catch (err) {
      this.#safeLog('error', 'round observer failed', errorMeta(err));
    }
  }

  #emit(snapshot: SwarmSnapshot, info: SnapshotInfo): void {
    for (const listener of [...this.#listeners]) {
      try {
        const result = listener(snapshot, info);
        if (result && typeof (result as Promise<void>).catch === 'function') {
          (result as Promise<void>).catch((err: unknown) => this.#safeLog('error', 'snapshot listener failed', errorMeta(err)));
        }
      } catch (err) {
        this.#safeLog('error', 'snapshot listener failed', errorMeta(err));
      }
    }
  }

  #safeLog(level: keyof Logger, message: string, meta?: Record<string, unknown>): void {
    try {
      this.#logger[level](message, meta);
    } catch {
      // A broken logger must not stop the watcher.
    }
  }
}
