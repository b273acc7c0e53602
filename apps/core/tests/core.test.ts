import { noopLogger, type Timers } from '@switchyard/reconciler';
import { FakeDockerPort } from '@switchyard/reconciler/testing';
import { Severity } from '@switchyard/proto';
import { parseCoreConfig } from '../src/config.js';
import { Core } from '../src/core.js';
import { EXTENSION, ROLE } from '../src/specs.js';

async function until<T>(probe: () => T | undefined, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('Core with an in-memory Docker', () => {
  it('publishes a model per cluster from labelled services and deploys the extension service', async () => {
    const docker = new FakeDockerPort();
    const coreNet = docker.addNetwork({ Name: 'switchyard' });
    const appNet = docker.addNetwork({ Name: 'app' });
    const web = await docker.createService({ Name: 'web', Labels: { 'com.docker.lb.hosts': 'web.local', 'com.docker.lb.port': '8080' }, TaskTemplate: { Networks: [{ Target: appNet }] } });
    docker.addTask(web, { [appNet]: '10.0.1.5/24' });
    const bad = await docker.createService({ Name: 'bad', Labels: { 'com.docker.lb.hosts': 'bad.local', 'com.docker.lb.port': 'eighty' }, TaskTemplate: { Networks: [{ Target: appNet }] } });
    docker.addTask(bad, { [appNet]: '10.0.1.6/24' });
    await docker.createService({ Name: 'blue', Labels: { 'com.docker.lb.hosts': 'blue.local', 'com.docker.lb.port': '80', 'com.docker.lb.service_cluster': 'blue' }, TaskTemplate: { Networks: [{ Target: appNet }] } });

    const config = parseCoreConfig(`PollInterval = "1s"\n[Extensions.main]\n[Extensions.blue]\nServiceCluster = "blue"\nPublishedPort = 81\nPublishedSSLPort = 444\n`);
    const core = new Core({ config, docker, logger: noopLogger });
    core.start();
    try {
      const main = await until(() => core.hub.current(''));
      expect(main.hosts.map((h) => h.host)).toEqual(['web.local']);
      expect(main.upstreams.flatMap((u) => u.endpoints.map((e) => `${e.address}:${e.port}`))).toEqual(['10.0.1.5:8080']);
      expect(main.networks.map((n) => n.id)).toEqual([appNet]);
      expect(main.diagnostics.some((d) => d.service === 'bad' && d.severity === Severity.SEVERITY_ERROR)).toBe(true);
      const blue = await until(() => core.hub.current('blue'));
      expect(blue.hosts.map((h) => h.host)).toEqual(['blue.local']);

      const extensions = await until(() => {
        const found = docker.services.filter((s) => s.Spec?.Labels?.[ROLE] === 'extension');
        return found.length === 2 ? found : undefined;
      });
      expect(extensions.map((s) => s.Spec?.Labels?.[EXTENSION]).sort()).toEqual(['blue', 'main']);
      const spec = extensions.find((s) => s.Spec?.Name === 'switchyard-main-extension')!.Spec as { TaskTemplate: { ContainerSpec: { Args: string[] }; Networks: { Target: string }[] } };
      expect(spec.TaskTemplate.ContainerSpec.Args).toEqual(['--core', 'switchyard-core:8080', '--proxy', 'nginx', '--cluster', '', '--name', 'main']);
      expect(spec.TaskTemplate.Networks).toEqual([{ Target: coreNet }]);

      // A scale-up shows up as a new model version with both endpoints.
      const before = main.version;
      docker.addTask(web, { [appNet]: '10.0.1.9/24' });
      docker.emitEvent('service', 'update', web);
      const next = await until(() => {
        const m = core.hub.current('');
        return m && m.version > before ? m : undefined;
      });
      expect(next.upstreams.flatMap((u) => u.endpoints.map((e) => e.address))).toEqual(['10.0.1.5', '10.0.1.9']);

      // Deploy rounds are idempotent: no further creates or updates once converged.
      docker.resetCalls();
      await new Promise((r) => setTimeout(r, 1500));
      expect(docker.callCount('createService')).toBe(0);
      expect(docker.callCount('updateService')).toBe(0);
    } finally {
      await core.stop();
    }
  });
});

/** A clock that moves only when told to, running the timers that fall due in order. */
class ManualTimers implements Timers {
  #now = 0;
  #seq = 0;
  readonly pending = new Map<number, { at: number; fn: () => void }>();
  now(): number {
    return this.#now;
  }
  setTimeout(fn: () => void, ms: number): number {
    this.pending.set(++this.#seq, { at: this.#now + ms, fn });
    return this.#seq;
  }
  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }
  advance(ms: number): void {
    const end = this.#now + ms;
    for (;;) {
      const [id, due] = [...this.pending].filter(([, t]) => t.at <= end).sort(([, a], [, b]) => a.at - b.at)[0] ?? [];
      if (id === undefined || !due) break;
      this.pending.delete(id);
      this.#now = due.at;
      due.fn();
    }
    this.#now = end;
  }
  /** Milliseconds until the next timer, or undefined when none is set. */
  get nextIn(): number | undefined {
    const ats = [...this.pending.values()].map((t) => t.at - this.#now);
    return ats.length > 0 ? Math.min(...ats) : undefined;
  }
}

describe('Core, the deploy loop on injected timers', () => {
  it('deploys at start, then re-checks every PollInterval (10 s at least) with one timer, repairing what was removed by hand', async () => {
    const docker = new FakeDockerPort();
    docker.addNetwork({ Name: 'switchyard' });
    const timers = new ManualTimers();
    const core = new Core({ config: parseCoreConfig(`PollInterval = "3s"\n[Extensions.main]\n`), docker, logger: noopLogger, timers });
    const extension = () => docker.services.find((s) => s.Spec?.Labels?.[ROLE] === 'extension');
    core.start();
    try {
      expect(extension()).toBeUndefined();
      timers.advance(0);
      await until(() => (extension() && timers.nextIn !== undefined ? true : undefined));
      // One round finished and armed exactly one timer for the next, 10 s away (PollInterval is shorter).
      expect(timers.pending.size).toBe(1);
      expect(timers.nextIn).toBe(10_000);

      await docker.removeService(extension()!.ID);
      timers.advance(9_999);
      await new Promise((r) => setTimeout(r, 100));
      expect(extension()).toBeUndefined();
      timers.advance(1);
      const again = await until(() => extension());
      expect(again.Spec?.Name).toBe('switchyard-main-extension');
      await until(() => (timers.nextIn === 10_000 ? true : undefined));
      expect(timers.pending.size).toBe(1);
    } finally {
      await core.stop();
    }
    // Stopped: no timer is left, and moving the clock runs nothing.
    expect(timers.pending.size).toBe(0);
  });
});

describe('Core, a certificate the proxy refuses', () => {
  it('leaves the services using it out of the model (certificate-refused), so the others are delivered again', async () => {
    const { configChecksum, ProxyKind } = await import('@switchyard/proto');
    const { DeliveryError } = await import('../src/delivery.js');
    const docker = new FakeDockerPort();
    docker.addNetwork({ Name: 'switchyard' });
    const appNet = docker.addNetwork({ Name: 'app' });
    docker.addSecret('bad.pem', { 'com.switchyard.lb.allowed-services': '*' });
    const web = await docker.createService({ Name: 'web', Labels: { 'com.docker.lb.hosts': 'web.local', 'com.docker.lb.port': '8080' }, TaskTemplate: { Networks: [{ Target: appNet }] } });
    docker.addTask(web, { [appNet]: '10.0.1.5/24' });
    const tls = await docker.createService({
      Name: 'tls',
      Labels: { 'com.docker.lb.hosts': 'tls.local', 'com.docker.lb.port': '8080', 'com.docker.lb.ssl_cert': 'bad.pem', 'com.docker.lb.ssl_key': 'bad.pem' },
      TaskTemplate: { Networks: [{ Target: appNet }] },
    });
    docker.addTask(tls, { [appNet]: '10.0.1.6/24' });
    const delivered: number[] = [];
    const delivery = {
      async deliver(req: { model: { version: number; certificates: unknown[] } }) {
        if (req.model.certificates.length > 0) {
          throw new DeliveryError('rejected-by-proxy', 'refused', { secrets: ['bad.pem'], output: 'nginx: [emerg] cannot load certificate "/run/secrets/bad.pem"' });
        }
        delivered.push(req.model.version);
        return { configNames: ['c'], changed: false, mode: 'hitless' as const };
      },
      async reassert() {},
    };
    const config = parseCoreConfig(`PollInterval = "1s"\n[Extensions.main]\n`);
    const core = new Core({ config, docker, logger: noopLogger, delivery, deployExtensions: false });
    core.start();
    try {
      const first = await until(() => core.hub.current(''));
      expect(first.hosts.map((h) => h.host).sort()).toEqual(['tls.local', 'web.local']);
      const service = core.service;
      const { extensionId = '' } = await service.register({ name: 'main', serviceCluster: '', proxyKind: ProxyKind.PROXY_KIND_NGINX, version: 't' }, { caller: { kind: 'insecure', address: 'test' } } as never);
      const files = [{ path: 'nginx.conf', content: 'x' }];
      const res = await service.submitConfig({ extensionId, modelVersion: first.version, files, checksum: configChecksum(files) }, { caller: { kind: 'insecure', address: 'test' } } as never);
      expect(res.accepted).toBe(false);
      const next = await until(() => {
        const m = core.hub.current('');
        return m && m.version > first.version ? m : undefined;
      });
      expect(next.hosts.map((h) => h.host)).toEqual(['web.local']);
      expect(next.diagnostics.map((d) => [d.service, d.label, d.code])).toEqual([
        ['tls', 'com.docker.lb.ssl_cert', 'certificate-refused'],
        ['tls', 'com.docker.lb.ssl_key', 'certificate-refused'],
      ]);
      expect(next.diagnostics[0]!.message).toContain('cannot load certificate');
      const ok = await service.submitConfig({ extensionId, modelVersion: next.version, files, checksum: configChecksum(files) }, { caller: { kind: 'insecure', address: 'test' } } as never);
      expect(ok.accepted).toBe(true);
      expect(delivered).toEqual([next.version]);
    } finally {
      await core.stop();
    }
  });
});
