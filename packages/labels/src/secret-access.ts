import { SWITCHYARD_LABEL_PREFIX } from './types.js';
import { asciiLower, hostMatches, hostnameProblem, isSafeToken } from './safe.js';

/**
 * Labels of a Docker secret that let services use it as `ssl_cert` / `ssl_key` (when the model's
 * secret policy is `labelled`, the default).
 */
export const SECRET_LABELS = {
  /** Comma-separated service names allowed to use the secret; `*` = any service. */
  allowedServices: `${SWITCHYARD_LABEL_PREFIX}allowed-services`,
  /** Comma-separated host names (wildcards allowed); a service may use the secret when they cover all its hosts. */
  allowedHosts: `${SWITCHYARD_LABEL_PREFIX}allowed-hosts`,
} as const;

/** Who may use a secret, as its labels say. Invalid entries are dropped (they allow nothing). */
export interface SecretAccess {
  /** `allowed-services` contains `*`. */
  anyService: boolean;
  /** Service names of `allowed-services`, sorted. */
  services: string[];
  /** Lower-cased host patterns of `allowed-hosts`, sorted. */
  hosts: string[];
}

const byCodeUnits = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function entries(value: unknown): string[] {
  if (typeof value !== 'string') return [];
  return value
    .split(',')
    .map((e) => e.replace(/^[ \t]+|[ \t]+$/g, ''))
    .filter((e) => e !== '');
}

/**
 * Reads the access labels ({@link SECRET_LABELS}) of a secret. Never throws; absent or malformed
 * labels allow nothing (an entry that is not a valid service name or host pattern is ignored).
 * @param labels - the secret's labels (`Spec.Labels`).
 */
export function parseSecretAccess(labels: Readonly<Record<string, string>> | undefined): SecretAccess {
  const raw = labels !== null && typeof labels === 'object' ? labels : {};
  const names = entries(raw[SECRET_LABELS.allowedServices]);
  const hosts = entries(raw[SECRET_LABELS.allowedHosts])
    .filter((h) => hostnameProblem(h, true) === undefined)
    .map(asciiLower);
  return {
    anyService: names.includes('*'),
    services: [...new Set(names.filter((n) => isSafeToken(n)))].sort(byCodeUnits),
    hosts: [...new Set(hosts)].sort(byCodeUnits),
  };
}

/**
 * Whether a secret with access `access` may be used by service `service` for the hosts `hosts`:
 * the service is named (or `*` is), or every one of `hosts` is covered by an allowed host pattern
 * ({@link hostMatches}). A service with no hosts is allowed by host only when it is named.
 */
export function secretAllows(access: SecretAccess, service: string, hosts: readonly string[]): boolean {
  if (access.anyService || access.services.includes(service)) return true;
  return hosts.length > 0 && hosts.every((h) => access.hosts.some((pattern) => hostMatches(pattern, h)));
}
