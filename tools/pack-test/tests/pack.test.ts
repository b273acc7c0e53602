/**
 * Publishability: `npm pack` each library, install the tarballs into a scratch project (nothing
 * from the workspace is visible there), and use them through their public `exports` only:
 * labels → model → both renderers, plus the proto package's client helper and checksum, and the
 * config parser with its Go durations, and the extension SDK running a built-in renderer.
 * Needs the packages built (`nx run-many -t build`), as `npm test` does first.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(__dirname, '../../..');
const libs = ['proto', 'labels', 'model', 'reconciler', 'render-nginx', 'render-haproxy', 'proxy-agent', 'duration', 'config', 'extension-sdk'];

jest.setTimeout(240_000);

describe('published packages', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'switchyard-pack-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('pack, install into a scratch project, and render through the public API', () => {
    const tarballs = libs.map((lib) => {
      const out = execFileSync('npm', ['pack', '--silent', '--pack-destination', dir], { cwd: join(root, 'packages', lib), encoding: 'utf8' }).trim().split('\n').pop()!;
      return join(dir, out);
    });
    for (const t of tarballs) expect(readdirSync(dir)).toContain(t.slice(dir.length + 1));
    const app = join(dir, 'consumer');
    execFileSync('mkdir', ['-p', app]);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }));
    execFileSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', ...tarballs], { cwd: app, stdio: 'pipe' });
    writeFileSync(
      join(app, 'check.js'),
      `
const { parseServiceLabels } = require('@switchyard/labels');
const { buildModel } = require('@switchyard/model');
const { renderNginx } = require('@switchyard/render-nginx');
const { renderHaproxy } = require('@switchyard/render-haproxy');
const { configChecksum, ProxyModel } = require('@switchyard/proto');
const { connectExtensionClient } = require('@switchyard/proto/client');
const { FakeDockerPort } = require('@switchyard/reconciler/testing');
const { runProxyAgent, nginxDriver, haproxyDriver } = require('@switchyard/proxy-agent');
const { parseCoreConfig } = require('@switchyard/config');
const { durationMs, backoffDelay } = require('@switchyard/duration');
const { runExtension, DEFAULT_EXTENSION_BACKOFF } = require('@switchyard/extension-sdk');
const { RENDERERS } = require('@switchyard/config');
const labels = { 'com.docker.lb.hosts': 'shop.example.com', 'com.docker.lb.port': '8080' };
const parsed = parseServiceLabels('shop', labels);
const snapshot = {
  services: [{ id: 's1', name: 'shop', labels, networkIds: ['n1'], virtualIps: [], createdAtUnixMs: 1 }],
  tasks: [{ id: 't1', serviceId: 's1', nodeId: 'x', slot: 1, state: 'running', desiredState: 'running', attachments: [{ networkId: 'n1', addresses: ['10.0.1.7'] }] }],
  networks: [{ id: 'n1', name: 'shop-net', driver: 'overlay', scope: 'swarm', ingress: false }],
  secrets: [],
};
const model = buildModel(snapshot, { serviceCluster: '' });
const nginx = renderNginx(model);
const haproxy = renderHaproxy(model);
console.log(JSON.stringify({
  spec: parsed.spec && parsed.spec.hosts,
  hosts: model.hosts.map((h) => h.host),
  nginx: nginx.files[0].content.includes('10.0.1.7:8080'),
  haproxy: haproxy.files[0].content.includes('10.0.1.7:8080'),
  checksum: configChecksum(nginx.files).length,
  client: typeof connectExtensionClient,
  json: ProxyModel.fromJSON(ProxyModel.toJSON(model)).hash === model.hash,
  fake: typeof new FakeDockerPort().listServices,
  agent: [typeof runProxyAgent, nginxDriver().mainFile, haproxyDriver().mainFile],
  config: parseCoreConfig('PollInterval = "1m30s"\\n[Extensions.default]\\n').Extensions.map((e) => [e.Name, e.ProxyKind, e.PollIntervalMs]),
  duration: durationMs('1h2m3.5s'),
  backoff: backoffDelay(3, { initialMs: 100, maxMs: 1000 }),
  sdk: [typeof runExtension, DEFAULT_EXTENSION_BACKOFF.jitter],
  renderers: Object.values(RENDERERS).map((r) => [r.kind, r.mainFile, r.render(model, r.parseConfig(undefined).config).files[0].content.includes('10.0.1.7:8080')]),
}));
`,
    );
    // The contract and the libraries built on it load no gRPC code; the client subpath does.
    writeFileSync(
      join(app, 'light.js'),
      `
for (const lib of ['@switchyard/labels', '@switchyard/model', '@switchyard/render-nginx', '@switchyard/render-haproxy', '@switchyard/config']) require(lib);
const grpc = () => Object.keys(require.cache).filter((f) => /[\\/]node_modules[\\/](@grpc|nice-grpc)/.test(f)).length;
const before = grpc();
const { connectExtensionClient } = require('@switchyard/proto/client');
console.log(JSON.stringify({ before, after: grpc() > 0, client: typeof connectExtensionClient }));
`,
    );
    expect(JSON.parse(execFileSync('node', ['light.js'], { cwd: app, encoding: 'utf8' }))).toEqual({ before: 0, after: true, client: 'function' });
    const out = JSON.parse(execFileSync('node', ['check.js'], { cwd: app, encoding: 'utf8' }));
    expect(out).toEqual({ spec: ['shop.example.com'], hosts: ['shop.example.com'], nginx: true, haproxy: true, checksum: 64, client: 'function', json: true, fake: 'function', agent: ['function', 'nginx.conf', 'haproxy.cfg'], config: [['default', 'nginx', 90_000]], duration: 3_723_500, backoff: 400, sdk: ['function', 'decorrelated'], renderers: [['nginx', 'nginx.conf', true], ['haproxy', 'haproxy.cfg', true]] });
    // Each package's tarball carries its README and LICENSE and no test or source-only files; its
    // source maps embed their sources (the sources themselves are not shipped).
    for (const tarball of tarballs) {
      const listing = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' });
      expect([tarball, listing.includes('package/README.md'), listing.includes('package/LICENSE'), listing.includes('package/dist/index.js')]).toEqual([tarball, true, true, true]);
      expect(listing).not.toMatch(/package\/(tests|src)\//);
      const map = JSON.parse(execFileSync('tar', ['-xzOf', tarball, 'package/dist/index.js.map'], { encoding: 'utf8' })) as { sources: string[]; sourcesContent?: string[] };
      expect(map.sourcesContent?.length).toBe(map.sources.length);
      // Published for real: public access, side-effect free, internal dependencies as ranges.
      const manifest = JSON.parse(execFileSync('tar', ['-xzOf', tarball, 'package/package.json'], { encoding: 'utf8' })) as Record<string, unknown>;
      expect(manifest).toMatchObject({ publishConfig: { access: 'public' }, sideEffects: false, license: 'Apache-2.0' });
      for (const [name, range] of Object.entries((manifest.dependencies ?? {}) as Record<string, string>)) {
        if (name.startsWith('@switchyard/')) expect(`${name}@${range}`).toMatch(/@\^\d/);
      }
    }
    // The proto package ships its .proto sources for authors of extensions in other languages.
    expect(execFileSync('tar', ['-tzf', tarballs[0]!], { encoding: 'utf8' })).toContain('package/proto/switchyard/v1/extension.proto');
  });
});
