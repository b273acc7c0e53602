/**
 * Strict checks for every value that reaches haproxy.cfg. A value that passes one of these checks can be
 * printed as a single HAProxy word (no quoting needed): it contains no whitespace, no `#`, no quote, no
 * backslash, no `%` (log-format), no `$` (environment expansion) and no braces or brackets.
 *
 * Which hosts, paths, names, URLs and cipher lists are acceptable is decided in one place for all of
 * Switchyard, `@switchyard/labels/safe` and `@switchyard/labels/safe-tls` (the view model and the config
 * schema import them from there); this module adds only what is HAProxy's own: option lines, SSL bind
 * options and endpoint formatting.
 */
import { isIP } from 'node:net';

const HEX = /^[0-9a-f]{1,128}$/;

/** Longest raw option line (GlobalOptions, DefaultOptions, SSLOpts). */
export const MAX_OPTION_LENGTH = 1024;

/** Lower-case hex string (e.g. the model hash). */
export function isSafeHex(s: string): boolean {
  return HEX.test(s);
}

/** Formats an endpoint address for a `server` line: IPv4 as is, IPv6 in brackets; `undefined` if not an IP. */
export function formatEndpointAddress(address: string, port: number): string | undefined {
  if (!Number.isInteger(port) || port < 1 || port > 65535) return undefined;
  const kind = isIP(address);
  if (kind === 4) return `${address}:${port}`;
  // isIP accepts zone ids ("fe80::1%eth0"); '%' is special in HAProxy, so refuse them.
  if (kind === 6 && /^[0-9A-Fa-f:.]+$/.test(address)) return `[${address}]:${port}`;
  return undefined;
}

/**
 * Raw, operator-provided configuration line (GlobalOptions, DefaultOptions, SSLOpts): one line of printable
 * characters (tabs allowed) without `{` or `}`, and not opening a new section.
 */
export function optionLineProblem(s: string): string | undefined {
  if (s.length > MAX_OPTION_LENGTH) return `is longer than ${MAX_OPTION_LENGTH} characters`;
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x08\x0a-\x1f\x7f]/.test(s)) return 'contains a line break or control character';
  if (/[^\t -~]/.test(s)) return 'contains non-ASCII characters';
  if (/[{}]/.test(s)) return 'contains "{" or "}"';
  const first = s.trim().split(/\s+/)[0] ?? '';
  // HAProxy unquotes and unescapes a line's first word before comparing it with the section keywords
  // (`"backend"`, `\x62ackend` or `${VAR}` open a section too), so it must be a plain keyword.
  if (first !== '' && !OPTION_KEYWORD.test(first)) return `does not start with a plain keyword (letters, digits and "._-"): ${JSON.stringify(first)}`;
  if (SECTION_KEYWORDS.has(first.toLowerCase())) return `starts a new section ("${first}")`;
  if (unbalancedQuote(s)) return 'has an unmatched quote';
  return undefined;
}

/** First word of an option line: a keyword spelled as HAProxy's own are (`tune.ssl.default-dh-param`, `http-request`). */
const OPTION_KEYWORD = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Whether HAProxy's word splitter would find an unterminated quote (`'` or `"`; `\\` escapes outside `'`). */
function unbalancedQuote(s: string): boolean {
  let quote = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\' && quote !== "'") {
      i++;
    } else if (quote === '' && (c === '"' || c === "'")) {
      quote = c;
    } else if (c === quote) {
      quote = '';
    }
  }
  return quote !== '';
}

/** Bind keywords `SSLOpts` may hold, with the number of arguments each takes. */
const SSL_BIND_KEYWORDS: Readonly<Record<string, number>> = Object.freeze({
  alpn: 1, npn: 1, ciphers: 1, ciphersuites: 1, curves: 1, ecdhe: 1, sigalgs: 1, 'client-sigalgs': 1, 'ssl-min-ver': 1,
  'ssl-max-ver': 1, 'ca-file': 1, 'crl-file': 1, verify: 1, 'ca-ignore-err': 1, 'crt-ignore-err': 1, 'tls-ticket-keys': 1,
  'no-tls-tickets': 0, 'no-sslv3': 0, 'no-tlsv10': 0, 'no-tlsv11': 0, 'no-tlsv12': 0, 'no-tlsv13': 0, 'force-tlsv10': 0,
  'force-tlsv11': 0, 'force-tlsv12': 0, 'force-tlsv13': 0, 'prefer-client-ciphers': 0, 'allow-0rtt': 0, 'no-ca-names': 0,
  'strict-sni': 0, 'generate-certificates': 0,
});
const SSL_VERSIONS = ['TLSv1.0', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];

/**
 * Why HAProxy would refuse `text` as SSL options of a `bind` line (a keyword it does not take there, a
 * missing argument, an unknown TLS version), or `undefined`. Quoting is checked by {@link optionLineProblem}.
 */
export function sslBindOptionsProblem(text: string): string | undefined {
  const words = text.trim() === '' ? [] : text.trim().split(/\s+/);
  for (let i = 0; i < words.length; i++) {
    const word = words[i] as string;
    const args = SSL_BIND_KEYWORDS[word];
    if (args === undefined) return `"${word}" is not an SSL bind option (${Object.keys(SSL_BIND_KEYWORDS).sort().join(', ')})`;
    if (args > 0 && i + args >= words.length) return `"${word}" needs a value`;
    if ((word === 'ssl-min-ver' || word === 'ssl-max-ver') && !SSL_VERSIONS.includes(words[i + 1] ?? '')) {
      return `${word} takes one of ${SSL_VERSIONS.join(', ')}`;
    }
    if (word === 'verify' && !['none', 'optional', 'required'].includes(words[i + 1] ?? '')) return 'verify takes none, optional or required';
    i += args;
  }
  return undefined;
}

const SECTION_KEYWORDS = new Set([
  'global',
  'defaults',
  'frontend',
  'backend',
  'listen',
  'userlist',
  'peers',
  'resolvers',
  'cache',
  'program',
  'http-errors',
  'ring',
  'mailers',
]);

/** Renders a value for a diagnostic message: JSON-quoted and shortened, never raw. */
export function describeValue(value: string): string {
  const short = value.length > 80 ? `${value.slice(0, 77)}...` : value;
  return JSON.stringify(short);
}
