/**
 * The one definition of a safe value in Switchyard: host names, URL paths, redirect URLs, name tokens
 * (Docker network, secret and service-cluster names, cookie names, upstream, task and proxy ids), file
 * names and absolute file-system paths, with their length limits.
 *
 * The label parser accepts a value only when it passes these checks, the model builder re-checks what it
 * puts in a model, and both renderers check every model value with the same functions before printing it.
 * A value that passes may be printed into nginx or HAProxy configuration as one bare word: it holds no
 * whitespace, quote, backslash, `;`, `#`, `$`, `%`, brace, bracket or control character. How a renderer
 * quotes its own syntax stays in the renderer; what is acceptable is decided here only.
 *
 * This module has no imports (it is the `@switchyard/labels/safe` entry point), so the renderers use it
 * without loading the label parser or the gRPC contract.
 */

/** Longest host name accepted (RFC 1035 / RFC 1123 limit for the text form). */
export const MAX_HOSTNAME_LENGTH = 253;
/** Longest URL path accepted (`context_root`, `websocket_endpoints`, redirect paths, model routes). */
export const MAX_PATH_LENGTH = 1024;
/** Longest redirect target URL accepted. */
export const MAX_URL_LENGTH = 2048;
/**
 * Longest name token accepted by {@link isSafeToken} (and so {@link isSafeCookieName}). Docker limits
 * service names to 63 characters and secret names to 64; task ids are 25; upstream names are at most 55.
 */
export const MAX_TOKEN_LENGTH = 128;
/** Longest file name accepted by {@link isSafeFileName} (the usual file-system limit). */
export const MAX_FILE_NAME_LENGTH = 255;
/** Longest absolute file-system path accepted by {@link isSafeAbsolutePath}. */
export const MAX_ABSOLUTE_PATH_LENGTH = 1024;

/** Lower-cases ASCII letters only (Unicode case mapping can turn look-alikes into ASCII, e.g. U+212A). */
export const asciiLower = (s: string): string => s.replace(/[A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 32));

const DNS_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;
const PRINTABLE_ASCII = /^[\x21-\x7e]*$/;
const PATH_SEGMENT = /^[A-Za-z0-9._~+=:@-]+$/;
const TOKEN = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
const ABSOLUTE_PATH_SEGMENT = /^[A-Za-z0-9._-]+$/;
const URL_SHAPE = /^(https?):\/\/([^/:]+)(?::([0-9]{1,5}))?(\/.*)?$/;

const isString = (s: unknown): s is string => typeof s === 'string';

/**
 * Explains why `s` is not an acceptable host name, or returns `undefined` when it is. Letters of either
 * case are accepted here (host names are case-insensitive; the canonical form is lower-case, see
 * {@link isSafeHost}). The explanation never repeats the value (callers quote it themselves).
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
 * Whether `s` is a host name as accepted in `com.docker.lb.hosts`, in any letter case: RFC 1123 labels of
 * letters, digits and `-` (1-63 characters each, no `-` at either end), at most 253 characters in total,
 * no trailing dot, and optionally one leading `*.` wildcard label. ASCII only (punycode for
 * internationalised names); no port.
 * @example isValidHostname('*.Example.com') // true
 * @example isValidHostname('app.example.com:8080') // false
 */
export function isValidHostname(s: string): boolean {
  return isString(s) && hostnameProblem(s, true) === undefined;
}

/**
 * Whether `s` is a host name in its canonical form: {@link isValidHostname} and lower-case. This is the
 * form the parser stores, the model holds and the renderers print.
 * @example isSafeHost('*.example.com') // true
 * @example isSafeHost('Example.com') // false
 */
export function isSafeHost(s: string): boolean {
  return isValidHostname(s) && asciiLower(s) === s;
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
      return 'contains characters other than letters, digits, "/" and - . _ ~ + = : @ (no spaces, quotes, ";", "$", "%", "?", "#", ",", braces or backslashes)';
    }
  }
  return undefined;
}

/**
 * Whether `s` is a URL path safe to route on: begins with `/`, at most 1024 characters, segments made only
 * of letters, digits and `- . _ ~ + = : @`, no empty segments (`//`) and no `.` or `..` segments.
 * A single trailing `/` is allowed (the parser removes it). Percent-encoding, queries (`?`) and fragments
 * (`#`) are rejected, as are `,`, whitespace, quotes, braces, `;`, `$`, `\` and control characters.
 * @example isSafePath('/app/v1') // true
 * @example isSafePath('/app/../admin') // false
 */
export function isSafePath(s: string): boolean {
  return isString(s) && pathProblem(s) === undefined;
}

/**
 * Whether `s` is a safe name token: 1-{@link MAX_TOKEN_LENGTH} characters from `[A-Za-z0-9_.-]`, not
 * starting with `.` or `-`. Used for Docker network, secret and service-cluster names, cookie names, and
 * the model's upstream names, service names, task ids and proxy ids as the renderers print them.
 * @example isSafeToken('app.example.com.cert') // true
 * @example isSafeToken('a b') // false
 */
export function isSafeToken(s: string): boolean {
  return isString(s) && s.length <= MAX_TOKEN_LENGTH && TOKEN.test(s);
}

/**
 * Whether `s` is a safe cookie name: the {@link isSafeToken} rule (the RFC 6265 token alphabet restricted
 * to characters that need no quoting anywhere). A separate name so call sites say what they check.
 */
export function isSafeCookieName(s: string): boolean {
  return isSafeToken(s);
}

/**
 * Whether `s` is a plain file name (no directory part): 1-{@link MAX_FILE_NAME_LENGTH} characters from
 * `[A-Za-z0-9_.-]`, not starting with `.` or `-` (so never `.` or `..`). Certificate files in the secrets
 * directory are named so.
 */
export function isSafeFileName(s: string): boolean {
  return isString(s) && s.length <= MAX_FILE_NAME_LENGTH && TOKEN.test(s);
}

/**
 * Whether `s` is an absolute file-system path of at most {@link MAX_ABSOLUTE_PATH_LENGTH} characters whose
 * segments use only `[A-Za-z0-9._-]`, with no empty (`//`), `.` or `..` segment; `/` itself and one
 * trailing `/` are allowed.
 * @example isSafeAbsolutePath('/run/secrets') // true
 * @example isSafeAbsolutePath('/run/../etc') // false
 */
export function isSafeAbsolutePath(s: string): boolean {
  if (!isString(s) || s.length === 0 || s.length > MAX_ABSOLUTE_PATH_LENGTH || !s.startsWith('/')) return false;
  if (s === '/') return true;
  const body = s.endsWith('/') ? s.slice(1, -1) : s.slice(1);
  return body.split('/').every((seg) => seg !== '.' && seg !== '..' && ABSOLUTE_PATH_SEGMENT.test(seg));
}

/**
 * Explains why `s` is not an acceptable redirect target, or returns `undefined` when it is. The accepted
 * form is the canonical one the label parser produces: `http://` or `https://` (lower-case), a lower-case
 * host name that is not a wildcard (a dotted IPv4 address has that shape too), an optional port 1-65535,
 * and an optional {@link isSafePath} path. No user info, query, fragment, percent-escape or IPv6 literal.
 */
export function redirectUrlProblem(s: string): string | undefined {
  if (s.length === 0) return 'is empty';
  if (s.length > MAX_URL_LENGTH) return `is longer than ${MAX_URL_LENGTH} characters`;
  const m = URL_SHAPE.exec(s);
  if (m === null) return 'is not an absolute http:// or https:// URL without user info, query or fragment';
  const host = m[2] ?? '';
  const hostProblem = hostnameProblem(host, false);
  if (hostProblem !== undefined) return `has a host that ${hostProblem}`;
  if (asciiLower(host) !== host) return 'has a host that is not lower-case';
  if (m[3] !== undefined && (Number(m[3]) < 1 || Number(m[3]) > 65535)) return 'has an invalid port';
  const path = m[4];
  if (path === undefined) return undefined;
  const problem = pathProblem(path);
  return problem === undefined ? undefined : `has a path that ${problem}`;
}

/**
 * Whether `s` is a safe redirect target URL ({@link redirectUrlProblem}).
 * @example isSafeRedirectUrl('https://example.com:8443/new') // true
 * @example isSafeRedirectUrl('https://example.com/?q=1') // false
 */
export function isSafeRedirectUrl(s: string): boolean {
  return isString(s) && redirectUrlProblem(s) === undefined;
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
