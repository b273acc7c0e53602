/**
 * Retry delays: capped exponential backoff with optional jitter. The one backoff of Switchyard, used
 * by the reconciler (no jitter), the proxy agent (equal jitter) and the extension SDK (decorrelated).
 */

/**
 * How the delay is randomised:
 * - `none`: the capped exponential `d = min(maxMs, initialMs * factor^(attempt-1))`, deterministic;
 * - `equal`: the upper half of `d` is random, so the delay lies in `[d/2, d]`;
 * - `full`: the whole of `d` is random, `[0, d]` (spreads retries best, may retry at once);
 * - `decorrelated`: `min(maxMs, random in [initialMs, 3 * previous])` (AWS's "decorrelated jitter"),
 *   never below `initialMs`; it depends on the previous delay, not on the attempt number.
 */
export type BackoffJitter = 'none' | 'equal' | 'full' | 'decorrelated';

/** Jitter kinds, for validation and help texts. */
export const BACKOFF_JITTERS: readonly BackoffJitter[] = Object.freeze(['none', 'equal', 'full', 'decorrelated'] as const);

/** Exponential backoff settings. */
export interface BackoffOptions {
  /** Delay after the first failure, in milliseconds (the floor of `decorrelated`). */
  initialMs: number;
  /** Upper bound of any delay, in milliseconds (the cap). */
  maxMs: number;
  /** Growth factor per consecutive failure (default 2; not used by `decorrelated`). */
  factor?: number;
  /** How the delay is randomised (default `none`). */
  jitter?: BackoffJitter;
}

/** A source of random numbers in `[0, 1)`, like `Math.random`; values outside are clamped. */
export type RandomSource = () => number;

const unit = (random: RandomSource): number => {
  const r = random();
  return Number.isFinite(r) ? Math.min(Math.max(r, 0), 1) : 0;
};

/**
 * Delay before retry number `attempt` (1 = after the first failure), in whole milliseconds, never
 * above `maxMs`. Attempts below 1 count as 1; huge attempt numbers stay finite. `random` is only
 * called for a jittered kind. For `decorrelated`, `previousMs` is the delay returned for the previous
 * attempt (absent at the first: `initialMs`); {@link Backoff} keeps it for you. Never throws.
 *
 * @example backoffDelay(3, { initialMs: 100, maxMs: 1000 }) // 400
 * @example backoffDelay(3, { initialMs: 100, maxMs: 1000, jitter: 'full' }, () => 0.5) // 200
 */
export function backoffDelay(attempt: number, options: BackoffOptions, random: RandomSource = Math.random, previousMs?: number): number {
  const initial = Math.max(0, options.initialMs);
  const max = Math.max(initial, options.maxMs);
  const jitter = options.jitter ?? 'none';
  if (jitter === 'decorrelated') {
    const previous = Math.max(initial, previousMs ?? initial);
    const upper = Math.min(max, previous * 3);
    return Math.round(Math.min(max, initial + (upper - initial) * unit(random)));
  }
  const factor = Math.max(1, options.factor ?? 2);
  const n = Number.isFinite(attempt) ? Math.max(1, Math.floor(attempt)) : 1;
  // Stop multiplying once the cap is reached (avoids Infinity for large attempt numbers).
  let delay = initial;
  for (let i = 1; i < n && delay < max; i++) delay *= factor;
  delay = Math.min(max, delay);
  if (jitter === 'equal') return Math.round(delay / 2 + (delay / 2) * unit(random));
  if (jitter === 'full') return Math.round(delay * unit(random));
  return Math.round(delay);
}

/**
 * A retry sequence: {@link next} gives the delay before the next retry and counts the failure;
 * {@link reset} starts over after a success. Not shared between loops (it holds their state).
 *
 * @example
 * const backoff = new Backoff({ initialMs: 500, maxMs: 10_000, jitter: 'decorrelated' });
 * for (;;) {
 *   try { await connect(); backoff.reset(); } catch { await sleep(backoff.next()); }
 * }
 */
export class Backoff {
  readonly #options: Readonly<BackoffOptions>;
  readonly #random: RandomSource;
  #attempt = 0;
  #previousMs: number | undefined;

  /** @param random the jitter's random source (default `Math.random`), injectable for tests. */
  constructor(options: BackoffOptions, random: RandomSource = Math.random) {
    this.#options = Object.freeze({ ...options });
    this.#random = random;
  }

  /** Failures counted since the last {@link reset} (0 = none). */
  get attempt(): number {
    return this.#attempt;
  }

  /** The settings this sequence follows. */
  get options(): Readonly<BackoffOptions> {
    return this.#options;
  }

  /** Counts one more failure and returns the delay to wait before retrying, in milliseconds. */
  next(): number {
    this.#attempt += 1;
    const delay = backoffDelay(this.#attempt, this.#options, this.#random, this.#previousMs);
    this.#previousMs = delay;
    return delay;
  }

  /** Starts over: the next {@link next} is the first attempt's delay again. */
  reset(): void {
    this.#attempt = 0;
    this.#previousMs = undefined;
  }
}
