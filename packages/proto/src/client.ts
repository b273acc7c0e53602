import { readFileSync } from 'node:fs';
import { ChannelCredentials, createChannel, createClient, type Channel, type ChannelOptions } from 'nice-grpc';
import { ExtensionServiceDefinition, type ExtensionServiceClient } from './gen/switchyard/v1/extension.js';
import { identityFromSubjectAltName } from './identity.js';

/** A client certificate, its key and the CA that signed core's certificate (PEM). */
export interface TlsCredentials {
  ca: string | Buffer;
  cert: string | Buffer;
  key: string | Buffer;
}

/** Options of {@link connectExtensionClient}. */
export interface ConnectOptions {
  /** Channel options passed to grpc-js (keepalive and so on). */
  channelOptions?: ChannelOptions;
  /**
   * Mutual TLS (core's default). Omit only for a core that runs with `InsecureControlPlane = true`.
   * core is verified by its CA and by the identity in its certificate (role `core`), not by host
   * name, so any address that reaches it works.
   */
  tls?: TlsCredentials;
}

/** A connected client plus the channel behind it; call `close()` when done. */
export interface ExtensionConnection {
  client: ExtensionServiceClient;
  channel: Channel;
  close(): void;
}

/**
 * Opens a nice-grpc client for core's `ExtensionService`.
 *
 * @param address `host:port` of core's gRPC listener (e.g. `core:8080`).
 */
export function connectExtensionClient(address: string, options: ConnectOptions = {}): ExtensionConnection {
  const target = address.replace(/^(https?|dns):\/\//, '');
  const credentials = options.tls
    ? ChannelCredentials.createSsl(toBuffer(options.tls.ca), toBuffer(options.tls.key), toBuffer(options.tls.cert), {
        checkServerIdentity: (_host, cert) =>
          identityFromSubjectAltName(cert.subjectaltname)?.role === 'core' ? undefined : new Error('the server certificate does not name a Switchyard core'),
      })
    : ChannelCredentials.createInsecure();
  // core is checked by its identity, not its host name: a fixed TLS server name also keeps an IP
  // address out of SNI.
  const channelOptions = options.tls ? { 'grpc.ssl_target_name_override': 'switchyard-core', ...options.channelOptions } : options.channelOptions;
  const channel = createChannel(target, credentials, channelOptions);
  const client = createClient(ExtensionServiceDefinition, channel);
  return { client, channel, close: () => channel.close() };
}

function toBuffer(value: string | Buffer): Buffer {
  return typeof value === 'string' ? Buffer.from(value) : value;
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]+?-----END \1-----\n?/g;

/**
 * Splits a credentials bundle as core issues it (one PEM file: the certificate, its private key,
 * then the CA certificate) into its parts. Throws when a part is missing.
 */
export function parseCredentialsBundle(pem: string): TlsCredentials {
  const blocks = [...pem.matchAll(PEM_BLOCK)].map((m) => ({ type: m[1]!, text: m[0].endsWith('\n') ? m[0] : `${m[0]}\n` }));
  const certs = blocks.filter((b) => b.type === 'CERTIFICATE');
  const key = blocks.find((b) => b.type.endsWith('PRIVATE KEY'));
  if (certs.length < 2 || !key) throw new Error('a credentials bundle holds a certificate, its private key and the CA certificate (PEM)');
  return { cert: certs[0]!.text, key: key.text, ca: certs.slice(1).map((c) => c.text).join('') };
}

/** Where {@link loadCredentials} reads from: a bundle, or separate CA, certificate and key files. */
export interface CredentialFiles {
  bundle?: string;
  ca?: string;
  cert?: string;
  key?: string;
}

/**
 * Reads TLS credentials from files: `bundle` (as core issues them), or `ca` + `cert` + `key`.
 * Returns undefined when no file is named; throws naming the file that cannot be read.
 */
export function loadCredentials(files: CredentialFiles): TlsCredentials | undefined {
  const read = (path: string): string => {
    try {
      return readFileSync(path, 'utf8');
    } catch (err) {
      throw new Error(`cannot read ${path}: ${(err as Error).message}`, { cause: err });
    }
  };
  if (files.cert || files.key || files.ca) {
    if (!files.cert || !files.key || !files.ca) throw new Error('TLS needs all three of the CA, the certificate and the key (or one bundle)');
    return { ca: read(files.ca), cert: read(files.cert), key: read(files.key) };
  }
  if (files.bundle) return parseCredentialsBundle(read(files.bundle));
  return undefined;
}

/**
 * The credentials named by the environment: `SWITCHYARD_TLS_BUNDLE`, or `SWITCHYARD_TLS_CA` +
 * `SWITCHYARD_TLS_CERT` + `SWITCHYARD_TLS_KEY` (what core sets in the services it deploys).
 */
export function credentialsFromEnv(env: Record<string, string | undefined> = process.env): TlsCredentials | undefined {
  return loadCredentials({ bundle: env.SWITCHYARD_TLS_BUNDLE || undefined, ca: env.SWITCHYARD_TLS_CA || undefined, cert: env.SWITCHYARD_TLS_CERT || undefined, key: env.SWITCHYARD_TLS_KEY || undefined });
}
