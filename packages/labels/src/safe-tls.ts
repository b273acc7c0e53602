/**
 * The one definition of a safe OpenSSL cipher list (the `SSLCiphers` key of the nginx and HAProxy
 * extensions), shared by both renderers. Both proxies link OpenSSL, and Node's own OpenSSL judges the
 * list, so this entry point (`@switchyard/labels/safe-tls`) loads `node:tls`; the import-free rules of
 * `@switchyard/labels/safe` stay apart from it.
 */
import { createSecureContext } from 'node:tls';

/** Longest cipher list accepted by {@link isSafeCipherList}. */
export const MAX_CIPHER_LIST_LENGTH = 2048;

const CIPHER_LIST = /^[A-Za-z0-9!:+@._=-]*$/;

/**
 * Whether `s` may be printed as a cipher list: at most {@link MAX_CIPHER_LIST_LENGTH} letters, digits and
 * `!:+@._=-` (one bare word in either proxy's configuration). The empty string passes (a renderer decides
 * what an empty list means). Whether OpenSSL knows the ciphers is {@link cipherListProblem}'s question.
 * @example isSafeCipherList('HIGH:!aNULL:!MD5') // true
 * @example isSafeCipherList('HIGH;x') // false
 */
export function isSafeCipherList(s: string): boolean {
  return typeof s === 'string' && s.length <= MAX_CIPHER_LIST_LENGTH && CIPHER_LIST.test(s);
}

/**
 * Why OpenSSL (the library nginx and HAProxy link, checked through Node's own OpenSSL) refuses a cipher
 * list, or `undefined` when it selects at least one cipher. TLS 1.3 suite names (`TLS_…`) are not part of
 * a cipher list: a list of only those is refused. The explanation never repeats the value. Never throws.
 * @example cipherListProblem('HIGH:!aNULL:!MD5') // undefined
 */
export function cipherListProblem(value: string): string | undefined {
  const legacy = value.split(':').filter((c) => c !== '' && !c.startsWith('TLS_'));
  if (legacy.length === 0) return 'selects no TLS 1.2 cipher (TLS 1.3 suites "TLS_..." are not set by this key)';
  try {
    createSecureContext({ ciphers: legacy.join(':') });
    return undefined;
  } catch {
    return 'selects no cipher OpenSSL knows (e.g. "HIGH:!aNULL:!MD5")';
  }
}
