/**
 * Syntax checks shared by the label parser and by other packages that must validate the same kinds of
 * values (host names, URL paths, Docker object names). Every check is strict on purpose: a value that
 * passes may be printed into proxy configuration without further escaping.
 */

/** Longest host name accepted (RFC 1035 / RFC 1123 limit for the text form). */
export const MAX_HOSTNAME_LENGTH = 253;
/** Longest URL path accepted in `context_root`, `websocket_endpoints` and redirect URLs. */
export const MAX_PATH_LENGTH = 1024;
/** Longest token accepted by {@link isSafeToken}. */
export const MAX_TOKEN_LENGTH = 255;

/** Lower-cases ASCII letters only (Unicode case mapping can turn look-alikes into ASCII, e.g. U+212A). */
export const asciiLower = (s: string): string => s.replace(/[A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 32));

const DNS_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;
const PRINTABLE_ASCII = /^[\x21-\x7e]*$/;
const PATH_SEGMENT = /^[A-Za-z0-9._~+=:@-]+$/;
const SAFE_TOKEN = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

/**
 * Explains why `s` is not an acceptable host name, or returns `undefined` when it is.
 * The explanation never repeats the value (callers quote it themselves).
 * @param s - candidate host name, already trimmed.
 * @param allowWildcard - accept one leading `*.` label (as `com.docker.lb.hosts` does).
 */
export function hostnameProblem(s: string, allowWildcard: boolean): string | undefined {
  if (s.length === 0) return 'is empty';
  if (s.length > MAX_HOSTNAME_LENGTH) return `is longer than ${MAX_HOSTNAME_LENGTH} characters`;
  if (!PRINTABLE_ASCII.test(s)) {
    // eslint-disable-next-line no-control-regex
    return /[^\x00-\x7f]/.test(s)
      ? 'contains non-ASCII characters (write internationalised names in their punycode "xn--" form)'
      : 'contains whitespace or control characters';
  }
  if (s.includes(':')) {
    return 'contains ":" (a port or IPv6 address is not supported in a host name; the proxy listens on its own ports)';
  }
  let rest = s;
  if (rest.startsWith('*.')) {
    if (!allowWildcard) return 'is a wildcard, which is not allowed here';
    rest = rest.slice(2);
  }
  if (rest.endsWith('.')) return 'ends with "." (write the name without the trailing dot)';
  for (const label of rest.split('.')) {
    if (label === '') return 'has an empty label ("..", or a leading ".")';
    if (label.includes('*')) return 'uses "*" other than as a leading "*." wildcard';
    if (!DNS_LABEL.test(label)) {
      return 'has a label that is not a DNS label (letters, digits and "-", 1-63 characters, no "-" at either end)';
    }
  }
  return undefined;
}

/**
 * Whether `s` is a host name as accepted in `com.docker.lb.hosts`: RFC 1123 labels of letters, digits and
 * `-` (1-63 characters each, no `-` at either end), at most 253 characters in total, no trailing dot, and
 * optionally one leading `*.` wildcard label. ASCII only (use punycode for internationalised names); no
 * port. Upper-case letters are accepted (host names are case-insensitive); callers store them lower-cased.
 * @example isValidHostname('*.example.com') // true
 * @example isValidHostname('app.example.com:8080') // false
 */
export function isValidHostname(s: string): boolean {
  return typeof s === 'string' && hostnameProblem(s, true) === undefined;
}

/**
 * Explains why `s` is not an acceptable URL path, or returns `undefined` when it is.
 * The explanation never repeats the value.
 */
export function pathProblem(s: string): string | undefined {
  if (s.length === 0) return 'is empty';
  if (s.length > MAX_PATH_LENGTH) return `is longer than ${MAX_PATH_LENGTH} characters`;
  if (!s.startsWith('/')) return 'does not begin with "/"';
  if (s === '/') return undefined;
  const body = s.endsWith('/') ? s.slice(1, -1) : s.slice(1);
  for (const segment of body.split('/')) {
    if (segment === '') return 'contains an empty segment ("//")';
    if (segment === '.' || segment === '..') return 'contains a "." or ".." segment';
    if (!PATH_SEGMENT.test(segment)) {
      return 'contains characters other than letters, digits, "/" and - . _ ~ + = : @ (no spaces, quotes, ";", "$", "%", "?", "#", braces or backslashes)';
    }
  }
  return undefined;
}

/**
 * Whether `s` is a URL path safe to route on: begins with `/`, at most 1024 characters, segments made only
 * of letters, digits and `- . _ ~ + = : @`, no empty segments (`//`) and no `.` or `..` segments.
 * A single trailing `/` is allowed (the parser removes it). Percent-encoding, queries (`?`) and fragments
 * (`#`) are rejected, as are whitespace, quotes, braces, `;`, `$`, `\` and control characters.
 * @example isValidPath('/app/v1') // true
 * @example isValidPath('/app/../admin') // false
 */
export function isValidPath(s: string): boolean {
  return typeof s === 'string' && pathProblem(s) === undefined;
}

/**
 * Whether `s` is a safe name token: 1-255 characters from `[A-Za-z0-9_.-]`, not starting with `.` or `-`.
 * Used for Docker network, secret and service-cluster names and for sticky-session cookie names (the
 * RFC 6265 token alphabet restricted to characters that need no quoting anywhere).
 * @example isSafeToken('app.example.com.cert') // true
 * @example isSafeToken('a b') // false
 */
export function isSafeToken(s: string): boolean {
  return typeof s === 'string' && s.length <= MAX_TOKEN_LENGTH && SAFE_TOKEN.test(s);
}

/**
 * Whether the host pattern `pattern` (a host name, or a `*.suffix` wildcard) covers `host`: the same
 * name, or — for a wildcard — a name with one or more labels before `.suffix` (never the bare suffix).
 * `host` may itself be a wildcard: `*.example.com` covers `*.a.example.com`. Both are compared as given
 * (callers pass lower-cased names). This is the one host-matching rule of Switchyard: the proxies match
 * requests the same way.
 * @example hostMatches('*.example.com', 'a.b.example.com') // true
 * @example hostMatches('*.example.com', 'example.com') // false
 */
export function hostMatches(pattern: string, host: string): boolean {
  if (pattern === host) return true;
  return pattern.startsWith('*.') && host.length > pattern.length - 1 && host.endsWith(pattern.slice(1));
}
