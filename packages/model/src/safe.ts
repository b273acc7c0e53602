/**
 * Address ordering and the upstream-name alphabet of the model. What a safe host, path, token or redirect
 * URL is lives in one place, `@switchyard/labels/safe`; the model checks its values with those functions.
 */

/**
 * Characters of an upstream name: safe to print unquoted in any proxy config, and lower-case only
 * (nginx compares upstream and zone names case-insensitively, so two names never differ only in case).
 */
export const UPSTREAM_NAME_PATTERN = /^[a-z0-9_.-]+$/;

/** Strips a "/prefix-length" suffix from an address ("10.0.1.5/24" → "10.0.1.5"). */
export function stripPrefixLength(address: string): string {
  const slash = address.indexOf('/');
  return slash < 0 ? address : address.slice(0, slash);
}

/** Numeric value of a dotted-quad IPv4 address, or -1 when `address` is not one (no regex: hot path). */
function ipv4Value(address: string): number {
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < address.length; i++) {
    const c = address.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      octet = octet * 10 + (c - 48);
      if (++digits > 3 || octet > 255) return -1;
    } else if (c === 46 && digits > 0 && dots < 3) {
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else {
      return -1;
    }
  }
  return dots === 3 && digits > 0 ? value * 256 + octet : -1;
}

/** Orders addresses: IPv4 numerically first, then everything else by code unit. */
export function compareAddress(a: string, b: string): number {
  if (a === b) return 0;
  const va = ipv4Value(a);
  const vb = ipv4Value(b);
  if (va >= 0 && vb >= 0) return va - vb;
  if (va >= 0) return -1;
  if (vb >= 0) return 1;
  return compareStrings(a, b);
}

/** Locale-independent string order (by UTF-16 code unit). */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Picks one address out of several: IPv4 before IPv6, then the smallest. `undefined` when empty. */
export function pickAddress(addresses: readonly string[]): string | undefined {
  let best: string | undefined;
  for (const raw of addresses) {
    const address = stripPrefixLength(raw.trim());
    if (address === '') continue;
    if (best === undefined || compareAddress(address, best) < 0) best = address;
  }
  return best;
}
