/**
 * Go's `time.ParseDuration` syntax, as Interlock's TOML writes durations (`PollInterval = "3s"`,
 * `ProxyStopGracePeriod = "1m30s"`): one or more decimal numbers, each with an optional fraction and a
 * unit (`ns`, `us`/`µs`, `ms`, `s`, `m`, `h`), or a bare `0`. Switchyard never needs a negative
 * duration, so a sign is refused.
 */

const UNIT_MS: Readonly<Record<string, number>> = Object.freeze({
  ns: 1e-6,
  us: 1e-3,
  'µs': 1e-3, // U+00B5 MICRO SIGN, as Go accepts it
  'μs': 1e-3, // U+03BC GREEK SMALL LETTER MU
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
});

const PART = /([0-9]*)(?:\.([0-9]*))?(ns|us|µs|μs|ms|s|m|h)/y;

/** Largest duration Go can represent (2^63 - 1 ns), in milliseconds. */
export const MAX_DURATION_MS = 9_223_372_036_854.775;

/** Thrown by {@link parseDuration} for text that is not a Go duration. */
export class DurationError extends Error {
  /** Stable machine-readable code. */
  readonly code = 'invalid-duration';
  /** The text that was refused. */
  readonly value: string;

  constructor(value: string) {
    super(`not a duration: ${JSON.stringify(value)} (use Go syntax such as "500ms", "3s", "1m30s" or "2h")`);
    this.name = 'DurationError';
    this.value = value;
  }
}

/**
 * Milliseconds of a Go duration such as `"1m30s"` (90000), `"500ms"` (500), `"1.5h"` (5400000) or `"0"`;
 * `undefined` for anything else (empty text, a missing unit, a sign, spaces, unknown units, overflow).
 * Fractions of a millisecond are kept (`"1500us"` is 1.5). Never throws.
 */
export function durationMs(text: string): number | undefined {
  if (text === '0') return 0;
  if (text === '') return undefined;
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < text.length) {
    const start = PART.lastIndex;
    const m = PART.exec(text);
    if (!m || m.index !== start) return undefined;
    const whole = m[1] ?? '';
    const frac = m[2];
    if (whole === '' && (frac === undefined || frac === '')) return undefined; // ".s", "s"
    const unit = UNIT_MS[m[3] ?? ''];
    if (unit === undefined) return undefined;
    total += Number(`${whole === '' ? '0' : whole}.${frac ?? ''}0`) * unit;
  }
  if (!Number.isFinite(total) || total > MAX_DURATION_MS) return undefined;
  // Remove floating-point noise below a nanosecond ("0.1s" is 100, not 100.00000000000001).
  return Math.round(total * 1e6) / 1e6;
}

/** Whether `text` is a Go duration (see {@link durationMs}). Never throws. */
export function isDuration(text: string): boolean {
  return durationMs(text) !== undefined;
}

/**
 * Milliseconds of a Go duration (see {@link durationMs}).
 * @throws {DurationError} when `text` is not a Go duration.
 * @example parseDuration('1m30s') // 90000
 */
export function parseDuration(text: string): number {
  const ms = durationMs(text);
  if (ms === undefined) throw new DurationError(text);
  return ms;
}

/**
 * Formats milliseconds the way Go's `Duration.String` does for whole milliseconds and above
 * (`90000` → `"1m30s"`, `500` → `"500ms"`, `0` → `"0s"`); sub-millisecond parts are rounded away.
 * Throws a `RangeError` for a negative or non-finite number (a programmer error).
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`cannot format ${ms} ms as a duration`);
  const whole = Math.round(ms);
  if (whole === 0) return '0s';
  if (whole < 1000) return `${whole}ms`;
  const h = Math.floor(whole / 3_600_000);
  const m = Math.floor((whole % 3_600_000) / 60_000);
  const s = (whole % 60_000) / 1000;
  if (h > 0) return `${h}h${m}m${s}s`;
  if (m > 0) return `${m}m${s}s`;
  return `${s}s`;
}
