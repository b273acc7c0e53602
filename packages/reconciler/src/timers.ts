/** Opaque handle returned by {@link Timers.setTimeout}. */
export type TimerHandle = unknown;

/**
 * Clock and timer functions, injectable so schedulers can be tested deterministically.
 * The default ({@link systemTimers}) calls the global functions at call time, so jest's fake
 * timers installed after import are honoured.
 */
export interface Timers {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Runs `fn` once after `ms` milliseconds. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  /** Cancels a timer created by {@link Timers.setTimeout}. */
  clearTimeout(handle: TimerHandle): void;
}

/** {@link Timers} backed by `Date.now`, `setTimeout` and `clearTimeout` of the global scope. */
export const systemTimers: Timers = Object.freeze({
  now: () => Date.now(),
  setTimeout: (fn: () => void, ms: number): TimerHandle => setTimeout(fn, ms),
  clearTimeout: (handle: TimerHandle): void => clearTimeout(handle as ReturnType<typeof setTimeout>),
});

/**
 * Resolves after `ms` milliseconds, or early (without rejecting) when `signal` aborts.
 * Returns `true` when the full delay elapsed, `false` when it was cut short by the signal.
 */
export function sleep(ms: number, signal: AbortSignal, timers: Timers = systemTimers): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise<boolean>((resolve) => {
    const onAbort = (): void => {
      timers.clearTimeout(handle);
      resolve(false);
    };
    const handle = timers.setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
