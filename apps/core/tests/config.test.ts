import { FakeDockerPort } from '@switchyard/reconciler/testing';
import { CoreConfigError, parseCoreConfig, parseDuration, readConfigObject } from '../src/config.js';

describe('parseCoreConfig', () => {
  it('reads an Interlock-style config and fills defaults', () => {
    const cfg = parseCoreConfig(`
ListenAddr = ":8080"
DockerURL = "unix:///var/run/docker.sock"
PollInterval = "3s"

[Extensions.default]
Image = "switchyard/extension:latest"
ProxyImage = "switchyard/proxy-nginx:latest"
ProxyReplicas = 1
PublishedPort = 8080
PublishedSSLPort = 8443
  [Extensions.default.Config]
  MaxConnections = 2048
  [Extensions.default.Labels]
  team = "edge"
`);
    expect(cfg.PollIntervalMs).toBe(3000);
    expect(cfg.MetricsAddr).toBe(':8081');
    expect(cfg.Extensions).toHaveLength(1);
    const ext = cfg.Extensions[0]!;
    expect(ext).toMatchObject({
      Name: 'default',
      ProxyKind: 'nginx',
      ServiceName: 'switchyard-default-extension',
      ProxyServiceName: 'switchyard-default-proxy',
      ProxyConfigPath: '/etc/nginx/nginx.conf',
      ProxyReplicas: 1,
      ProxyStopSignal: 'SIGQUIT',
      ProxyStopGracePeriodMs: 5000,
      PublishMode: 'host',
      PublishedPort: 8080,
      TargetPort: 80,
      PublishedSSLPort: 8443,
      TargetSSLPort: 443,
      ServiceCluster: '',
      Labels: { team: 'edge' },
      Config: { MaxConnections: 2048 },
    });
  });

  it('infers HAProxy from the images and uses its config path', () => {
    const cfg = parseCoreConfig(`[Extensions.hap]\nProxyImage = "switchyard/proxy-haproxy:latest"\n`);
    expect(cfg.Extensions[0]).toMatchObject({ ProxyKind: 'haproxy', ProxyConfigPath: '/etc/haproxy/haproxy.cfg', ProxyStopSignal: 'SIGUSR1' });
  });

  it('accepts and ignores Interlock-only keys, and an explicit stop signal wins', () => {
    const cfg = parseCoreConfig(`[Extensions.a]\nConfigImage = "docker/ucp-interlock-config:3.0.1"\nConfigServiceName = "ucp-interlock-config"\nProxyStopSignal = "SIGTERM"\n`);
    expect(cfg.Extensions[0]).toMatchObject({ ProxyStopSignal: 'SIGTERM' });
  });

  it('names every bad key', () => {
    let err: unknown;
    try {
      parseCoreConfig(`PollInterval = "soon"\nBogus = 1\n[Extensions.a]\nProxyReplicas = "two"\nPublishedPort = 70000\n`);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CoreConfigError);
    const msg = (err as Error).message;
    expect(msg).toContain('PollInterval');
    expect(msg).toContain('Bogus');
    expect(msg).toContain('Extensions.a.ProxyReplicas');
    expect(msg).toContain('Extensions.a.PublishedPort');
  });

  it('rejects invalid TOML and clashing clusters or ports', () => {
    expect(() => parseCoreConfig('ListenAddr = ')).toThrow(/not valid TOML/);
    expect(() => parseCoreConfig(`[Extensions.a]\n[Extensions.b]\nPublishedPort = 81\nPublishedSSLPort = 444\n`)).toThrow(/cluster "" is already served by extension a/);
    expect(() => parseCoreConfig(`[Extensions.a]\nPublishMode = "ingress"\n[Extensions.b]\nServiceCluster = "b"\n`)).toThrow(/published port 80 is already used by extension a/);
  });

  it("checks each Config table with its proxy's parser and lists the keys it ignores", () => {
    expect(() => parseCoreConfig(`[Extensions.a]\n[Extensions.a.Config]\nMaxConnections = -1\n`)).toThrow(/Extensions\.a\.Config: .*MaxConnections/);
    const cfg = parseCoreConfig(`[Extensions.a]\n[Extensions.a.Config]\nVersion = ""\n`);
    expect(cfg.IgnoredKeys).toEqual([{ key: 'Extensions.a.Config.Version', reason: expect.any(String) }]);
  });
});

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['3s', 3000],
    ['1.5s', 1500],
    ['2m', 120000],
    ['1h', 3600000],
  ])('%s = %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));
  it('rejects junk', () => expect(() => parseDuration('3 seconds')).toThrow(/not a duration/));
});

describe('readConfigObject', () => {
  it('reads the TOML from a Docker Config with exactly that name', async () => {
    const docker = new FakeDockerPort();
    await docker.createConfig({ Name: 'switchyard.toml-v2', Data: Buffer.from('PollInterval = "9s"').toString('base64') });
    await docker.createConfig({ Name: 'switchyard.toml', Data: Buffer.from('PollInterval = "5s"').toString('base64') });
    const text = await readConfigObject(docker, 'switchyard.toml');
    expect(parseCoreConfig(text).PollIntervalMs).toBe(5000);
    await expect(readConfigObject(docker, 'missing')).rejects.toThrow(/Docker Config "missing" not found/);
  });
});
