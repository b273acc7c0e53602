import { noopLogger } from '@switchyard/reconciler';
import { FakeDockerPort } from '@switchyard/reconciler/testing';
import { ProxyModel } from '@switchyard/proto';
import { parseCoreConfig } from '../src/config.js';
import { DockerConfigDelivery } from '../src/delivery.js';
import { ProxyPreflight, checkCommand } from '../src/preflight.js';
import { ProxyConfigHub } from '../src/proxy-hub.js';

const config = parseCoreConfig(`[Extensions.default]\nProxyReplicas = 1\n[Extensions.h]\nProxyKind = "haproxy"\nServiceCluster = "h"\nPublishedPort = 81\nPublishedSSLPort = 444\n`);
const ext = config.Extensions.find((e) => e.Name === 'default')!;

const cert = { name: 'c', certSecret: 'site.crt', keySecret: 'site.key', certFile: 'site.crt', keyFile: 'site.key' };
const model = (version: number, certificates: ProxyModel['certificates'] = []): ProxyModel => ({ ...ProxyModel.fromPartial({}), version, certificates });

/** A delivery whose preflight check task ends in `state` (with `logs`), decided when it is created. */
function setup(state: 'complete' | 'failed' | 'pending', logs = '') {
  const docker = new FakeDockerPort();
  docker.addNetwork({ Name: 'switchyard', Driver: 'overlay', Scope: 'swarm' });
  docker.addSecret('site.crt');
  docker.addSecret('site.key');
  const sleep = async (): Promise<void> => {
    const check = docker.services.find((s) => s.Spec?.Name?.includes('-check-'));
    if (check && !docker.tasks.some((t) => t.ServiceID === check.ID)) {
      docker.addTask(check.ID, {}, { Status: { State: state, ...(state === 'failed' ? { Err: 'task: non-zero exit (1)' } : {}) } });
      docker.logs.set(check.ID, logs);
    }
  };
  const preflight = new ProxyPreflight(docker, noopLogger, 'switchyard', { sleep, timeoutMs: 50, pollMs: 1 });
  const hub = new ProxyConfigHub();
  const delivery = new DockerConfigDelivery(docker, noopLogger, 'switchyard', { hub, coreAddress: 'core:8080' }, preflight);
  return { docker, hub, delivery };
}

describe('preflight check of specs that bring new certificates', () => {
  it("uses the proxy's own check command", () => {
    expect(checkCommand(ext)).toEqual(['nginx', '-t', '-c', '/etc/nginx/nginx.conf']);
    expect(checkCommand(config.Extensions.find((e) => e.Name === 'h')!)).toEqual(['haproxy', '-c', '-f', '/etc/haproxy/haproxy.cfg', '-f', '/etc/haproxy/switchyard.d']);
    const other = `[Extensions.c]\nProxyKind = "caddy"\nImage = "x/ext"\nProxyImage = "x/caddy"\nProxyConfigPath = "/etc/caddy/caddy.json"\nHitlessServiceUpdate = false\n`;
    expect(checkCommand(parseCoreConfig(`${other}ProxyCheckCommand = ["caddy", "validate", "--config", "/etc/caddy/caddy.json"]\n`).Extensions[0]!)).toEqual(['caddy', 'validate', '--config', '/etc/caddy/caddy.json']);
    // A third-party kind without a check command has nothing to run: the preflight is skipped, saying why.
    const unchecked = parseCoreConfig(other).Extensions[0]!;
    expect(checkCommand(unchecked)).toBeUndefined();
    return expect(new ProxyPreflight(new FakeDockerPort(), noopLogger, 'switchyard').check(unchecked, {})).resolves.toEqual({ skipped: 'proxy kind caddy has no ProxyCheckCommand' });
  });

  it('a refused certificate leaves the proxy service and its running config alone, with the reason', async () => {
    const { docker, hub, delivery } = setup('failed', 'nginx: [emerg] cannot load certificate "/run/secrets/site.crt": PEM_read_bio_X509_AUX() failed');
    await delivery.deliver({ extension: ext, model: model(1), files: [{ path: 'nginx.conf', content: 'a' }] });
    const before = JSON.stringify(docker.services.find((s) => s.Spec?.Name === ext.ProxyServiceName)!.Spec);
    await expect(delivery.deliver({ extension: ext, model: model(2, [cert]), files: [{ path: 'nginx.conf', content: 'b' }] })).rejects.toMatchObject({
      code: 'rejected-by-proxy',
      message: expect.stringContaining('PEM_read_bio_X509_AUX'),
    });
    expect(JSON.stringify(docker.services.find((s) => s.Spec?.Name === ext.ProxyServiceName)!.Spec)).toBe(before);
    expect(hub.current(ext.ProxyServiceName)?.modelVersion).toBe(1);
    // The check service is removed again.
    expect(docker.services.map((s) => s.Spec?.Name)).toEqual([ext.ProxyServiceName]);
  });

  it('a certificate the check accepts is rolled out', async () => {
    const { docker, hub, delivery } = setup('complete');
    await delivery.deliver({ extension: ext, model: model(1), files: [{ path: 'nginx.conf', content: 'a' }] });
    const res = await delivery.deliver({ extension: ext, model: model(2, [cert]), files: [{ path: 'nginx.conf', content: 'b' }] });
    expect(res.changed).toBe(true);
    expect(hub.current(ext.ProxyServiceName)?.modelVersion).toBe(2);
    expect(docker.services.map((s) => s.Spec?.Name)).toEqual([ext.ProxyServiceName]);
  });

  it('a check that cannot finish is skipped (logged) and the update goes ahead', async () => {
    const { delivery } = setup('pending');
    await delivery.deliver({ extension: ext, model: model(1), files: [{ path: 'nginx.conf', content: 'a' }] });
    const res = await delivery.deliver({ extension: ext, model: model(2, [cert]), files: [{ path: 'nginx.conf', content: 'b' }] });
    expect(res.changed).toBe(true);
  });

  it('no check for content-only changes', async () => {
    const { docker, delivery } = setup('failed');
    await delivery.deliver({ extension: ext, model: model(1), files: [{ path: 'nginx.conf', content: 'a' }] });
    docker.resetCalls();
    await delivery.deliver({ extension: ext, model: model(2), files: [{ path: 'nginx.conf', content: 'b' }] });
    expect(docker.callCount('createService')).toBe(0);
  });
});
