import { silentLogger, type Logger } from '@switchyard/proto';

/** The logging surface Switchyard libraries accept: {@link Logger} of `@switchyard/proto`. */
export type { Logger };

/** A {@link Logger} that discards everything (`silentLogger` of `@switchyard/proto`). */
export const noopLogger: Logger = silentLogger;

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
