import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import forge from 'node-forge';
import { identityUri, type Identity } from '@switchyard/proto';

/** A certificate authority: its certificate and private key (PEM). */
export interface CertificateAuthority {
  certPem: string;
  keyPem: string;
}

/** An issued certificate with its private key (PEM) and when it stops being valid. */
export interface IssuedCertificate {
  certPem: string;
  keyPem: string;
  notAfter: Date;
}

const DAY_MS = 24 * 60 * 60 * 1000;
/** The CA lives ten years; what it issues, one year (core renews it when 30 days are left). */
export const CA_VALIDITY_DAYS = 3650;
export const LEAF_VALIDITY_DAYS = 365;
export const RENEW_BEFORE_DAYS = 30;

function newKeyPair(): { privateKey: forge.pki.rsa.PrivateKey; publicKey: forge.pki.rsa.PublicKey; keyPem: string } {
  // Node's own generator (native and fast); forge only assembles and signs the certificate.
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
  const key = forge.pki.privateKeyFromPem(privateKey) as forge.pki.rsa.PrivateKey;
  return { privateKey: key, publicKey: forge.pki.setRsaPublicKey(key.n, key.e), keyPem: privateKey };
}

function serial(): string {
  // Positive 16-byte serial (the top bit cleared).
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f;
  return bytes.toString('hex');
}

/** Creates a self-signed CA for one Switchyard installation. */
export function createCertificateAuthority(installation: string, now = new Date()): CertificateAuthority {
  const { privateKey, publicKey, keyPem } = newKeyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = serial();
  cert.validity.notBefore = new Date(now.getTime() - 60_000);
  cert.validity.notAfter = new Date(now.getTime() + CA_VALIDITY_DAYS * DAY_MS);
  const subject = [{ name: 'commonName', value: `Switchyard control plane CA (${installation})`.slice(0, 64) }, { name: 'organizationName', value: 'Switchyard' }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(privateKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem };
}

/** Checks that a CA's certificate and key belong together and may sign; throws naming the problem. */
export function checkCertificateAuthority(ca: CertificateAuthority): void {
  let cert: forge.pki.Certificate;
  let key: forge.pki.PrivateKey;
  try {
    cert = forge.pki.certificateFromPem(ca.certPem);
    key = forge.pki.privateKeyFromPem(ca.keyPem);
  } catch (err) {
    throw new Error(`the control-plane CA is not a PEM RSA certificate and key: ${(err as Error).message}`, { cause: err });
  }
  const pub = cert.publicKey as forge.pki.rsa.PublicKey;
  const priv = key as forge.pki.rsa.PrivateKey;
  if (!pub.n || pub.n.compareTo(priv.n) !== 0) throw new Error('the control-plane CA key does not belong to its certificate');
  const bc = cert.getExtension('basicConstraints') as { cA?: boolean } | undefined;
  if (!bc?.cA) throw new Error('the control-plane CA certificate is not a CA (basicConstraints cA is not set)');
}

/** Short fingerprint of a CA certificate (labels secrets issued by it). */
export function caFingerprint(ca: Pick<CertificateAuthority, 'certPem'>): string {
  const der = forge.asn1.toDer(forge.pki.certificateToAsn1(forge.pki.certificateFromPem(ca.certPem))).getBytes();
  return createHash('sha256').update(Buffer.from(der, 'binary')).digest('hex').slice(0, 16);
}

/** What a certificate is for: its identity, and for core's server certificate the names it answers to. */
export interface CertificateRequest {
  identity: Identity;
  dnsNames?: string[];
  ipAddresses?: string[];
  validityDays?: number;
}

/** Issues a certificate for `request.identity`, signed by `ca` (client and server use). */
export function issueCertificate(ca: CertificateAuthority, request: CertificateRequest, now = new Date()): IssuedCertificate {
  const caCert = forge.pki.certificateFromPem(ca.certPem);
  const caKey = forge.pki.privateKeyFromPem(ca.keyPem);
  const { publicKey, keyPem } = newKeyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = serial();
  cert.validity.notBefore = new Date(now.getTime() - 60_000);
  const notAfter = new Date(Math.min(now.getTime() + (request.validityDays ?? LEAF_VALIDITY_DAYS) * DAY_MS, caCert.validity.notAfter.getTime()));
  cert.validity.notAfter = notAfter;
  const { identity } = request;
  cert.setSubject([
    { name: 'commonName', value: identity.name.slice(0, 64) },
    { name: 'organizationalUnitName', value: identity.role },
    { name: 'organizationName', value: 'Switchyard' },
  ]);
  cert.setIssuer(caCert.subject.attributes);
  const altNames: { type: number; value?: string; ip?: string }[] = [{ type: 6, value: identityUri(identity) }];
  for (const dns of request.dnsNames ?? []) altNames.push({ type: 2, value: dns });
  for (const ip of request.ipAddresses ?? []) altNames.push({ type: 7, ip });
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true, clientAuth: true },
    { name: 'subjectAltName', altNames },
  ]);
  cert.sign(caKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem, notAfter };
}

/** One PEM file holding a certificate, its key and the CA certificate (what clients load). */
export function credentialsBundle(issued: Pick<IssuedCertificate, 'certPem' | 'keyPem'>, ca: Pick<CertificateAuthority, 'certPem'>): string {
  return `${issued.certPem.trim()}\n${issued.keyPem.trim()}\n${ca.certPem.trim()}\n`;
}

/** One PEM file holding a CA's certificate and key (how core keeps its own CA in a secret). */
export function caBundle(ca: CertificateAuthority): string {
  return `${ca.certPem.trim()}\n${ca.keyPem.trim()}\n`;
}

/** Reads a CA bundle written by {@link caBundle}. */
export function parseCaBundle(pem: string): CertificateAuthority {
  const cert = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem)?.[0];
  const key = /-----BEGIN ([A-Z ]*)PRIVATE KEY-----[\s\S]+?-----END \1PRIVATE KEY-----/.exec(pem)?.[0];
  if (!cert || !key) throw new Error('a CA bundle holds the CA certificate and its private key (PEM)');
  const ca = { certPem: `${cert}\n`, keyPem: `${key}\n` };
  checkCertificateAuthority(ca);
  return ca;
}
