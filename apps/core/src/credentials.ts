import { randomBytes } from 'node:crypto';
import { identityUri, type Identity } from '@switchyard/proto';
import type { DockerPort, DockerSecret, Logger } from '@switchyard/reconciler';
import { RENEW_BEFORE_DAYS, caFingerprint, credentialsBundle, issueCertificate, type CertificateAuthority } from './pki.js';
import { INSTALLATION, MANAGED_BY, MANAGED_BY_VALUE, type MountedSecret } from './specs.js';

/** Labels on the secrets that hold control-plane credentials. */
export const PKI = 'com.switchyard.pki';
export const PKI_CA = 'com.switchyard.pki-ca';
export const PKI_IDENTITY = 'com.switchyard.pki-identity';
export const PKI_NOT_AFTER = 'com.switchyard.pki-not-after';

/** Where the deployed services find their credentials bundle. */
export const CREDENTIALS_FILE = 'switchyard-tls';
export const CREDENTIALS_ENV = `SWITCHYARD_TLS_BUNDLE=/run/secrets/${CREDENTIALS_FILE}`;

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Issues the client credentials of the services core deploys (extensions, proxy agents) and keeps
 * them as Docker secrets: one per identity, reused while it was issued by the current CA and has
 * more than 30 days left (so restarting core changes no service spec), else issued anew.
 */
export class ServiceCredentials {
  private readonly fingerprint: string;

  constructor(
    private readonly docker: Pick<DockerPort, 'listSecrets' | 'createSecret' | 'removeSecret'>,
    private readonly ca: CertificateAuthority,
    private readonly installation: string,
    private readonly logger: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.fingerprint = caFingerprint(ca);
  }

  /** The secret (mounted at /run/secrets/switchyard-tls) that holds `identity`'s credentials for `service`. */
  async secretFor(service: string, identity: Identity): Promise<MountedSecret> {
    const uri = identityUri(identity);
    const secrets = await this.docker.listSecrets();
    const mine = secrets.filter((s) => s.Spec?.Labels?.[PKI] === 'credentials' && s.Spec.Labels[INSTALLATION] === this.installation && s.Spec.Labels[PKI_IDENTITY] === uri);
    const usable = mine
      .filter((s) => s.Spec?.Labels?.[PKI_CA] === this.fingerprint && Date.parse(s.Spec.Labels[PKI_NOT_AFTER] ?? '') - this.now().getTime() > RENEW_BEFORE_DAYS * DAY_MS)
      .sort((a, b) => (a.CreatedAt ?? '').localeCompare(b.CreatedAt ?? ''))
      .pop();
    if (usable) return { id: usable.ID, name: usable.Spec!.Name!, file: CREDENTIALS_FILE };
    const issued = issueCertificate(this.ca, { identity }, this.now());
    const name = `${service}-tls-${randomBytes(4).toString('hex')}`;
    const id = await this.docker.createSecret({
      Name: name,
      Labels: {
        [MANAGED_BY]: MANAGED_BY_VALUE,
        [INSTALLATION]: this.installation,
        [PKI]: 'credentials',
        [PKI_CA]: this.fingerprint,
        [PKI_IDENTITY]: uri,
        [PKI_NOT_AFTER]: issued.notAfter.toISOString(),
      },
      Data: Buffer.from(credentialsBundle(issued, this.ca)).toString('base64'),
    });
    this.logger.info('issued control-plane credentials', { service, identity: uri, secret: name, notAfter: issued.notAfter.toISOString() });
    void this.removeOld(mine);
    return { id, name, file: CREDENTIALS_FILE };
  }

  /** Removes superseded credential secrets; Docker refuses those a service still mounts (kept for later). */
  private async removeOld(old: DockerSecret[]): Promise<void> {
    for (const s of old) {
      try {
        await this.docker.removeSecret(s.ID);
        this.logger.info('removed superseded control-plane credentials', { secret: s.Spec?.Name });
      } catch {
        // Still mounted by a task that has not been replaced yet: removed on a later renewal.
      }
    }
  }
}
