/** Longest part of a value shown in a diagnostic message. */
export const MAX_SHOWN_VALUE_LENGTH = 80;

/**
 * Renders untrusted text for a diagnostic message: JSON-quoted, non-ASCII characters escaped as `\uXXXX`
 * (so homoglyphs are visible), cut to {@link MAX_SHOWN_VALUE_LENGTH} characters with the full length noted.
 * The result is printable ASCII.
 * @example quoteValue('a\nb') // '"a\\nb"'
 */
export function quoteValue(value: string): string {
  const cut = value.length > MAX_SHOWN_VALUE_LENGTH;
  const shown = cut ? value.slice(0, MAX_SHOWN_VALUE_LENGTH) : value;
  const quoted = JSON.stringify(shown).replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  return cut ? `${quoted}... (${value.length} characters)` : quoted;
}
