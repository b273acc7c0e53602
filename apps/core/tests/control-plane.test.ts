import { ChannelCredentials, createChannel, createClient, createServer, type Server } from 'nice-grpc';
import { noopLogger } from '@switchyard/reconciler';
import { ExtensionServiceDefinition, ProxyKind, ProxyModel, configChecksum, type Identity } from '@switchyard/proto';
import { connectExtensionClient, parseCredentialsBundle, type ExtensionConnection } from '@switchyard/proto/client';
import { ControlPlaneTls, type CallerContext, type RefusalReason } from '../src/control-plane.js';
import { createExtensionService } from '../src/grpc-service.js';
import { ModelHub } from '../src/hub.js';
import { createCertificateAuthority, credentialsBundle, issueCertificate } from '../src/pki.js';

const ca = createCertificateAuthority('test');
const other = createCertificateAuthority('someone-else');
const creds = (identity: Identity, by = ca) => parseCredentialsBundle(credentialsBundle(issueCertificate(by, { identity }), by));

describe('core gRPC API with mutual TLS (real TLS and gRPC on loopback)', () => {
  let server: Server<CallerContext>;
  let front: ControlPlaneTls;
  let port: number;
  const refused: RefusalReason[] = [];
  const denied: string[] = [];
  const hub = new ModelHub();
  const delivered: string[] = [];
  const open: ExtensionConnection[] = [];
  const connect = (identity: Identity, by = ca) => {
    const c = connectExtensionClient(`127.0.0.1:${port}`, { tls: { ...creds(identity, by), ca: ca.certPem } });
    open.push(c);
    return c.client;
  };
  const ext = (name: string, serviceCluster = '') => connect({ role: 'extension', name, serviceCluster });

  beforeAll(async () => {
    hub.publish(ProxyModel.fromPartial({ serviceCluster: '', hash: 'a' }));
    hub.publish(ProxyModel.fromPartial({ serviceCluster: 'blue', hash: 'b' }));
    const serverCert = issueCertificate(ca, { identity: { role: 'core', name: 'core', serviceCluster: '' }, dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
    front = new ControlPlaneTls({ ca: ca.certPem, cert: serverCert.certPem, key: serverCert.keyPem, logger: noopLogger, onRefused: (r) => refused.push(r) });
    server = createServer().use(front.middleware());
    server.add(
      ExtensionServiceDefinition,
      createExtensionService(
        hub,
        { deliver: async (e) => (delivered.push(e.name), 'cfg') },
        noopLogger,
        () => ['', 'blue'],
        { hub: { watch: async function* () {} } as never, knownProxy: () => true, onReport: () => undefined, onReplicas: () => [] },
        (_c, reason) => denied.push(reason),
      ),
    );
    const inner = await server.listen('127.0.0.1:0');
    const probe = await import('node:net').then((net) => net.createServer());
    port = await new Promise<number>((resolve) => probe.listen(0, '127.0.0.1', () => resolve((probe.address() as { port: number }).port)));
    probe.close();
    await front.listen('127.0.0.1', port, inner);
  });
  afterAll(async () => {
    for (const c of open) c.close();
    front.close();
    await server.shutdown();
  });

  it('an extension registers, reads its cluster and submits under its own name', async () => {
    const client = ext('default');
    const { extensionId } = await client.register({ name: 'default', serviceCluster: '', proxyKind: ProxyKind.PROXY_KIND_NGINX, version: 't' });
    const { model } = await client.getModel({ serviceCluster: '' });
    const files = [{ path: 'nginx.conf', content: 'events {}' }];
    const res = await client.submitConfig({ extensionId, modelVersion: model!.version, files, checksum: configChecksum(files) });
    expect(res.accepted).toBe(true);
    expect(delivered).toEqual(['default']);
  });

  it("an extension cannot register under another name or cluster, read another cluster's model, or act as a proxy", async () => {
    const client = ext('default');
    await expect(client.register({ name: 'other', serviceCluster: '', proxyKind: ProxyKind.PROXY_KIND_NGINX, version: 't' })).rejects.toMatchObject({ code: 7 });
    await expect(client.register({ name: 'default', serviceCluster: 'blue', proxyKind: ProxyKind.PROXY_KIND_NGINX, version: 't' })).rejects.toMatchObject({ code: 7 });
    await expect(client.getModel({ serviceCluster: 'blue' })).rejects.toMatchObject({ code: 7 });
    await expect(client.reportProxyConfig({ proxyService: 'p', replica: { taskId: 't1' } })).rejects.toMatchObject({ code: 7 });
    expect(denied.at(-1)).toMatch(/extension "default" may not serve as a proxy of "p"/);
  });

  it("a valid certificate of another cluster cannot submit with a stolen extension id", async () => {
    const owner = ext('default');
    const { extensionId } = await owner.register({ name: 'default', serviceCluster: '', proxyKind: ProxyKind.PROXY_KIND_NGINX, version: 't' });
    const thief = ext('blue-ext', 'blue');
    const files = [{ path: 'nginx.conf', content: 'evil' }];
    await expect(thief.submitConfig({ extensionId, modelVersion: hub.current('')!.version, files, checksum: configChecksum(files) })).rejects.toMatchObject({ code: 7 });
    expect(delivered).not.toContain('blue-ext');
  });

  it('an operator reads status and models but cannot register or submit', async () => {
    const op = connect({ role: 'operator', name: 'alice', serviceCluster: '' });
    expect((await op.getStatus({})).models.map((m) => m.serviceCluster)).toEqual(['', 'blue']);
    expect((await op.getModel({ serviceCluster: 'blue' })).model?.hash).toBe('b');
    await expect(op.register({ name: 'default', serviceCluster: '', proxyKind: ProxyKind.PROXY_KIND_NGINX, version: 't' })).rejects.toMatchObject({ code: 7 });
  });

  it('a proxy agent acts only for its own proxy service', async () => {
    const agent = connect({ role: 'proxy', name: 'proxy-a', serviceCluster: '' });
    await expect(agent.reportProxyConfig({ proxyService: 'proxy-a', replica: { taskId: 't1' } })).resolves.toEqual({});
    await expect(agent.reportProxyConfig({ proxyService: 'proxy-b', replica: { taskId: 't1' } })).rejects.toMatchObject({ code: 7 });
    await expect(agent.getStatus({})).rejects.toMatchObject({ code: 7 });
  });

  it('plaintext, certificate-less and foreign-CA clients are refused before any RPC, and counted', async () => {
    const before = refused.length;
    const plain = createClient(ExtensionServiceDefinition, createChannel(`127.0.0.1:${port}`, ChannelCredentials.createInsecure()));
    await expect(plain.getStatus({}, { signal: AbortSignal.timeout(3000) })).rejects.toMatchObject({ code: expect.any(Number) });
    const noCert = createClient(ExtensionServiceDefinition, createChannel(`127.0.0.1:${port}`, ChannelCredentials.createSsl(Buffer.from(ca.certPem), null, null, { checkServerIdentity: () => undefined })));
    await expect(noCert.getStatus({}, { signal: AbortSignal.timeout(3000) })).rejects.toMatchObject({ code: expect.any(Number) });
    const foreign = connect({ role: 'operator', name: 'mallory', serviceCluster: '' }, other);
    await expect(foreign.getStatus({}, { signal: AbortSignal.timeout(3000) })).rejects.toMatchObject({ code: expect.any(Number) });
    const seen = new Set(refused.slice(before));
    expect(seen).toEqual(new Set(['plaintext', 'no-certificate', 'untrusted-certificate']));
  });

  it('a client refuses a server whose certificate does not name a core', async () => {
    const impostorCert = issueCertificate(ca, { identity: { role: 'extension', name: 'x', serviceCluster: '' }, ipAddresses: ['127.0.0.1'] });
    const impostor = new ControlPlaneTls({ ca: ca.certPem, cert: impostorCert.certPem, key: impostorCert.keyPem, logger: noopLogger });
    const probe = await import('node:net').then((net) => net.createServer());
    const p = await new Promise<number>((resolve) => probe.listen(0, '127.0.0.1', () => resolve((probe.address() as { port: number }).port)));
    probe.close();
    await impostor.listen('127.0.0.1', p, 1);
    const c = connectExtensionClient(`127.0.0.1:${p}`, { tls: { ...creds({ role: 'operator', name: 'a', serviceCluster: '' }), ca: ca.certPem } });
    await expect(c.client.getStatus({}, { signal: AbortSignal.timeout(3000) })).rejects.toMatchObject({ code: 14 });
    c.close();
    impostor.close();
  });

  it('a registration held by a model watch ends with the watch; status lists only live ones', async () => {
    const client = ext('leased');
    const { extensionId } = await client.register({ name: 'leased', serviceCluster: '', proxyKind: ProxyKind.PROXY_KIND_NGINX, version: 't' });
    const abort = new AbortController();
    const stream = client.watchModel({ serviceCluster: '', extensionId }, { signal: abort.signal });
    const it = stream[Symbol.asyncIterator]();
    await it.next();
    const op = connect({ role: 'operator', name: 'alice', serviceCluster: '' });
    const live = (await op.getStatus({})).extensions.find((e) => e.extensionId === extensionId);
    expect(live).toMatchObject({ name: 'leased', watches: 1, leaseExpiresAtUnixMs: 0 });
    abort.abort();
    await it.next().catch(() => undefined);
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && (await op.getStatus({})).extensions.some((e) => e.extensionId === extensionId)) await new Promise((r) => setTimeout(r, 50));
    expect((await op.getStatus({})).extensions.some((e) => e.extensionId === extensionId)).toBe(false);
  });
});
