/** Options for {@link waitFor}. */
export interface WaitForOptions {
  /** Give up after this many milliseconds. */
  timeoutMs: number;
  /** Pause between attempts (default 250 ms). */
  intervalMs?: number;
  /** Named in the timeout error, e.g. "2 running tasks of sy-e2e-x-echo". */
  description?: string;
}

/** Thrown by {@link waitFor} when the predicate never held; `cause` is the probe's last error. */
export class WaitTimeoutError extends Error {
  /** Always `WAIT_TIMEOUT`. */
  readonly code = 'WAIT_TIMEOUT';
  /** Creates the error. */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'WaitTimeoutError';
  }
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Calls `probe` until it returns a value other than `undefined`, `null` or `false`, and resolves
 * with that value. A probe that throws counts as "not yet" (the last error becomes the timeout's
 * `cause`). Bounded: rejects with {@link WaitTimeoutError} once `timeoutMs` has passed; a probe
 * still running at the deadline gets no further attempts.
 */
export async function waitFor<T>(
  probe: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  options: WaitForOptions,
): Promise<T> {
  const intervalMs = options.intervalMs ?? 250;
  const deadline = Date.now() + options.timeoutMs;
  let attempts = 0;
  let lastError: unknown;
  for (;;) {
    attempts += 1;
    try {
      const value = await probe();
      if (value !== undefined && value !== null && value !== false) return value;
      lastError = undefined;
    } catch (error) {
      lastError = error;
    }
    const left = deadline - Date.now();
    if (left <= 0) break;
    await sleep(Math.min(intervalMs, left));
  }
  const what = options.description ?? 'condition';
  const detail = lastError instanceof Error ? `: last error: ${lastError.message}` : '';
  throw new WaitTimeoutError(`timed out after ${options.timeoutMs} ms (${attempts} attempts) waiting for ${what}${detail}`, {
    cause: lastError,
  });
}
