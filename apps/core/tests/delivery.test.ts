import { noopLogger, type Logger } from '@switchyard/reconciler';
import { FakeDockerPort } from '@switchyard/reconciler/testing';
import { ProxyModel } from '@switchyard/proto';
import { parseCoreConfig } from '../src/config.js';
import { DeliveryError, DockerConfigDelivery, MAX_CONFIG_BYTES } from '../src/delivery.js';
import { PROXY_SERVICE } from '../src/specs.js';

const ext = parseCoreConfig(`[Extensions.default]\nProxyReplicas = 1\nProxyUpdateDelay = "2s"\n`).Extensions[0]!;

function model(partial: Partial<ProxyModel> = {}): ProxyModel {
  return { ...ProxyModel.fromPartial({}), version: 1, ...partial };
}

function setup(logger: Logger = noopLogger) {
  const docker = new FakeDockerPort();
  const netId = docker.addNetwork({ Name: 'app-net', Driver: 'overlay', Scope: 'swarm' });
  const delivery = new DockerConfigDelivery(docker, logger, 'switchyard');
  return { docker, netId, delivery };
}

/** A logger keeping `level message` lines. */
function lineLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const at = (level: string) => (message: string) => void lines.push(`${level} ${message}`);
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

function proxySpec(docker: FakeDockerPort) {
  const svc = docker.services.find((s) => s.Spec?.Name === ext.ProxyServiceName);
  return svc?.Spec as { TaskTemplate: { ContainerSpec: { Configs: { ConfigName: string; File: { Name: string } }[]; Secrets: { SecretName: string; File: { Name: string } }[]; StopSignal: string }; Networks: { Target: string }[] }; UpdateConfig: { FailureAction: string; Order: string; Delay: number }; EndpointSpec: { Ports: { PublishedPort: number; PublishMode: string }[] } } | undefined;
}

describe('DockerConfigDelivery', () => {
  it('creates a content-addressed config and the proxy service on first delivery', async () => {
    const { docker, netId, delivery } = setup();
    const res = await delivery.deliver({ extension: ext, model: model({ networks: [{ id: netId, name: 'app-net' }] }), files: [{ path: 'nginx.conf', content: 'events {}\n' }] });
    expect(res.changed).toBe(true);
    expect(res.configNames).toHaveLength(1);
    expect(res.configNames[0]).toMatch(/^switchyard-default-proxy-[0-9a-f]{16}$/);
    const spec = proxySpec(docker)!;
    expect(spec.TaskTemplate.ContainerSpec.Configs).toEqual([expect.objectContaining({ ConfigName: res.configNames[0], File: expect.objectContaining({ Name: '/etc/nginx/nginx.conf' }) })]);
    expect(spec.TaskTemplate.Networks).toEqual([{ Target: netId }]);
    expect(spec.TaskTemplate.ContainerSpec.StopSignal).toBe('SIGQUIT');
    expect(spec.UpdateConfig).toMatchObject({ FailureAction: 'rollback', Order: 'stop-first', Delay: 2_000_000_000 });
    expect(spec.EndpointSpec.Ports.map((p) => [p.PublishedPort, p.PublishMode])).toEqual([
      [80, 'host'],
      [443, 'host'],
    ]);
  });

  it('runs a host-mode proxy on every eligible node (global) and an ingress-mode or rolling one as ProxyReplicas replicas', async () => {
    const { docker, delivery } = setup();
    await delivery.deliver({ extension: ext, model: model(), files: [{ path: 'nginx.conf', content: 'a' }] });
    const mode = () => (docker.services.find((s) => s.Spec?.Name === ext.ProxyServiceName)?.Spec as { Mode?: unknown } | undefined)?.Mode;
    expect(mode()).toEqual({ Global: {} });
    const ingress = parseCoreConfig(`[Extensions.default]\nPublishMode = "ingress"\nProxyReplicas = 3\n`).Extensions[0]!;
    const second = setup();
    await second.delivery.deliver({ extension: ingress, model: model(), files: [{ path: 'nginx.conf', content: 'a' }] });
    expect((second.docker.services.find((s) => s.Spec?.Name === ingress.ProxyServiceName)?.Spec as { Mode?: unknown }).Mode).toEqual({ Replicated: { Replicas: 3 } });
    // Rolling updates (Interlock's) keep ProxyReplicas replicas with host-mode ports as well.
    const rolling = parseCoreConfig(`[Extensions.default]\nHitlessServiceUpdate = false\nProxyReplicas = 2\n`).Extensions[0]!;
    const third = setup();
    await third.delivery.deliver({ extension: rolling, model: model(), files: [{ path: 'nginx.conf', content: 'a' }] });
    expect((third.docker.services.find((s) => s.Spec?.Name === rolling.ProxyServiceName)?.Spec as { Mode?: unknown }).Mode).toEqual({ Replicated: { Replicas: 2 } });
  });

  it('replaces a proxy service whose mode must change (Swarm cannot change it in place)', async () => {
    const { docker, delivery } = setup();
    // A proxy deployed by an earlier version: replicated, with host-mode ports.
    const old = parseCoreConfig(`[Extensions.default]\nPublishMode = "ingress"\nProxyReplicas = 1\n`).Extensions[0]!;
    await delivery.deliver({ extension: old, model: model(), files: [{ path: 'nginx.conf', content: 'a' }] });
    const before = docker.services.find((s) => s.Spec?.Name === ext.ProxyServiceName)!.ID;
    docker.resetCalls();
    const res = await delivery.deliver({ extension: ext, model: model({ version: 2 }), files: [{ path: 'nginx.conf', content: 'a' }] });
    expect(res.changed).toBe(true);
    expect([docker.callCount('removeService'), docker.callCount('createService'), docker.callCount('updateService')]).toEqual([1, 1, 0]);
    const after = docker.services.find((s) => s.Spec?.Name === ext.ProxyServiceName)!;
    expect(after.ID).not.toBe(before);
    expect((after.Spec as { Mode?: unknown }).Mode).toEqual({ Global: {} });
  });

  it("never changes a service of the same name that it did not deploy (e.g. Interlock's proxy still running)", async () => {
    const { docker, delivery } = setup();
    await docker.createService({ Name: ext.ProxyServiceName, Labels: { 'com.docker.ucp.InstanceID': 'x' }, TaskTemplate: { ContainerSpec: { Image: 'docker/ucp-interlock-proxy:3.2.3' } } });
    const before = JSON.stringify(proxySpec(docker));
    docker.resetCalls();
    const err = await delivery.deliver({ extension: ext, model: model(), files: [{ path: 'nginx.conf', content: 'events {}\n' }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeliveryError);
    expect(err).toMatchObject({ code: 'foreign-service', message: expect.stringMatching(/^service switchyard-default-proxy exists but was not deployed by this Switchyard core .*another ProxyServiceName/) });
    expect(docker.callCount('updateService')).toBe(0);
    expect(JSON.stringify(proxySpec(docker))).toBe(before);
  });

  it('does nothing when the same content is delivered again', async () => {
    const { docker, delivery } = setup();
    const req = { extension: ext, model: model(), files: [{ path: 'nginx.conf', content: 'events {}\n' }] };
    await delivery.deliver(req);
    docker.resetCalls();
    const again = await delivery.deliver({ ...req, model: model({ version: 2 }) });
    expect(again.changed).toBe(false);
    expect(docker.callCount('createConfig')).toBe(0);
    expect(docker.callCount('updateService')).toBe(0);
  });

  it('rotates the config on change and garbage-collects configs no spec references', async () => {
    const { docker, delivery } = setup();
    const a = await delivery.deliver({ extension: ext, model: model(), files: [{ path: 'nginx.conf', content: 'a' }] });
    const b = await delivery.deliver({ extension: ext, model: model({ version: 2 }), files: [{ path: 'nginx.conf', content: 'b' }] });
    expect(b.changed).toBe(true);
    const names = () => docker.configs.filter((c) => c.Spec?.Labels?.[PROXY_SERVICE] === ext.ProxyServiceName).map((c) => c.Spec?.Name).sort();
    // a is still the previous spec (rollback target): kept.
    expect(names()).toEqual([a.configNames[0], b.configNames[0]].sort());
    const c = await delivery.deliver({ extension: ext, model: model({ version: 3 }), files: [{ path: 'nginx.conf', content: 'c' }] });
    expect(names()).toEqual([b.configNames[0], c.configNames[0]].sort());
    expect(proxySpec(docker)!.TaskTemplate.ContainerSpec.Configs.map((x) => x.ConfigName)).toEqual(c.configNames);
  });

  it('keeps a config an old task still runs on, and collects it once that task has stopped', async () => {
    const { docker, delivery } = setup();
    await delivery.deliver({ extension: ext, model: model(), files: [{ path: 'nginx.conf', content: 'a' }] });
    const proxyId = docker.services[0]!.ID;
    // A task of the first spec, told to shut down but still running (a slow stop-first rollout).
    const spec = JSON.parse(JSON.stringify(docker.services[0]!.Spec!.TaskTemplate)) as Record<string, unknown>;
    const oldTask = docker.addTask(proxyId, {}, { Spec: spec, DesiredState: 'shutdown', Status: { State: 'running' } });
    await delivery.deliver({ extension: ext, model: model({ version: 2 }), files: [{ path: 'nginx.conf', content: 'b' }] });
    await delivery.deliver({ extension: ext, model: model({ version: 3 }), files: [{ path: 'nginx.conf', content: 'c' }] });
    const count = () => docker.configs.filter((c) => c.Spec?.Labels?.[PROXY_SERVICE] === ext.ProxyServiceName).length;
    // a is neither current (c) nor previous (b), but the old task still runs on it.
    expect(count()).toBe(3);
    docker.tasks.find((t) => t.ID === oldTask)!.Status = { State: 'shutdown' };
    await delivery.reassert(ext, await docker.inspectService(proxyId));
    expect(count()).toBe(2);
  });

  it('mounts extra files beside the main one and the certificate secrets', async () => {
    const { docker, delivery } = setup();
    docker.addSecret('site.crt');
    docker.addSecret('site.key');
    const m = model({ certificates: [{ name: 'site.crt', certSecret: 'site.crt', keySecret: 'site.key', certFile: 'site.crt.pem', keyFile: 'site.crt.pem.key' }] });
    await delivery.deliver({ extension: ext, model: m, files: [{ path: 'nginx.conf', content: 'main' }, { path: 'conf.d/servers-1.conf', content: 'part' }] });
    const cs = proxySpec(docker)!.TaskTemplate.ContainerSpec;
    expect(cs.Configs.map((c) => c.File.Name)).toEqual(['/etc/nginx/conf.d/servers-1.conf', '/etc/nginx/nginx.conf']);
    expect(cs.Secrets.map((s) => [s.SecretName, s.File.Name])).toEqual([
      ['site.crt', 'site.crt.pem'],
      ['site.key', 'site.crt.pem.key'],
    ]);
  });

  it('refuses a file over the Docker Config limit and a missing secret, changing nothing', async () => {
    const { docker, delivery } = setup();
    await expect(delivery.deliver({ extension: ext, model: model(), files: [{ path: 'nginx.conf', content: 'x'.repeat(MAX_CONFIG_BYTES + 1) }] })).rejects.toMatchObject({ code: 'too-large' });
    const m = model({ certificates: [{ name: 'nope', certSecret: 'nope', keySecret: 'nope.key', certFile: 'nope.pem', keyFile: 'nope.pem.key' }] });
    await expect(delivery.deliver({ extension: ext, model: m, files: [{ path: 'nginx.conf', content: 'x' }] })).rejects.toBeInstanceOf(DeliveryError);
    expect(docker.services).toHaveLength(0);
  });

  it('retries a delivery that Docker refused at the next reassert, never rolling back to the previous one', async () => {
    const logger = lineLogger();
    const { docker, delivery } = setup(logger);
    await delivery.deliver({ extension: ext, model: model(), files: [{ path: 'nginx.conf', content: 'old' }] });
    docker.failNext('updateService');
    await expect(delivery.deliver({ extension: ext, model: model({ version: 2 }), files: [{ path: 'nginx.conf', content: 'new' }] })).rejects.toThrow(/updateService failed/);
    const oldName = proxySpec(docker)!.TaskTemplate.ContainerSpec.Configs[0]!.ConfigName;
    await delivery.reassert(ext, docker.services[0]);
    const newName = proxySpec(docker)!.TaskTemplate.ContainerSpec.Configs[0]!.ConfigName;
    expect(newName).not.toBe(oldName);
    // A retry of its own failed delivery is no outside change: an info line, not a warning.
    expect(logger.lines).toContain('info retrying the last delivery, which failed');
    expect(logger.lines.filter((l) => l.startsWith('warn'))).toEqual([]);
    const content = docker.configs.find((c) => c.Spec?.Name === newName)?.Spec?.Data;
    expect(Buffer.from(content ?? '', 'base64').toString()).toBe('new');
  });

  it('retries an update that raced with swarm bumping the service version', async () => {
    const { docker, delivery } = setup();
    await delivery.deliver({ extension: ext, model: model(), files: [{ path: 'nginx.conf', content: 'a' }] });
    docker.failNext('updateService', new Error('rpc error: code = Unknown desc = update out of sequence'));
    const res = await delivery.deliver({ extension: ext, model: model({ version: 2 }), files: [{ path: 'nginx.conf', content: 'b' }] });
    expect(res.changed).toBe(true);
    expect(proxySpec(docker)!.TaskTemplate.ContainerSpec.Configs[0]!.ConfigName).toBe(res.configNames[0]);
  });

  it('reasserts the last delivery when the proxy service was removed by hand, with a warning', async () => {
    const logger = lineLogger();
    const { docker, delivery } = setup(logger);
    await delivery.deliver({ extension: ext, model: model(), files: [{ path: 'nginx.conf', content: 'a' }] });
    // Unchanged: nothing to do.
    docker.resetCalls();
    await delivery.reassert(ext, docker.services[0]);
    expect(docker.callCount('updateService') + docker.callCount('createService')).toBe(0);
    await docker.removeService(docker.services[0]!.ID);
    await delivery.reassert(ext, undefined);
    expect(proxySpec(docker)).toBeDefined();
    expect(logger.lines).toContain('warn proxy service missing or changed outside Switchyard; re-applying the last delivery');
  });
});
