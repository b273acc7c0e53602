/**
 * Validation and quoting for every value that reaches nginx configuration text.
 *
 * The rule is simple: a value is printed only when it matches a strict pattern whose
 * characters cannot end a directive (`;`), open or close a block (`{`, `}`), start a comment
 * (`#`), start a variable (`$`), quote (`'`, `"`, `\`) or break a line. Free-form operator
 * options go through {@link parseRawDirectives}, which tokenizes them the way nginx would.
 *
 * Which hosts, paths, names and URLs are acceptable is decided in one place for all of Switchyard,
 * `@switchyard/labels/safe`; this module only normalizes and quotes for nginx's syntax.
 */
import { isSafePath, isSafeRedirectUrl } from '@switchyard/labels/safe';

export { isSafeAbsolutePath, isSafeCookieName, isSafeFileName, isSafeHost, isSafeToken } from '@switchyard/labels/safe';

const SIMPLE_COOKIE_RE = /^[A-Za-z0-9_]+$/;
const IPV4_RE = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
const IPV6_RE = /^[0-9A-Fa-f:.]{2,45}$/;

/**
 * Normalizes a route or redirect path that passes `isSafePath` (`@switchyard/labels/safe`, the one
 * rule): drops one trailing slash (except from `/`). Returns `undefined` when the path is unsafe.
 */
export function normalizePath(path: string): string | undefined {
  if (!isSafePath(path)) return undefined;
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}

/** True when the cookie is addressable as nginx's `$cookie_<name>` variable. */
export function isSimpleCookieName(name: string): boolean {
  return SIMPLE_COOKIE_RE.test(name);
}

/**
 * Formats an endpoint address for an nginx `server` line: IPv4 as is, IPv6 in brackets.
 * Returns `undefined` for anything that is not an IP literal (DNS names would make start-up
 * depend on resolution) or for an invalid port.
 */
export function formatEndpoint(address: string, port: number): string | undefined {
  if (!Number.isInteger(port) || port < 1 || port > 65535) return undefined;
  if (IPV4_RE.test(address)) return `${address}:${port}`;
  const bare = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  if (bare.includes(':') && IPV6_RE.test(bare) && isIpv6(bare)) return `[${bare.toLowerCase()}]:${port}`;
  return undefined;
}

function isIpv6(value: string): boolean {
  // Accept only what the URL parser recognises as an IPv6 literal.
  try {
    return new URL(`http://[${value}]/`).hostname.length > 2;
  } catch {
    return false;
  }
}

/**
 * Validates a redirect target with `isSafeRedirectUrl` (`@switchyard/labels/safe`, the one rule) and
 * returns it without a trailing slash, or `undefined` when unsafe.
 */
export function normalizeRedirectUrl(url: string): string | undefined {
  if (!isSafeRedirectUrl(url)) return undefined;
  return url.endsWith('/') ? url.slice(0, -1) : url;
}

/** Quotes any single-line string as an nginx single-quoted token (escaping `\` and `'`). */
export function quote(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** Escapes regular-expression metacharacters in a string made of safe name characters. */
export function escapeRegex(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&');
}

/** Characters that may never appear anywhere in operator-provided raw text (NEL, U+2028 and U+2029 end lines in some readers). */
// eslint-disable-next-line no-control-regex
const CONTROL_RE = /[\u0000-\u0008\u000a-\u001f\u007f\u0085\u2028\u2029]/;

/**
 * Longest token (in bytes) printed from operator-provided raw text: nginx reads its configuration
 * through a 4096-byte buffer and refuses a longer token ("too long parameter").
 */
export const MAX_RAW_TOKEN_BYTES = 4000;
const TOO_LONG = `has a token longer than ${MAX_RAW_TOKEN_BYTES} bytes, which nginx cannot read`;
const tooLong = (token: string): boolean => Buffer.byteLength(token, 'utf8') > MAX_RAW_TOKEN_BYTES;

/**
 * Checks that `text` is nginx directives on a single line: bare words and quoted strings,
 * no `{`/`}`, no `#` comment; `;` separates directives (a final `;` is optional).
 * Returns each directive with exactly one trailing `;`, or the reason the text was refused.
 */
export function parseRawDirectives(text: string): { ok: true; directives: string[] } | { ok: false; reason: string } {
  const tokens = tokenize(text.trim());
  if (!tokens.ok) return tokens;
  const directives: string[] = [];
  let current: string[] = [];
  for (const token of [...tokens.tokens, ';']) {
    if (token !== ';') {
      current.push(token);
      continue;
    }
    if (current.length === 0) continue;
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(current[0] as string)) {
      return { ok: false, reason: 'has a directive that does not start with a directive name' };
    }
    directives.push(`${current.join(' ')};`);
    current = [];
  }
  return { ok: true, directives };
}

/**
 * Checks operator-provided text that is printed as the arguments of a directive (e.g. a
 * `log_format` definition). Text that is already a sequence of nginx tokens (it starts with a
 * quote or with `escape=`) is kept as tokens, joined by single spaces; any other text is quoted
 * as one string. Interlock writes its log formats as nginx source — several quoted parts on
 * several lines, ending in `;` — so line breaks between tokens and one final `;` are accepted
 * (a line break inside a quoted part is not).
 */
export function formatRawArguments(text: string): { ok: true; value: string } | { ok: false; reason: string } {
  const trimmed = text.trim();
  if (trimmed.length === 0) return { ok: false, reason: 'is empty' };
  if (/^['"]/.test(trimmed) || /^escape=/.test(trimmed)) {
    const tokens = tokenize(trimmed, true);
    if (!tokens.ok) return tokens;
    const list = tokens.tokens[tokens.tokens.length - 1] === ';' ? tokens.tokens.slice(0, -1) : tokens.tokens;
    if (list.includes(';')) return { ok: false, reason: "contains ';' outside quotes" };
    if (list.length === 0) return { ok: false, reason: 'is empty' };
    return { ok: true, value: list.join(' ') };
  }
  if (CONTROL_RE.test(trimmed)) return { ok: false, reason: 'contains a line break or control character' };
  const quoted = quote(trimmed);
  return tooLong(quoted) ? { ok: false, reason: TOO_LONG } : { ok: true, value: quoted };
}

type TokenResult = { ok: true; tokens: string[] } | { ok: false; reason: string };

/** Splits one-line nginx text into tokens; with `lineBreaks`, CR and LF between tokens count as spaces. */
function tokenize(text: string, lineBreaks = false): TokenResult {
  if (lineBreaks) {
    if (CONTROL_RE.test(text.replace(/[\r\n]/g, ' '))) return { ok: false, reason: 'contains a control character' };
    if (/[\r\n]/.test(quotedContents(text))) return { ok: false, reason: 'has a line break inside a quoted string' };
  } else if (CONTROL_RE.test(text)) {
    return { ok: false, reason: 'contains a line break or control character' };
  }
  const tokens: string[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i] as string;
    if (ch === ' ' || ch === '\t' || (lineBreaks && (ch === '\n' || ch === '\r'))) {
      i++;
      continue;
    }
    if (ch === ';') {
      tokens.push(';');
      i++;
      continue;
    }
    if (ch === '{' || ch === '}') return { ok: false, reason: `contains '${ch}' outside quotes` };
    if (ch === '#') return { ok: false, reason: "contains '#' (a comment) outside quotes" };
    if (ch === '"' || ch === "'") {
      let j = i + 1;
      let closed = false;
      while (j < text.length) {
        const c = text[j];
        if (c === '\\') {
          j += 2;
          continue;
        }
        if (c === ch) {
          closed = true;
          break;
        }
        j++;
      }
      if (!closed) return { ok: false, reason: 'has an unterminated quoted string' };
      const next = text[j + 1];
      if (next !== undefined && next !== ' ' && next !== '\t' && next !== ';' && !(lineBreaks && (next === '\n' || next === '\r'))) {
        return { ok: false, reason: 'has a quoted string not followed by a separator' };
      }
      if (tooLong(text.slice(i, j + 1))) return { ok: false, reason: TOO_LONG };
      tokens.push(text.slice(i, j + 1));
      i = j + 1;
      continue;
    }
    let j = i;
    while (j < text.length) {
      const c = text[j] as string;
      if (c === ' ' || c === '\t' || c === ';' || (lineBreaks && (c === '\n' || c === '\r'))) break;
      if (c === '{' || c === '}' || c === '#' || c === '"' || c === "'" || c === '\\') {
        return { ok: false, reason: `contains '${c}' inside a bare word` };
      }
      j++;
    }
    if (tooLong(text.slice(i, j))) return { ok: false, reason: TOO_LONG };
    tokens.push(text.slice(i, j));
    i = j;
  }
  return { ok: true, tokens };
}

/** The characters inside the quoted strings of `text` (an unterminated quote runs to the end). */
function quotedContents(text: string): string {
  let out = '';
  let quoteChar = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quoteChar === '') {
      if (c === '"' || c === "'") quoteChar = c;
    } else if (c === '\\') {
      out += text.slice(i, i + 2);
      i++;
    } else if (c === quoteChar) {
      quoteChar = '';
    } else {
      out += c;
    }
  }
  return out;
}
