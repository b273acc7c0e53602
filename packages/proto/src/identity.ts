/**
 * Who is on the other end of a control-plane connection. Core's certificate authority writes the
 * identity into every certificate it issues, as a URI subject alternative name
 * `urn:switchyard:<role>:<name>:<service cluster>`; core reads it back from the verified peer
 * certificate and allows each RPC only for the roles (and names, clusters) it belongs to.
 */
export type Role = 'core' | 'extension' | 'proxy' | 'operator';

export const ROLES: readonly Role[] = ['core', 'extension', 'proxy', 'operator'];

/** A verified peer's identity. */
export interface Identity {
  role: Role;
  /** Extension name, proxy service name, operator name, or core's service name. */
  name: string;
  /** The service cluster an extension or proxy belongs to ('' for the default one, operators, core). */
  serviceCluster: string;
}

export const IDENTITY_URI_PREFIX = 'urn:switchyard:';

const PART = /^[A-Za-z0-9_.-]*$/;

/** The URI an identity is written as in a certificate. Throws on names that cannot be written. */
export function identityUri(identity: Identity): string {
  if (!ROLES.includes(identity.role)) throw new Error(`unknown role ${JSON.stringify(identity.role)}`);
  if (!identity.name || !PART.test(identity.name)) throw new Error(`identity name must be letters, digits, "_", "." or "-": ${JSON.stringify(identity.name)}`);
  if (!PART.test(identity.serviceCluster)) throw new Error(`service cluster must be letters, digits, "_", "." or "-": ${JSON.stringify(identity.serviceCluster)}`);
  return `${IDENTITY_URI_PREFIX}${identity.role}:${identity.name}:${identity.serviceCluster}`;
}

/** Parses one identity URI; undefined when it is not one. */
export function parseIdentityUri(uri: string): Identity | undefined {
  if (!uri.startsWith(IDENTITY_URI_PREFIX)) return undefined;
  const parts = uri.slice(IDENTITY_URI_PREFIX.length).split(':');
  if (parts.length !== 3) return undefined;
  const [role, name, serviceCluster] = parts as [string, string, string];
  if (!(ROLES as readonly string[]).includes(role) || !name || !PART.test(name) || !PART.test(serviceCluster)) return undefined;
  return { role: role as Role, name, serviceCluster };
}

/**
 * The identity in a certificate's subject alternative names, as Node's TLS layer prints them
 * (`getPeerCertificate().subjectaltname`, e.g. `DNS:core, URI:urn:switchyard:extension:default:`).
 * Undefined when there is none, or more than one (an ambiguous certificate names nobody).
 */
export function identityFromSubjectAltName(subjectAltName: string | undefined): Identity | undefined {
  if (!subjectAltName) return undefined;
  const found = subjectAltName
    .split(/,\s*/)
    .filter((entry) => entry.startsWith('URI:'))
    .map((entry) => parseIdentityUri(entry.slice(4)))
    .filter((id): id is Identity => id !== undefined);
  return found.length === 1 ? found[0] : undefined;
}

/** A short human form of an identity, for logs and errors. */
export function describeIdentity(identity: Identity): string {
  return `${identity.role} ${JSON.stringify(identity.name)}${identity.serviceCluster ? ` (service cluster ${JSON.stringify(identity.serviceCluster)})` : ''}`;
}
