import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CoreConfigError, DEFAULT_EXTENSION_IMAGE, describeIgnoredKeys, parseCoreConfig, parseDuration } from '../src/index.js';

const FIXTURES = join(__dirname, '..', '..', '..', 'tools', 'fixtures', 'interlock');
const fixture = (name: string) => readFileSync(join(FIXTURES, name), 'utf8');

function errorOf(text: string): CoreConfigError {
  try {
    parseCoreConfig(text);
  } catch (err) {
    if (err instanceof CoreConfigError) return err;
    throw err;
  }
  throw new Error('expected parseCoreConfig to throw');
}

describe("Interlock's documented configurations load unchanged", () => {
  const files = readdirSync(FIXTURES).filter((f) => f.endsWith('.toml')).sort();

  it('has the fixtures', () => {
    expect(files).toEqual(expect.arrayContaining(['default-nginx.toml', 'default-haproxy.toml', 'service-clusters.toml', 'host-mode.toml', 'ingress-mode.toml', 'custom-template.toml', 'production.toml']));
  });

  it.each(files)('%s', (file) => {
    const cfg = parseCoreConfig(fixture(file));
    expect(cfg.Extensions.length).toBeGreaterThan(0);
    for (const i of cfg.IgnoredKeys) expect(i.reason.length).toBeGreaterThan(10);
  });

  it("lists what the nginx default ignores, once each, with the key's full path", () => {
    const cfg = parseCoreConfig(fixture('default-nginx.toml'));
    expect(cfg.IgnoredKeys.map((i) => i.key)).toEqual([
      'Extensions.default.Config.AdminPass',
      'Extensions.default.Config.AdminUser',
      'Extensions.default.Config.Version',
      'Extensions.default.Image',
      'Extensions.default.ProxyImage',
    ]);
    expect(describeIgnoredKeys(cfg.IgnoredKeys)[2]).toMatch(/^Extensions\.default\.Config\.Version: ignored \(Interlock's extension version stamp/);
    const ext = cfg.Extensions[0]!;
    expect(ext).toMatchObject({ Name: 'default', ProxyKind: 'nginx', ServiceName: 'ucp-interlock-extension', PublishMode: 'ingress', PublishedSSLPort: 8443, ProxyStopGracePeriodMs: 5000 });
    expect(ext.Config.MainLogFormat).toContain('\n\t\t    ');
  });

  it('reads the HAProxy default as an HAProxy extension', () => {
    const cfg = parseCoreConfig(fixture('default-haproxy.toml'));
    expect(cfg.Extensions[0]).toMatchObject({ ProxyKind: 'haproxy', ProxyStopSignal: 'SIGUSR1' });
    expect(cfg.IgnoredKeys.map((i) => i.key)).toEqual(['Extensions.haproxy.Config.Version', 'Extensions.haproxy.Image', 'Extensions.haproxy.ProxyConfigPath', 'Extensions.haproxy.ProxyImage']);
    // Switchyard's HAProxy image reads Debian's path, not the one the file gives for haproxy:alpine.
    expect(cfg.Extensions[0]!.ProxyConfigPath).toBe('/etc/haproxy/haproxy.cfg');
  });

  it('two service clusters may publish the same ports in host mode', () => {
    const cfg = parseCoreConfig(fixture('service-clusters.toml'));
    expect(cfg.Extensions.map((e) => [e.Name, e.ServiceCluster, e.PublishMode, e.Networks])).toEqual([
      ['east', 'east', 'host', ['eastnet']],
      ['west', 'west', 'host', ['westnet']],
    ]);
    expect(cfg.IgnoredKeys.map((i) => i.key)).toContain('Extensions.east.ConfigImage');
    expect(cfg.IgnoredKeys.map((i) => i.key)).toContain('Extensions.west.Config.HTTPVersion');
  });

  it("matches keys case-insensitively, as Interlock's Go decoder does", () => {
    const cfg = parseCoreConfig(fixture('host-mode.toml'));
    expect(cfg.IgnoredKeys.map((i) => i.key)).toEqual(['Extensions.default.Image', 'Extensions.default.ProxyImage', 'Extensions.default.ProxyReplicas']);
    expect(parseCoreConfig('pollinterval = "2s"\n[extensions.a]\nproxyreplicas = 3\n')).toMatchObject({ PollIntervalMs: 2000, Extensions: [{ Name: 'a', ProxyReplicas: 3 }] });
  });

  it("replaces Interlock's own images with Switchyard's of the same kind, and says so", () => {
    const nginx = parseCoreConfig(fixture('default-nginx.toml')).Extensions[0]!;
    expect([nginx.Image, nginx.ProxyImage]).toEqual([DEFAULT_EXTENSION_IMAGE, 'switchyard/proxy-nginx:latest']);
    const haproxy = parseCoreConfig(fixture('default-haproxy.toml'));
    expect([haproxy.Extensions[0]!.Image, haproxy.Extensions[0]!.ProxyImage]).toEqual([DEFAULT_EXTENSION_IMAGE, 'switchyard/proxy-haproxy:latest']);
    expect(describeIgnoredKeys(haproxy.IgnoredKeys)).toContain(
      'Extensions.haproxy.ProxyImage: replaced by switchyard/proxy-haproxy:latest ("haproxy:alpine" has no Switchyard proxy agent (in-place updates); Switchyard\'s image is stock haproxy plus the agent)',
    );
    for (const image of ['docker.io/library/nginx:1.25', 'nginx', 'interlockpreview/interlock-proxy-nginx:2.0.0-preview', 'docker/ucp-interlock-proxy@sha256:ab']) {
      expect(parseCoreConfig(`[Extensions.a]\nProxyImage = "${image}"\n`).Extensions[0]!.ProxyImage).toBe('switchyard/proxy-nginx:latest');
    }
    // Interlock's extension flags go with its image.
    const flagged = parseCoreConfig('[Extensions.a]\nImage = "docker/ucp-interlock-extension:3.2.3"\nArgs = ["-D"]\n');
    expect([flagged.Extensions[0]!.Args, flagged.IgnoredKeys.map((i) => i.key)]).toEqual([[], ['Extensions.a.Args', 'Extensions.a.Image']]);
    // Anything else is the operator's own image, used as given.
    for (const image of ['registry.example/team/nginx-custom:1', 'myorg/interlock-proxy-fork-x/y:1', 'switchyard/proxy-nginx:dev']) {
      const cfg = parseCoreConfig(`[Extensions.a]\nImage = "${image}"\nProxyImage = "${image}"\n`);
      expect([cfg.Extensions[0]!.Image, cfg.Extensions[0]!.ProxyImage, cfg.IgnoredKeys]).toEqual([image, image, []]);
    }
  });

  it("keeps AllowInsecure to Interlock's meaning (the Docker API's TLS): it never opens core's control plane", () => {
    const local = parseCoreConfig('AllowInsecure = true\n');
    expect([local.AllowInsecure, local.InsecureControlPlane]).toEqual([true, false]);
    expect(describeIgnoredKeys(local.IgnoredKeys)).toEqual([expect.stringMatching(/^AllowInsecure: ignored \(.*DockerURL is not TLS here.*InsecureControlPlane\)\)$/)]);
    const remote = parseCoreConfig('AllowInsecure = true\nDockerURL = "tcp://manager:2376"\nTLSCert = "/certs/cert.pem"\nTLSKey = "/certs/key.pem"\n');
    expect(remote.IgnoredKeys).toEqual([]);
    expect(parseCoreConfig('InsecureControlPlane = true\n')).toMatchObject({ AllowInsecure: false, InsecureControlPlane: true, IgnoredKeys: [] });
  });

  it("keeps ProxyConfigPath with the operator's own image, and reports ProxyArgs that in-place updates do not use", () => {
    const own = parseCoreConfig('[Extensions.a]\nProxyImage = "registry.example/haproxy-custom:1"\nProxyKind = "haproxy"\nProxyConfigPath = "/usr/local/etc/haproxy/haproxy.cfg"\n');
    expect([own.Extensions[0]!.ProxyConfigPath, own.IgnoredKeys]).toEqual(['/usr/local/etc/haproxy/haproxy.cfg', []]);
    const args = '[Extensions.a]\nProxyArgs = ["-g", "daemon off;"]\n';
    expect(describeIgnoredKeys(parseCoreConfig(args).IgnoredKeys)).toEqual([expect.stringMatching(/^Extensions\.a\.ProxyArgs: ignored \(with HitlessServiceUpdate/)]);
    expect(parseCoreConfig(`${args}HitlessServiceUpdate = false\n`).IgnoredKeys).toEqual([]);
  });

  it('counts proxies with ProxyReplicas in ingress mode and rolling mode: host mode with in-place updates runs one per eligible node', () => {
    const host = parseCoreConfig('[Extensions.a]\nPublishMode = "host"\nProxyReplicas = 3\n');
    expect(describeIgnoredKeys(host.IgnoredKeys)).toEqual([expect.stringMatching(/^Extensions\.a\.ProxyReplicas: ignored \(with PublishMode = "host" and in-place updates one proxy runs on every node ProxyConstraints select/)]);
    expect(parseCoreConfig('[Extensions.a]\nPublishMode = "ingress"\nProxyReplicas = 3\n').IgnoredKeys).toEqual([]);
    // Rolling updates keep Interlock's replicas in host mode too.
    expect(parseCoreConfig('[Extensions.a]\nPublishMode = "host"\nHitlessServiceUpdate = false\nProxyReplicas = 3\n').IgnoredKeys).toEqual([]);
    expect(parseCoreConfig('[Extensions.a]\nProxyReplicas = 0\n').IgnoredKeys).toEqual([]);
    expect(parseCoreConfig('[Extensions.a]\n').IgnoredKeys).toEqual([]);
  });

  it('reports custom templates and the config service as ignored', () => {
    expect(parseCoreConfig(fixture('custom-template.toml')).IgnoredKeys.map((i) => i.key)).toEqual([
      'Extensions.default.Image',
      'Extensions.default.ProxyImage',
      'Extensions.default.Template',
      'Extensions.default.TemplatePath',
    ]);
    const cfg = parseCoreConfig(fixture('production.toml'));
    expect(cfg.IgnoredKeys.map((i) => i.key)).toEqual(['EndpointOverride', 'Extensions.default.ConfigImage', 'Extensions.default.ConfigServiceName', 'Extensions.default.Image', 'Extensions.default.ProxyImage', 'Extensions.default.ProxyReplicas']);
    expect(cfg.PollIntervalMs).toBe(90_000);
    expect(cfg.Extensions[0]).toMatchObject({ ProxyStopGracePeriodMs: 10_000, ProxyUpdateDelayMs: 30_000, HitlessServiceUpdate: true });
  });
});

describe('parseCoreConfig', () => {
  it('fills defaults', () => {
    const cfg = parseCoreConfig('[Extensions.default]\n');
    expect(cfg).toMatchObject({ ListenAddr: ':8080', MetricsAddr: ':8081', PollIntervalMs: 3000, AllowInsecure: false, InsecureControlPlane: false, SecretPolicy: 'labelled', IgnoredKeys: [] });
    expect(cfg.Extensions[0]).toMatchObject({ ProxyKind: 'nginx', ProxyReplicas: 2, ProxyStopGracePeriodMs: 5000, ProxyUpdateDelayMs: 1000, PublishMode: 'host', HitlessServiceUpdate: true });
  });

  it.each([
    ['PollInterval = "1m30s"', 90_000],
    ['PollInterval = "500ms"', 500],
    ['PollInterval = "2h"', 7_200_000],
    ['PollInterval = "1.5s"', 1500],
  ])('takes Go durations: %s', (line, ms) => {
    expect(parseCoreConfig(line).PollIntervalMs).toBe(ms);
  });

  it('takes Go durations for ProxyStopGracePeriod and ProxyUpdateDelay', () => {
    const ext = parseCoreConfig('[Extensions.a]\nProxyStopGracePeriod = "1m30s"\nProxyUpdateDelay = "500ms"\n').Extensions[0]!;
    expect([ext.ProxyStopGracePeriodMs, ext.ProxyUpdateDelayMs]).toEqual([90_000, 500]);
  });

  it('names every bad key: values, unknown keys (typos), durations, proxy Config', () => {
    const msg = errorOf(
      'PollInterval = "soon"\nBogus = 1\n[Extensions.a]\nProxyReplicas = "two"\nPublishedPort = 70000\nProxyUpdateDelay = "1d"\nProxyImag = "x"\n[Extensions.b]\nServiceCluster = "b"\nPublishedPort = 81\nPublishedSSLPort = 444\n[Extensions.b.Config]\nMaxConnections = 1\n',
    ).message;
    for (const key of ['PollInterval', 'Bogus: unknown key', 'Extensions.a.ProxyReplicas', 'Extensions.a.PublishedPort', 'Extensions.a.ProxyUpdateDelay', 'Extensions.a.ProxyImag: unknown key']) {
      expect(msg).toContain(key);
    }
    expect(errorOf('PollInterval = "0s"').message).toContain('PollInterval');
    expect(errorOf('[Extensions.b]\n[Extensions.b.Config]\nMaxConnections = 1\n').message).toMatch(/Extensions\.b\.Config: .*MaxConnections/);
    expect(errorOf('[Extensions.h]\nProxyKind = "haproxy"\n[Extensions.h.Config]\nSSLProtocols = "SSLv3"\n').message).toMatch(/Extensions\.h\.Config: .*SSLProtocols/);
  });

  it('refuses invalid TOML and clashing clusters, service names or ingress ports', () => {
    expect(() => parseCoreConfig('ListenAddr = ')).toThrow(/not valid TOML/);
    expect(() => parseCoreConfig('[Extensions.a]\n[Extensions.b]\nPublishedPort = 81\nPublishedSSLPort = 444\n')).toThrow(/cluster "" is already served by extension a/);
    expect(() => parseCoreConfig('[Extensions.a]\nPublishMode = "ingress"\n[Extensions.b]\nServiceCluster = "b"\n')).toThrow(/published port 80 is already used by extension a/);
    expect(() => parseCoreConfig('[Extensions.a]\nPublishedSSLPort = 80\n')).toThrow(/published port 80 is already used by this extension/);
    expect(() => parseCoreConfig('[Extensions.a]\nServiceName = "x"\n[Extensions.b]\nServiceCluster = "b"\nServiceName = "x"\n')).toThrow(/service name x is already used by extension a/);
  });

  it('re-exports the duration parser', () => {
    expect(parseDuration('1m30s')).toBe(90_000);
  });
});

describe('a third-party proxy kind', () => {
  const section = (extra: string) => `[Extensions.edge]
ProxyKind = "caddy"
Image = "example/caddy-extension:1"
ProxyImage = "example/proxy-caddy:1"
ProxyConfigPath = "/etc/caddy/caddy.json"
${extra}`;
  const hitless = section(`ProxyArgs = ["caddy", "run", "--config", "/etc/caddy/caddy.json"]
ProxyCheckCommand = ["caddy", "validate", "--config", "/etc/caddy/caddy.json"]
ProxyReloadCommand = ["caddy", "reload", "--config", "/etc/caddy/caddy.json", "--force"]
`);

  it('takes its images, path and commands as given, with SIGTERM as the default stop signal', () => {
    const cfg = parseCoreConfig(hitless);
    expect(cfg.Extensions[0]).toMatchObject({
      Name: 'edge',
      ProxyKind: 'caddy',
      Image: 'example/caddy-extension:1',
      ProxyImage: 'example/proxy-caddy:1',
      ProxyConfigPath: '/etc/caddy/caddy.json',
      ProxyArgs: ['caddy', 'run', '--config', '/etc/caddy/caddy.json'],
      ProxyCheckCommand: ['caddy', 'validate', '--config', '/etc/caddy/caddy.json'],
      ProxyReloadCommand: ['caddy', 'reload', '--config', '/etc/caddy/caddy.json', '--force'],
      ProxyStopSignal: 'SIGTERM',
      HitlessServiceUpdate: true,
    });
    expect(cfg.IgnoredKeys).toEqual([]);
  });

  it('names everything a third-party section is missing', () => {
    expect(errorOf('[Extensions.edge]\nProxyKind = "caddy"\n').message.split('\n').slice(1).map((l) => l.trim())).toEqual([
      `Extensions.edge.Image: ${DEFAULT_EXTENSION_IMAGE} renders only nginx and haproxy; a caddy proxy needs the image of an extension that renders for it`,
      'Extensions.edge.ProxyImage: required for proxy kind "caddy" (there is no default image)',
      'Extensions.edge.ProxyConfigPath: required for proxy kind "caddy" (where the proxy reads its configuration)',
      'Extensions.edge.ProxyArgs: required for proxy kind "caddy" with HitlessServiceUpdate (the command the proxy agent runs the proxy with)',
      'Extensions.edge: set one of ProxyReloadCommand and ProxyReloadSignal for proxy kind "caddy" with HitlessServiceUpdate (how the proxy reloads in place)',
    ]);
    expect(errorOf(section('ProxyArgs = ["caddy", "run"]\nProxyReloadSignal = "SIGUSR1"\nProxyReloadCommand = ["caddy", "reload"]\n')).message).toContain(
      'Extensions.edge.ProxyArgs: must name ProxyConfigPath (/etc/caddy/caddy.json); the proxy agent runs the proxy on its live copy of that file',
    );
    expect(errorOf(section('ProxyArgs = ["caddy", "run", "--config", "/etc/caddy/caddy.json"]\nProxyReloadSignal = "SIGUSR1"\nProxyReloadCommand = ["caddy", "reload"]\n')).message).toContain('set one of ProxyReloadCommand and ProxyReloadSignal');
    expect(errorOf(section('ProxyReloadCommand = []\n')).message).toContain('Extensions.edge.ProxyReloadCommand: expected a command');
    expect(errorOf(section('ProxyReloadSignal = "HUP"\n')).message).toContain('Extensions.edge.ProxyReloadSignal: expected a signal name');
    expect(errorOf('[Extensions.edge]\nProxyKind = "Caddy 2"\n').message).toContain('Extensions.edge.ProxyKind: expected "nginx", "haproxy" or another lower-case kind name');
  });

  it('needs no run or reload command with rolling updates (the image runs the proxy, Swarm replaces it)', () => {
    expect(parseCoreConfig(section('HitlessServiceUpdate = false\n')).Extensions[0]).toMatchObject({ ProxyKind: 'caddy', ProxyArgs: [], HitlessServiceUpdate: false });
  });

  it('reports the third-party keys as ignored on the built-in kinds', () => {
    const cfg = parseCoreConfig('[Extensions.default]\nProxyReloadSignal = "SIGHUP"\nProxyCheckCommand = ["true"]\n');
    expect(cfg.IgnoredKeys.map((i) => i.key)).toEqual(['Extensions.default.ProxyCheckCommand', 'Extensions.default.ProxyReloadSignal']);
    expect(cfg.IgnoredKeys[0]?.reason).toMatch(/nginx proxy's check and reload are built in/);
  });
});
