import { createServer, type Server } from 'nice-grpc';
import { noopLogger } from '@switchyard/reconciler';
import { ExtensionServiceDefinition, ProxyKind, ProxyModel, configChecksum } from '@switchyard/proto';
import { connectExtensionClient, type ExtensionConnection } from '@switchyard/proto/client';
import { insecureCallers, type CallerContext } from '../src/control-plane.js';
import { checkSubmission, createExtensionService } from '../src/grpc-service.js';
import { ModelHub } from '../src/hub.js';

describe('checkSubmission', () => {
  const files = [{ path: 'nginx.conf', content: 'events {}' }];
  it('accepts well-formed files with the right checksum', () => expect(checkSubmission(files, configChecksum(files))).toEqual([]));
  it.each([
    ['../etc/passwd'],
    ['/etc/nginx/nginx.conf'],
    ['a//b'],
    ['a b'],
    [''],
  ])('rejects the unsafe path %j', (path) => {
    const bad = [{ path, content: 'x' }];
    expect(checkSubmission(bad, configChecksum(bad)).join()).toMatch(/unsafe file path/);
  });
  it('rejects a checksum mismatch, no files, empty files', () => {
    expect(checkSubmission(files, 'abc').join()).toMatch(/checksum/);
    expect(checkSubmission([], configChecksum([])).join()).toMatch(/no files/);
    const empty = [{ path: 'a', content: '' }];
    expect(checkSubmission(empty, configChecksum(empty)).join()).toMatch(/empty/);
  });
});

describe('ExtensionService over real gRPC on loopback', () => {
  let server: Server<CallerContext>;
  let conn: ExtensionConnection;
  const hub = new ModelHub();
  const delivered: { name: string; version: number; files: number }[] = [];
  beforeAll(async () => {
    server = createServer().use(insecureCallers());
    server.add(
      ExtensionServiceDefinition,
      createExtensionService(
        hub,
        {
          async deliver(ext, version, files) {
            if (files[0]?.content === 'explode') throw new Error('docker said no');
            delivered.push({ name: ext.name, version, files: files.length });
            return 'cfg-1';
          },
        },
        noopLogger,
        () => [''],
      ),
    );
    const port = await server.listen('127.0.0.1:0');
    conn = connectExtensionClient(`127.0.0.1:${port}`);
  });
  afterAll(async () => {
    conn.close();
    await server.shutdown();
  });

  it('rejects submissions from unregistered extensions', async () => {
    const files = [{ path: 'nginx.conf', content: 'x' }];
    const res = await conn.client.submitConfig({ extensionId: 'nope', modelVersion: 1, files, checksum: configChecksum(files) });
    expect(res).toEqual({ accepted: false, reasons: ['unknown extension id: register first'], configName: '' });
  });

  it('accepts a model version newer than the last accepted one (older than current under churn), never an older one, and reports delivery failures as rejections', async () => {
    const { extensionId } = await conn.client.register({ name: 'ext', serviceCluster: '', proxyKind: ProxyKind.PROXY_KIND_NGINX, version: 't' });
    const { model: v1 } = hub.publish({ ...ProxyModel.fromPartial({}), hash: 'h1' });
    const { model: v2 } = hub.publish({ ...ProxyModel.fromPartial({}), hash: 'h2' });
    const files = [{ path: 'nginx.conf', content: 'events {}' }];
    const checksum = configChecksum(files);
    // Rendered from v1 while v2 was published: still progress for a proxy that has neither.
    const behind = await conn.client.submitConfig({ extensionId, modelVersion: v1.version, files, checksum });
    expect(behind).toEqual({ accepted: true, reasons: [], configName: 'cfg-1' });
    const again = await conn.client.submitConfig({ extensionId, modelVersion: v1.version, files, checksum });
    expect(again.accepted).toBe(false);
    expect(again.reasons.join()).toMatch(/stale: rendered from model version \d+, version \d+ was already accepted/);
    const ok = await conn.client.submitConfig({ extensionId, modelVersion: v2.version, files, checksum });
    expect(ok).toEqual({ accepted: true, reasons: [], configName: 'cfg-1' });
    const older = await conn.client.submitConfig({ extensionId, modelVersion: v1.version, files, checksum });
    expect(older.accepted).toBe(false);
    expect(older.reasons.join()).toMatch(/stale/);
    const future = await conn.client.submitConfig({ extensionId, modelVersion: v2.version + 1, files, checksum });
    expect(future.reasons.join()).toMatch(/unknown model version/);
    expect(delivered).toEqual([
      { name: 'ext', version: v1.version, files: 1 },
      { name: 'ext', version: v2.version, files: 1 },
    ]);
    // A failed delivery does not count as accepted: the same version may be submitted again.
    const { model: v3 } = hub.publish({ ...ProxyModel.fromPartial({}), hash: 'h3' });
    const boom = [{ path: 'nginx.conf', content: 'explode' }];
    const failed = await conn.client.submitConfig({ extensionId, modelVersion: v3.version, files: boom, checksum: configChecksum(boom) });
    expect(failed.accepted).toBe(false);
    expect(failed.reasons).toEqual(['delivery failed: docker said no']);
    expect(await conn.client.submitConfig({ extensionId, modelVersion: v3.version, files, checksum })).toEqual({ accepted: true, reasons: [], configName: "cfg-1" });
  });

  it('rejects bad registrations with INVALID_ARGUMENT', async () => {
    await expect(conn.client.register({ name: 'bad name;', serviceCluster: '', proxyKind: ProxyKind.PROXY_KIND_NGINX, version: '' })).rejects.toMatchObject({ code: 3 });
  });

  it('serves status and the current model', async () => {
    const status = await conn.client.getStatus({});
    expect(status.extensions.map((e) => e.name)).toContain('ext');
    expect((await conn.client.getModel({ serviceCluster: '' })).model?.hash).toBe('h3');
    await expect(conn.client.getModel({ serviceCluster: 'none' })).rejects.toMatchObject({ code: 14 });
  });
});
