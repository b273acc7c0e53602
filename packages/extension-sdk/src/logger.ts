import type { Logger } from '@switchyard/proto';

/** The logging surface of {@link runExtension}: {@link Logger} of `@switchyard/proto` with `debug` optional (winston's logger fits). */
export type ExtensionLogger = Omit<Logger, 'debug'> & Partial<Pick<Logger, 'debug'>>;

/**
 * A logger printing one JSON object per line (`{"level","message",...meta}`) to `out` (default
 * stdout): the default of `runExtension`, and easy to read back in tests.
 */
export function jsonLogger(out: { write(line: string): unknown } = process.stdout): Required<ExtensionLogger> {
  const line = (level: string) => (message: string, meta: Record<string, unknown> = {}) => {
    out.write(`${JSON.stringify({ level, message, ...meta })}\n`);
  };
  return { debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error') };
}
