import { systemTimers, type TimerHandle, type Timers } from './timers.js';

/** Options of a {@link Loop}. */
export interface LoopOptions {
  /** One round of work. Rounds never overlap. A rejection is passed to `onError`. */
  run: () => Promise<void>;
  /** Called with whatever a round threw; the loop itself never throws. Defaults to ignoring it. */
  onError?: (err: unknown) => void;
  /** Clock and timers (default: the global ones). */
  timers?: Timers;
}

/**
 * A single-flight, earliest-deadline scheduler: the engine of a level-triggered reconciler.
 *
 * - `wake(delayMs)` asks for a round no later than `delayMs` from now. Several wakes coalesce:
 *   the earliest requested deadline wins, and one timer fires one round (a burst of wakes with a
 *   debounce delay becomes one round).
 * - Rounds never overlap. Wakes that arrive while a round runs are remembered (earliest delay) and
 *   produce exactly one more round after it finishes, however many there were.
 * - `stop()` cancels the pending timer and waits for the running round to finish.
 */
export class Loop {
  readonly #run: () => Promise<void>;
  readonly #onError: (err: unknown) => void;
  readonly #timers: Timers;
  #timer: TimerHandle | undefined;
  #dueAt = Number.POSITIVE_INFINITY;
  #running: Promise<void> | undefined;
  /** Earliest delay requested while a round was running, or undefined. */
  #pendingDelay: number | undefined;
  #stopped = false;
  #rounds = 0;

  /** Creates a stopped-until-woken loop; nothing runs before the first {@link Loop.wake}. */
  constructor(options: LoopOptions) {
    this.#run = options.run;
    this.#onError = options.onError ?? (() => undefined);
    this.#timers = options.timers ?? systemTimers;
  }

  /** True while a round is running. */
  get running(): boolean {
    return this.#running !== undefined;
  }

  /** True when a round is scheduled (timer pending or requested during the running round). */
  get scheduled(): boolean {
    return this.#timer !== undefined || this.#pendingDelay !== undefined;
  }

  /** Number of rounds started so far. */
  get rounds(): number {
    return this.#rounds;
  }

  /** Requests a round within `delayMs` milliseconds (0 = as soon as possible). Ignored after stop. */
  wake(delayMs = 0): void {
    if (this.#stopped) return;
    const delay = Math.max(0, delayMs);
    if (this.#running) {
      this.#pendingDelay = this.#pendingDelay === undefined ? delay : Math.min(this.#pendingDelay, delay);
      return;
    }
    this.#schedule(delay);
  }

  /** Cancels pending work and resolves once the running round (if any) has finished. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#clearTimer();
    this.#pendingDelay = undefined;
    if (this.#running) await this.#running;
  }

  #schedule(delay: number): void {
    const dueAt = this.#timers.now() + delay;
    if (this.#timer !== undefined && this.#dueAt <= dueAt) return;
    this.#clearTimer();
    this.#dueAt = dueAt;
    this.#timer = this.#timers.setTimeout(() => {
      this.#timer = undefined;
      this.#dueAt = Number.POSITIVE_INFINITY;
      this.#start();
    }, delay);
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) this.#timers.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#dueAt = Number.POSITIVE_INFINITY;
  }

  #start(): void {
    if (this.#stopped || this.#running) return;
    this.#rounds++;
    this.#running = this.#round().finally(() => {
      this.#running = undefined;
      const next = this.#pendingDelay;
      this.#pendingDelay = undefined;
      if (next !== undefined && !this.#stopped) this.#schedule(next);
    });
  }

  async #round(): Promise<void> {
    try {
      await this.#run();
    } catch (err) {
      try {
        this.#onError(err);
      } catch {
        // An error handler that throws must not break the loop.
      }
    }
  }
}
