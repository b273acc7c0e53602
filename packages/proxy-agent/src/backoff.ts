/**
 * Reconnect delays for the agent's stream to core.
 *
 * Note: `@switchyard/reconciler` has `backoffDelay` (deterministic, no jitter). The agent must not
 * depend on the reconciler (it pulls in dockerode), so this is a second, small implementation; it
 * adds jitter because every proxy replica reconnects at once when core restarts.
 */

/** Exponential backoff settings. */
export interface ReconnectBackoff {
  /** Delay after the first failure, in milliseconds. */
  initialMs: number;
  /** Upper bound of the delay before jitter, in milliseconds. */
  maxMs: number;
}

/** Default: 250 ms doubling up to 10 s. */
export const DEFAULT_RECONNECT_BACKOFF: Readonly<ReconnectBackoff> = Object.freeze({ initialMs: 250, maxMs: 10_000 });

/**
 * Delay before reconnect number `attempt` (1 = after the first failure): the capped exponential
 * `min(maxMs, initialMs * 2^(attempt-1))`, of which the upper half is random ("equal jitter"), so the
 * result lies in `[d/2, d]`. `random` returns a number in `[0, 1)` (default `Math.random`).
 */
export function reconnectDelay(attempt: number, backoff: ReconnectBackoff, random: () => number = Math.random): number {
  const n = Math.max(1, Math.floor(attempt));
  const initial = Math.max(0, backoff.initialMs);
  const max = Math.max(initial, backoff.maxMs);
  let delay = initial;
  for (let i = 1; i < n && delay < max; i++) delay *= 2;
  delay = Math.min(max, delay);
  return Math.round(delay / 2 + (delay / 2) * Math.min(Math.max(random(), 0), 1));
}
