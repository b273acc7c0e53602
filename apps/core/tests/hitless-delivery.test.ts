import { noopLogger } from '@switchyard/reconciler';
import { FakeDockerPort } from '@switchyard/reconciler/testing';
import { ProxyModel, configChecksum } from '@switchyard/proto';
import { parseCoreConfig } from '../src/config.js';
import { DockerConfigDelivery } from '../src/delivery.js';
import { ProxyConfigHub } from '../src/proxy-hub.js';
import { PROXY_SERVICE } from '../src/specs.js';

const config = parseCoreConfig(`CoreAddress = "core:8080"\n[Extensions.default]\nProxyReplicas = 1\n[Extensions.legacy]\nHitlessServiceUpdate = false\nServiceCluster = "old"\nPublishedPort = 8080\nPublishedSSLPort = 8443\n`);
const ext = config.Extensions.find((e) => e.Name === 'default')!;
const legacy = config.Extensions.find((e) => e.Name === 'legacy')!;

function model(partial: Partial<ProxyModel> = {}): ProxyModel {
  return { ...ProxyModel.fromPartial({}), version: 1, ...partial };
}

function setup() {
  const docker = new FakeDockerPort();
  const coreNet = docker.addNetwork({ Name: 'switchyard', Driver: 'overlay', Scope: 'swarm' });
  const appNet = docker.addNetwork({ Name: 'app-net', Driver: 'overlay', Scope: 'swarm' });
  const hub = new ProxyConfigHub();
  const delivery = new DockerConfigDelivery(docker, noopLogger, 'switchyard', { hub, coreAddress: 'core:8080' });
  return { docker, coreNet, appNet, hub, delivery };
}

type Spec = { TaskTemplate: { ContainerSpec: { Env?: string[]; Configs: { ConfigName: string }[] }; Networks: { Target: string }[] } };
const specOf = (docker: FakeDockerPort, name: string) => docker.services.find((s) => s.Spec?.Name === name)?.Spec as Spec | undefined;

describe('DockerConfigDelivery, hitless mode', () => {
  it('is the default for Switchyard configs; HitlessServiceUpdate = false keeps rolling updates', () => {
    expect(ext.HitlessServiceUpdate).toBe(true);
    expect(legacy.HitlessServiceUpdate).toBe(false);
  });

  it('first delivery creates the proxy with the agent settings, on the core network, and publishes the bundle', async () => {
    const { docker, coreNet, hub, delivery } = setup();
    const files = [{ path: 'nginx.conf', content: 'events {}\n' }];
    const res = await delivery.deliver({ extension: ext, model: model(), files });
    expect(res).toMatchObject({ changed: true, mode: 'hitless' });
    const spec = specOf(docker, ext.ProxyServiceName)!;
    expect(spec.TaskTemplate.ContainerSpec.Env).toEqual(
      expect.arrayContaining(['SWITCHYARD_CORE_ADDRESS=core:8080', `SWITCHYARD_PROXY_SERVICE=${ext.ProxyServiceName}`, 'SWITCHYARD_PROXY_KIND=nginx', 'SWITCHYARD_TASK_ID={{.Task.ID}}']),
    );
    expect(spec.TaskTemplate.Networks.map((n) => n.Target)).toContain(coreNet);
    expect(hub.current(ext.ProxyServiceName)).toMatchObject({ modelVersion: 1, checksum: configChecksum(files), files });
  });

  it("a third-party proxy kind gets its files at ProxyConfigPath and the agent gets its run, check, reload and stop", async () => {
    const caddy = parseCoreConfig(`CoreAddress = "core:8080"
[Extensions.edge]
ProxyKind = "caddy"
Image = "example/caddy-extension"
ProxyImage = "example/proxy-caddy"
ProxyConfigPath = "/etc/caddy/caddy.json"
ProxyArgs = ["caddy", "run", "--config", "/etc/caddy/caddy.json"]
ProxyCheckCommand = ["caddy", "validate", "--config", "/etc/caddy/caddy.json"]
ProxyReloadCommand = ["caddy", "reload", "--config", "/etc/caddy/caddy.json"]
`).Extensions[0]!;
    const { docker, hub, delivery } = setup();
    const files = [{ path: 'caddy.json', content: '{"apps":{}}' }];
    expect(await delivery.deliver({ extension: caddy, model: model(), files })).toMatchObject({ changed: true, mode: 'hitless' });
    const spec = docker.services.find((s) => s.Spec?.Name === caddy.ProxyServiceName)?.Spec as {
      TaskTemplate: { ContainerSpec: { Image: string; Args?: string[]; Env?: string[]; Configs: { File: { Name: string } }[] } };
    };
    expect(spec.TaskTemplate.ContainerSpec.Image).toBe('example/proxy-caddy');
    expect(spec.TaskTemplate.ContainerSpec.Args).toEqual(['caddy', 'run', '--config', '/etc/caddy/caddy.json']);
    expect(spec.TaskTemplate.ContainerSpec.Configs.map((c) => c.File.Name)).toEqual(['/etc/caddy/caddy.json']);
    expect(spec.TaskTemplate.ContainerSpec.Env).toEqual(
      expect.arrayContaining([
        'SWITCHYARD_PROXY_KIND=caddy',
        'SWITCHYARD_BOOT_CONFIG=/etc/caddy/caddy.json',
        'SWITCHYARD_PROXY_START=["caddy","run","--config","/etc/caddy/caddy.json"]',
        'SWITCHYARD_PROXY_CHECK=["caddy","validate","--config","/etc/caddy/caddy.json"]',
        'SWITCHYARD_PROXY_RELOAD=["caddy","reload","--config","/etc/caddy/caddy.json"]',
        'SWITCHYARD_PROXY_STOP_SIGNAL=SIGTERM',
      ]),
    );
    expect(hub.current(caddy.ProxyServiceName)).toMatchObject({ modelVersion: 1, files });
  });

  it('a content-only change stores a new config and publishes it, but leaves the service spec alone', async () => {
    const { docker, hub, delivery } = setup();
    const first = await delivery.deliver({ extension: ext, model: model(), files: [{ path: 'nginx.conf', content: 'a' }] });
    docker.resetCalls();
    const second = await delivery.deliver({ extension: ext, model: model({ version: 2 }), files: [{ path: 'nginx.conf', content: 'b' }] });
    expect(second).toMatchObject({ changed: false, mode: 'hitless' });
    expect(docker.callCount('updateService')).toBe(0);
    expect(docker.callCount('createConfig')).toBe(1);
    expect(hub.current(ext.ProxyServiceName)).toMatchObject({ modelVersion: 2, files: [{ path: 'nginx.conf', content: 'b' }] });
    // The spec still mounts the boot config; the new one is kept (pinned) for the agents, not collected.
    expect(specOf(docker, ext.ProxyServiceName)!.TaskTemplate.ContainerSpec.Configs.map((c) => c.ConfigName)).toEqual(first.configNames);
    const names = docker.configs.filter((c) => c.Spec?.Labels?.[PROXY_SERVICE] === ext.ProxyServiceName).map((c) => c.Spec?.Name);
    expect(names.sort()).toEqual([...first.configNames, ...second.configNames].sort());
  });

  it('a render that fell behind is published with the version it was rendered from, not the current one', async () => {
    const { hub, delivery } = setup();
    await delivery.deliver({ extension: ext, model: model({ version: 7 }), files: [{ path: 'nginx.conf', content: 'from v5' }], modelVersion: 5 });
    expect(hub.current(ext.ProxyServiceName)).toMatchObject({ modelVersion: 5, files: [{ path: 'nginx.conf', content: 'from v5' }] });
  });

  it('configs neither booted from nor current are collected', async () => {
    const { docker, delivery } = setup();
    const a = await delivery.deliver({ extension: ext, model: model(), files: [{ path: 'nginx.conf', content: 'a' }] });
    await delivery.deliver({ extension: ext, model: model({ version: 2 }), files: [{ path: 'nginx.conf', content: 'b' }] });
    const c = await delivery.deliver({ extension: ext, model: model({ version: 3 }), files: [{ path: 'nginx.conf', content: 'c' }] });
    const names = docker.configs.filter((x) => x.Spec?.Labels?.[PROXY_SERVICE] === ext.ProxyServiceName).map((x) => x.Spec?.Name);
    expect(names.sort()).toEqual([...a.configNames, ...c.configNames].sort());
  });

  it('a new network still updates the spec, and then mounts the current config so new tasks boot from it', async () => {
    const { docker, appNet, delivery } = setup();
    await delivery.deliver({ extension: ext, model: model(), files: [{ path: 'nginx.conf', content: 'a' }] });
    const res = await delivery.deliver({ extension: ext, model: model({ version: 2, networks: [{ id: appNet, name: 'app-net' }] }), files: [{ path: 'nginx.conf', content: 'b' }] });
    expect(res.changed).toBe(true);
    const spec = specOf(docker, ext.ProxyServiceName)!;
    expect(spec.TaskTemplate.Networks.map((n) => n.Target)).toContain(appNet);
    expect(spec.TaskTemplate.ContainerSpec.Configs.map((c) => c.ConfigName)).toEqual(res.configNames);
  });

  it('HitlessServiceUpdate = false: every change rolls the spec, no agent settings, nothing published', async () => {
    const { docker, hub, delivery } = setup();
    await delivery.deliver({ extension: legacy, model: model(), files: [{ path: 'nginx.conf', content: 'a' }] });
    const res = await delivery.deliver({ extension: legacy, model: model({ version: 2 }), files: [{ path: 'nginx.conf', content: 'b' }] });
    expect(res).toMatchObject({ changed: true, mode: 'rolling' });
    expect(specOf(docker, legacy.ProxyServiceName)!.TaskTemplate.ContainerSpec.Env).toBeUndefined();
    expect(hub.current(legacy.ProxyServiceName)).toBeUndefined();
  });

  it('a missing certificate secret is refused before anything is published', async () => {
    const { hub, delivery } = setup();
    const m = model({ certificates: [{ name: 'c', certSecret: 'nope.crt', keySecret: 'nope.key', certFile: 'c.crt', keyFile: 'c.key' }] as ProxyModel['certificates'] });
    await expect(delivery.deliver({ extension: ext, model: m, files: [{ path: 'nginx.conf', content: 'a' }] })).rejects.toMatchObject({ code: 'missing-secret' });
    expect(hub.current(ext.ProxyServiceName)).toBeUndefined();
  });
});
