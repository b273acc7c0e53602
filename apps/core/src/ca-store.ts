import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DockerPort, Logger } from '@switchyard/reconciler';
import { PKI } from './credentials.js';
import { caBundle, caFingerprint, checkCertificateAuthority, createCertificateAuthority, parseCaBundle, type CertificateAuthority } from './pki.js';
import { INSTALLATION, MANAGED_BY, MANAGED_BY_VALUE } from './specs.js';

/** Where core's own CA secret is mounted (file name under /run/secrets). */
export const CA_SECRET_FILE = 'switchyard-ca';

/** Where core looks for its control-plane CA, in order. */
export interface CaLocation {
  /** `ControlPlaneCACert` / `ControlPlaneCAKey` from the config (bring your own CA). */
  certFile?: string;
  keyFile?: string;
  /** The mounted CA secret (default /run/secrets/switchyard-ca). */
  mountedFile: string;
  /** A directory that keeps a generated CA when core does not run as a swarm service (`SWITCHYARD_PKI_DIR`). */
  dir?: string;
}

export type CaOutcome = { ca: CertificateAuthority; source: string } | { restart: string };

/** What {@link loadControlPlaneCa} needs from Docker to keep a generated CA as a swarm secret. */
export interface CaDocker {
  docker: Pick<DockerPort, 'listSecrets' | 'createSecret' | 'inspectService' | 'updateService'>;
  /** The ID of the swarm service core runs as, if it runs as one. */
  selfServiceId(): Promise<string | undefined>;
}

/**
 * Finds (or creates) the CA that signs the control plane's certificates:
 * 1. the operator's own (`ControlPlaneCACert` + `ControlPlaneCAKey`);
 * 2. the CA secret mounted into core (a restarted or rescheduled core keeps its CA);
 * 3. a CA kept in `SWITCHYARD_PKI_DIR` (core run outside the swarm);
 * 4. otherwise core, running as a swarm service, mounts the installation's CA secret into its own
 *    service (creating the CA first if there is none) and asks to be restarted by Swarm with it.
 */
export async function loadControlPlaneCa(location: CaLocation, installation: string, logger: Logger, swarm?: CaDocker): Promise<CaOutcome> {
  if (location.certFile || location.keyFile) {
    if (!location.certFile || !location.keyFile) throw new Error('ControlPlaneCACert and ControlPlaneCAKey go together');
    const ca = { certPem: readFileSync(location.certFile, 'utf8'), keyPem: readFileSync(location.keyFile, 'utf8') };
    checkCertificateAuthority(ca);
    return { ca, source: `the operator's CA (${location.certFile})` };
  }
  if (existsSync(location.mountedFile)) return { ca: parseCaBundle(readFileSync(location.mountedFile, 'utf8')), source: `the CA secret mounted at ${location.mountedFile}` };
  if (location.dir) {
    const file = join(location.dir, 'ca.pem');
    if (existsSync(file)) return { ca: parseCaBundle(readFileSync(file, 'utf8')), source: file };
    const ca = createCertificateAuthority(installation);
    mkdirSync(location.dir, { recursive: true, mode: 0o700 });
    writeFileSync(file, caBundle(ca), { mode: 0o600 });
    logger.info('created the control-plane CA', { file, fingerprint: caFingerprint(ca) });
    return { ca, source: file };
  }
  const serviceId = await swarm?.selfServiceId();
  if (!swarm || !serviceId) {
    throw new Error(
      'no control-plane CA: core is not running as a swarm service, so it cannot keep one as a secret. Set ControlPlaneCACert and ControlPlaneCAKey, or SWITCHYARD_PKI_DIR, or InsecureControlPlane = true (plaintext, not recommended)',
    );
  }
  const { docker } = swarm;
  const existing = (await docker.listSecrets())
    .filter((s) => s.Spec?.Labels?.[PKI] === 'ca' && s.Spec.Labels[INSTALLATION] === installation)
    .sort((a, b) => (a.CreatedAt ?? '').localeCompare(b.CreatedAt ?? ''))
    .pop();
  let secret: { id: string; name: string };
  if (existing) {
    secret = { id: existing.ID, name: existing.Spec!.Name! };
    logger.info('found this installation\'s control-plane CA secret; mounting it', { secret: secret.name });
  } else {
    const ca = createCertificateAuthority(installation);
    const name = `${installation}-control-plane-ca-${caFingerprint(ca).slice(0, 8)}`;
    const id = await docker.createSecret({
      Name: name,
      Labels: { [MANAGED_BY]: MANAGED_BY_VALUE, [INSTALLATION]: installation, [PKI]: 'ca' },
      Data: Buffer.from(caBundle(ca)).toString('base64'),
    });
    secret = { id, name };
    logger.info('created the control-plane CA and stored it as a swarm secret', { secret: name, fingerprint: caFingerprint(ca) });
  }
  const service = await docker.inspectService(serviceId);
  const spec = structuredClone(service.Spec ?? {}) as { TaskTemplate?: { ContainerSpec?: { Secrets?: unknown[] } } };
  const container = (spec.TaskTemplate ??= {}).ContainerSpec ??= {};
  container.Secrets = [
    ...(container.Secrets ?? []).filter((s) => (s as { File?: { Name?: string } }).File?.Name !== CA_SECRET_FILE),
    { SecretID: secret.id, SecretName: secret.name, File: { Name: CA_SECRET_FILE, UID: '0', GID: '0', Mode: 0o400 } },
  ];
  await docker.updateService(serviceId, service.Version?.Index ?? 0, spec as never);
  return { restart: `mounted the control-plane CA secret ${secret.name} into core's own service; Swarm restarts core with it` };
}
