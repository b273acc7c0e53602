import { createServer, type Server } from 'nice-grpc';
import {
  ApplyResult,
  ExtensionServiceDefinition,
  ProxyKind,
  ProxyModel,
  Severity,
  configChecksum,
  type ExtensionServiceImplementation,
} from '../src/index.js';
import { connectExtensionClient } from '../src/client.js';

const sample: ProxyModel = {
  ...ProxyModel.fromPartial({}),
  version: 7,
  hash: 'abc',
  hosts: [{ host: 'demo.local', certificate: '', sslOnly: false, redirects: [], routes: [{ path: '/', stripPrefix: false, upstream: 'demo', websocket: false }] }],
  diagnostics: [{ service: 'bad', label: 'com.docker.lb.port', code: 'invalid-port', message: 'nope', severity: Severity.SEVERITY_ERROR }],
};

describe('ProxyModel messages', () => {
  it('round-trip through binary and JSON without loss', () => {
    const bin = ProxyModel.decode(ProxyModel.encode(sample).finish());
    expect(bin).toEqual(sample);
    const json = ProxyModel.fromJSON(JSON.parse(JSON.stringify(ProxyModel.toJSON(sample))));
    expect(json).toEqual(sample);
  });
});

describe('configChecksum', () => {
  it('depends on paths, contents and order', () => {
    const a = configChecksum([{ path: 'a', content: 'x' }, { path: 'b', content: 'y' }]);
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(configChecksum([{ path: 'b', content: 'y' }, { path: 'a', content: 'x' }])).not.toBe(a);
    expect(configChecksum([{ path: 'a', content: 'xb' }, { path: '', content: 'y' }])).not.toBe(a);
    expect(configChecksum([{ path: 'a', content: 'x' }, { path: 'b', content: 'y' }])).toBe(a);
  });
});

describe('connectExtensionClient against a nice-grpc server on loopback', () => {
  let server: Server;
  let port: number;
  const seen: string[] = [];
  beforeAll(async () => {
    const impl: ExtensionServiceImplementation = {
      async register(req) {
        seen.push(`${req.name}/${req.proxyKind}`);
        return { extensionId: 'ext-1' };
      },
      async getModel() {
        return { model: sample };
      },
      async *watchModel() {
        yield { model: { ...sample, version: 1 } };
        yield { model: { ...sample, version: 2 } };
      },
      async submitConfig(req) {
        const ok = req.checksum === configChecksum(req.files);
        return { accepted: ok, reasons: ok ? [] : ['checksum mismatch'], configName: ok ? 'cfg' : '' };
      },
      async getStatus() {
        return { models: [sample], deliveries: [], extensions: [], replicas: [] };
      },
      async *watchProxyConfig(req) {
        seen.push(`agent ${req.proxyService}/${req.replica?.taskId ?? ''}`);
        const files = [{ path: 'nginx.conf', content: 'events {}' }];
        yield { config: { modelVersion: 3, checksum: configChecksum(files), files, acceptedAtUnixMs: 1 } };
      },
      async reportProxyConfig(req) {
        seen.push(`report ${req.proxyService}/${req.replica?.taskId ?? ''} ${req.result} v${req.modelVersion}`);
        return {};
      },
    };
    server = createServer();
    server.add(ExtensionServiceDefinition, impl);
    port = await server.listen('127.0.0.1:0');
  });
  afterAll(async () => {
    await server.shutdown();
  });

  it('registers, fetches, streams and submits', async () => {
    const conn = connectExtensionClient(`127.0.0.1:${port}`);
    try {
      const reg = await conn.client.register({ name: 'x', proxyKind: ProxyKind.PROXY_KIND_NGINX });
      expect(reg.extensionId).toBe('ext-1');
      expect(seen).toEqual(['x/PROXY_KIND_NGINX']);
      expect((await conn.client.getModel({})).model).toEqual(sample);
      const versions: number[] = [];
      for await (const msg of conn.client.watchModel({})) versions.push(msg.model?.version ?? -1);
      expect(versions).toEqual([1, 2]);
      const files = [{ path: 'nginx.conf', content: 'events {}' }];
      expect((await conn.client.submitConfig({ files, checksum: configChecksum(files) })).accepted).toBe(true);
      const bad = await conn.client.submitConfig({ files, checksum: 'deadbeef' });
      expect(bad).toEqual({ accepted: false, reasons: ['checksum mismatch'], configName: '' });
    } finally {
      conn.close();
    }
  });

  it("carries the proxy agent's calls: a config stream and reports", async () => {
    const conn = connectExtensionClient(`127.0.0.1:${port}`);
    try {
      const replica = { taskId: 't1', nodeId: 'n1', hostname: 'h', agentVersion: '1' };
      const got = [];
      for await (const msg of conn.client.watchProxyConfig({ proxyService: 'p', replica })) got.push(msg.config);
      expect(got).toEqual([expect.objectContaining({ modelVersion: 3, checksum: configChecksum([{ path: 'nginx.conf', content: 'events {}' }]) })]);
      await conn.client.reportProxyConfig({ proxyService: 'p', replica, modelVersion: 3, result: ApplyResult.APPLY_RESULT_REJECTED, error: 'bad' });
      expect(seen).toContain('agent p/t1');
      expect(seen).toContain('report p/t1 APPLY_RESULT_REJECTED v3');
    } finally {
      conn.close();
    }
  });
});
