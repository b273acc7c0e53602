import { shortHash } from './hash.js';

/** Longest upstream name kept without a hash suffix. */
const MAX_PLAIN_LENGTH = 48;
/** Length of the readable part kept before the hash suffix. */
const READABLE_LENGTH = 40;
/** A name used as is: lower-case letters, digits, `_`, `.`, `-`. */
const PLAIN_NAME = /^[a-z0-9_.-]+$/;

/**
 * Prefixes no upstream name of the model begins with: they are left to renderers for their own
 * identifiers (nginx zones, maps and upstreams such as `switchyard_ssl`, HAProxy backends such as
 * `sy_default`), so no service name can take the name of one.
 */
export const RESERVED_NAME_PREFIXES: readonly string[] = ['switchyard', 'sy_', 'sy-'];

/** Prefix put before a hashed upstream name that would otherwise begin with a reserved prefix. */
const ESCAPE_PREFIX = 'svc-';

function isReserved(name: string): boolean {
  return RESERVED_NAME_PREFIXES.some((p) => name.startsWith(p));
}

/**
 * Deterministic, config-safe name (`[a-z0-9_.-]+`, always lower-case) of the upstream pool formed by
 * `services` (names, sorted). nginx compares upstream (and zone) names case-insensitively, so names
 * differing only in case would clash: a single service whose name is lower-case, safe, at most 48
 * characters and does not begin with a {@link RESERVED_NAME_PREFIXES reserved prefix} is its own
 * upstream name; otherwise the sanitized, lower-cased names are joined with "_", cut to 40 characters
 * and suffixed with "-" and `hashLength` (10) hex digits of the SHA-256 of the exact service list, so
 * distinct pools (`Web` and `web` included) get distinct names; such a name that would begin with a
 * reserved prefix is prefixed with `svc-`.
 */
export function upstreamName(services: readonly string[], hashLength = 10): string {
  const only = services.length === 1 ? services[0] : undefined;
  if (only !== undefined && only.length <= MAX_PLAIN_LENGTH && PLAIN_NAME.test(only) && !isReserved(only) && hashLength === 10) {
    return only;
  }
  const readable = services
    .map((s) => s.toLowerCase().replace(/[^a-z0-9_.-]/g, '-'))
    .join('_')
    .slice(0, READABLE_LENGTH);
  const suffix = shortHash(services.join('\n'), hashLength);
  const name = readable === '' ? `upstream-${suffix}` : `${readable}-${suffix}`;
  return isReserved(name) ? `${ESCAPE_PREFIX}${name}` : name;
}
