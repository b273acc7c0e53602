/** Exponential backoff settings. */
export interface BackoffOptions {
  /** Delay after the first failure, in milliseconds. */
  initialMs: number;
  /** Upper bound of the delay, in milliseconds. */
  maxMs: number;
  /** Growth factor per consecutive failure (default 2). */
  factor?: number;
}

/** Default backoff: 500 ms doubling up to 30 s. */
export const DEFAULT_BACKOFF: Readonly<Required<BackoffOptions>> = Object.freeze({ initialMs: 500, maxMs: 30_000, factor: 2 });

/**
 * Delay before retry number `attempt` (1 = after the first failure):
 * `min(maxMs, initialMs * factor^(attempt-1))`. Deterministic (no jitter); attempts below 1 count as 1.
 */
export function backoffDelay(attempt: number, options: BackoffOptions): number {
  const factor = options.factor ?? 2;
  const n = Math.max(1, Math.floor(attempt));
  const initial = Math.max(0, options.initialMs);
  const max = Math.max(initial, options.maxMs);
  // Stop multiplying once the cap is reached (avoids Infinity for large attempt numbers).
  let delay = initial;
  for (let i = 1; i < n && delay < max; i++) delay *= factor;
  return Math.min(max, delay);
}
