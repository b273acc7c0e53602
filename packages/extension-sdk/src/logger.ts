/** The logging surface of {@link runExtension} (winston's logger fits; `debug` is optional). */
export interface ExtensionLogger {
  debug?(message: string, meta?: Record<string, unknown>): void;
  info(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
  error(message: string, meta?: Record<string, unknown>): void;
}

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
