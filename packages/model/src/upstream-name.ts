import { shortHash } from './hash.js';
import { UPSTREAM_NAME_PATTERN } from './safe.js';

/** Longest upstream name kept without a hash suffix. */
const MAX_PLAIN_LENGTH = 48;
/** Length of the readable part kept before the hash suffix. */
const READABLE_LENGTH = 40;

/**
 * Deterministic, config-safe name ([A-Za-z0-9_.-]+) of the upstream pool formed by `services`
 * (names, sorted). A single service whose name is already safe and short is its own upstream name;
 * otherwise the sanitized names are joined with "_", cut to 40 characters and suffixed with "-" and
 * 10 hex digits of the SHA-256 of the exact service list, so distinct pools get distinct names.
 */
export function upstreamName(services: readonly string[], hashLength = 10): string {
  const only = services.length === 1 ? services[0] : undefined;
  if (only !== undefined && only.length <= MAX_PLAIN_LENGTH && UPSTREAM_NAME_PATTERN.test(only) && hashLength === 10) {
    return only;
  }
  const readable = services
    .map((s) => s.replace(/[^A-Za-z0-9_.-]/g, '-'))
    .join('_')
    .slice(0, READABLE_LENGTH);
  const suffix = shortHash(services.join('\n'), hashLength);
  return readable === '' ? `upstream-${suffix}` : `${readable}-${suffix}`;
}
