/**
 * The logging surface Switchyard libraries accept. Structurally compatible with winston's logger,
 * so an application can pass one in; libraries never construct a logger themselves.
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

/** A {@link Logger} that discards everything; handy as a default in tests and examples. */
export const noopLogger: Logger = Object.freeze({
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
});

/** Turns an unknown thrown value into log metadata without losing the message. */
export function errorMeta(err: unknown): Record<string, unknown> {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    const statusCode = (err as { statusCode?: unknown }).statusCode;
    const operation = (err as { operation?: unknown }).operation;
    return {
      error: err.message,
      ...(code !== undefined ? { code } : {}),
      ...(operation !== undefined ? { operation } : {}),
      ...(statusCode !== undefined ? { statusCode } : {}),
    };
  }
  return { error: String(err) };
}
