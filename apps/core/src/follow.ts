/**
 * Follows a value that is replaced over time: yields `current()` at once (when defined), then each
 * new value `subscribe` delivers, always the newest (a slow consumer skips intermediate ones),
 * until `signal` aborts. `subscribe` returns its unsubscribe function.
 */
export async function* followLatest<T>(current: T | undefined, subscribe: (listener: (value: T) => void) => () => void, signal: AbortSignal): AsyncGenerator<T> {
  let pending: T | undefined = current;
  let wake: (() => void) | undefined;
  const unsubscribe = subscribe((value) => {
    pending = value;
    wake?.();
  });
  const onAbort = (): void => wake?.();
  signal.addEventListener('abort', onAbort);
  try {
    while (!signal.aborted) {
      if (pending !== undefined) {
        const next = pending;
        pending = undefined;
        yield next;
        continue;
      }
      await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
    }
  } finally {
    unsubscribe();
    signal.removeEventListener('abort', onAbort);
  }
}
