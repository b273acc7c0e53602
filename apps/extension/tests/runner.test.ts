import { createServer, type Server } from 'nice-grpc';
import {
  ExtensionServiceDefinition,
  ProxyKind,
  ProxyModel,
  configChecksum,
  type ExtensionServiceImplementation,
  type SubmitConfigRequest,
} from '@switchyard/proto';
import { runExtension, type RunnerLogger } from '../src/runner.js';

const quiet: RunnerLogger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

/** A minimal core: streams the given models, records submissions, rejects version 2. */
function fakeCore(models: ProxyModel[], submissions: SubmitConfigRequest[], registrations: string[]): ExtensionServiceImplementation {
  return {
    async register(req) {
      registrations.push(`${req.name}/${req.serviceCluster}/${req.proxyKind}`);
      return { extensionId: `id-${registrations.length}` };
    },
    async getModel() {
      return { model: models[0] };
    },
    async *watchModel(_req, ctx) {
      for (const model of models) yield { model };
      await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve()));
    },
    async submitConfig(req) {
      submissions.push(req);
      const ok = req.checksum === configChecksum(req.files) && req.modelVersion !== 2;
      return { accepted: ok, reasons: ok ? [] : ['rejected for the test'], configName: ok ? `cfg-${req.modelVersion}` : '' };
    },
    async getStatus() {
      return { models, deliveries: [], extensions: [], replicas: [] };
    },
    // The proxy agent's calls: not used by an extension.
    async reportProxyConfig() {
      throw new Error('not in this fake');
    },
    // eslint-disable-next-line require-yield
    async *watchProxyConfig() {
      throw new Error('not in this fake');
    },
  };
}

async function start(impl: ExtensionServiceImplementation, port = 0): Promise<{ server: Server; port: number }> {
  const server = createServer();
  server.add(ExtensionServiceDefinition, impl);
  return { server, port: await server.listen(`127.0.0.1:${port}`) };
}

const model = (version: number, host: string): ProxyModel => ({ ...ProxyModel.fromPartial({}), version, hash: `h${version}`, hosts: [{ host, certificate: '', sslOnly: false, routes: [], redirects: [] }] });

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('runExtension against a gRPC core on loopback', () => {
  it('registers, renders each streamed model, submits with a valid checksum, reports outcomes', async () => {
    const submissions: SubmitConfigRequest[] = [];
    const registrations: string[] = [];
    const { server, port } = await start(fakeCore([model(1, 'a.local'), model(2, 'b.local'), model(3, 'c.local')], submissions, registrations));
    const outcomes: { modelVersion: number; accepted: boolean }[] = [];
    const ac = new AbortController();
    const run = runExtension(
      {
        coreAddress: `127.0.0.1:${port}`,
        name: 'test',
        serviceCluster: 'blue',
        proxyKind: ProxyKind.PROXY_KIND_NGINX,
        version: 't',
        render: (m) => ({ files: [{ path: 'out.conf', content: m.hosts.map((h) => h.host).join('\n') }], diagnostics: [] }),
        logger: quiet,
        onSubmitted: (r) => outcomes.push({ modelVersion: r.modelVersion, accepted: r.accepted }),
      },
      ac.signal,
    );
    await until(() => outcomes.length === 3);
    ac.abort();
    await run;
    await server.shutdown();
    expect(registrations).toEqual(['test/blue/PROXY_KIND_NGINX']);
    expect(submissions.map((s) => [s.extensionId, s.modelVersion, s.files[0]?.content])).toEqual([
      ['id-1', 1, 'a.local'],
      ['id-1', 2, 'b.local'],
      ['id-1', 3, 'c.local'],
    ]);
    expect(outcomes).toEqual([
      { modelVersion: 1, accepted: true },
      { modelVersion: 2, accepted: false },
      { modelVersion: 3, accepted: true },
    ]);
  });

  it('retries with backoff while core is away, then registers when it comes up', async () => {
    // Find a free port, then leave it closed for a while.
    const probe = await start(fakeCore([], [], []));
    const port = probe.port;
    await probe.server.shutdown();
    const warnings: string[] = [];
    const logger: RunnerLogger = { ...quiet, warn: (m) => warnings.push(m) };
    const submissions: SubmitConfigRequest[] = [];
    const registrations: string[] = [];
    const ac = new AbortController();
    const run = runExtension(
      {
        coreAddress: `127.0.0.1:${port}`,
        name: 'late',
        serviceCluster: '',
        proxyKind: ProxyKind.PROXY_KIND_HAPROXY,
        version: 't',
        render: () => ({ files: [{ path: 'x', content: 'y' }], diagnostics: [] }),
        logger,
        backoff: { initialMs: 50, maxMs: 200 },
      },
      ac.signal,
    );
    await until(() => warnings.filter((w) => w.includes('retrying')).length >= 2);
    const { server } = await start(fakeCore([model(1, 'x.local')], submissions, registrations), port);
    await until(() => submissions.length === 1);
    ac.abort();
    await run;
    await server.shutdown();
    expect(registrations).toEqual(['late//PROXY_KIND_HAPROXY']);
    expect(submissions[0]?.modelVersion).toBe(1);
  });
});
