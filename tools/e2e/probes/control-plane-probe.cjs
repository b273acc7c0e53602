/*
 * Runs inside a throwaway container attached to core's network (an image of Switchyard's, so the
 * proto package and node-forge are there) and tries to drive core the way an intruder would:
 * plaintext, TLS without a client certificate, a self-signed certificate, and (when given) a
 * valid certificate of another extension and cluster. Prints one JSON line per attempt:
 * { attempt, call, ok, code, details }. Never throws; bounded by per-call deadlines.
 *
 * usage: node control-plane-probe.cjs CORE_HOST:PORT [CREDENTIALS_BUNDLE]
 */
const { readFileSync } = require('node:fs');
const { generateKeyPairSync } = require('node:crypto');
const forge = require('node-forge');
const { ChannelCredentials, createChannel, createClient } = require('nice-grpc');
const { ExtensionServiceDefinition, ProxyKind, configChecksum } = require('@switchyard/proto');
const { connectExtensionClient, parseCredentialsBundle } = require('@switchyard/proto/client');

const [core, bundleFile] = process.argv.slice(2);
const deadline = () => ({ deadline: new Date(Date.now() + 5000) });

function selfSigned() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
  const key = forge.pki.privateKeyFromPem(privateKey);
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.setRsaPublicKey(key.n, key.e);
  cert.serialNumber = '01';
  cert.validity.notBefore = new Date(Date.now() - 60000);
  cert.validity.notAfter = new Date(Date.now() + 86400000);
  const subject = [{ name: 'commonName', value: 'default' }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  // It even claims the default extension's identity: only the CA's signature makes one real.
  cert.setExtensions([{ name: 'subjectAltName', altNames: [{ type: 6, value: 'urn:switchyard:extension:default:' }] }]);
  cert.sign(key, forge.md.sha256.create());
  return { cert: forge.pki.certificateToPem(cert), key: privateKey };
}

async function attempt(name, client, calls) {
  for (const [call, fn] of calls) {
    try {
      const res = await fn(client);
      // A submission can also be answered "not accepted" (unknown registration) without an error.
      if (res && res.accepted === false) console.log(JSON.stringify({ attempt: name, call, ok: false, details: res.reasons.join('; ') }));
      else console.log(JSON.stringify({ attempt: name, call, ok: true }));
    } catch (err) {
      console.log(JSON.stringify({ attempt: name, call, ok: false, code: err.code, details: String(err.details || err.message).slice(0, 200) }));
    }
  }
}

const files = [{ path: 'nginx.conf', content: 'events {} http { server { listen 80; return 200 "owned"; } }' }];
/** The real extension's registration id when the caller can read the status (an extension can), else a guess. */
async function victimId(c) {
  try {
    const status = await c.getStatus({}, deadline());
    return status.extensions.find((e) => e.serviceCluster === '')?.extensionId ?? 'guess';
  } catch {
    return 'guess';
  }
}
const calls = [
  ['register', (c) => c.register({ name: 'default', serviceCluster: '', proxyKind: ProxyKind.PROXY_KIND_NGINX, version: 'x' }, deadline())],
  ['getModel', (c) => c.getModel({ serviceCluster: '' }, deadline())],
  ['submitConfig', async (c) => c.submitConfig({ extensionId: await victimId(c), modelVersion: 1, files, checksum: configChecksum(files) }, deadline())],
];

(async () => {
  const plain = createClient(ExtensionServiceDefinition, createChannel(core, ChannelCredentials.createInsecure()));
  await attempt('plaintext', plain, calls);
  let ca;
  if (bundleFile) ca = parseCredentialsBundle(readFileSync(bundleFile, 'utf8')).ca;
  const anyServer = { checkServerIdentity: () => undefined };
  const noCert = createClient(ExtensionServiceDefinition, createChannel(core, ChannelCredentials.createSsl(ca ? Buffer.from(ca) : null, null, null, anyServer)));
  await attempt('no-certificate', noCert, calls);
  const ss = selfSigned();
  const selfSignedClient = createClient(ExtensionServiceDefinition, createChannel(core, ChannelCredentials.createSsl(ca ? Buffer.from(ca) : null, Buffer.from(ss.key), Buffer.from(ss.cert), anyServer)));
  await attempt('self-signed', selfSignedClient, calls);
  if (bundleFile) {
    const other = connectExtensionClient(core, { tls: parseCredentialsBundle(readFileSync(bundleFile, 'utf8')) });
    await attempt('other-cluster', other.client, calls);
  }
  process.exit(0);
})();
