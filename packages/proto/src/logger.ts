/**
 * The logging surface every Switchyard library accepts. It is winston's logger's shape, so an
 * application passes its own; libraries never construct one. `meta` is structured context.
 */
export interface Logger {
  /** Fine-grained diagnostics (per round, per event). */
  debug(message: string, meta?: Record<string, unknown>): void;
  /** Notable state changes. */
  info(message: string, meta?: Record<string, unknown>): void;
  /** Recoverable problems (a failed round that will be retried). */
  warn(message: string, meta?: Record<string, unknown>): void;
  /** Problems that need attention. */
  error(message: string, meta?: Record<string, unknown>): void;
}

/** A {@link Logger} that discards everything: a default for tests, examples and callers without logs. */
export const silentLogger: Logger = Object.freeze({
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
});
