import { createServer, type Server } from 'nice-grpc';
import { ExtensionServiceDefinition } from '@switchyard/proto';
import { connectExtensionClient } from '@switchyard/proto/client';
import { timeoutDockerPort, type Logger } from '@switchyard/reconciler';
import { FakeDockerError, FakeDockerPort } from '@switchyard/reconciler/testing';
import { parseCoreConfig } from '../src/config.js';
import { insecureCallers, type CallerContext } from '../src/control-plane.js';
import { Core } from '../src/core.js';
import { instrumentedDockerPort } from '../src/counting-port.js';
import { CoreMetrics } from '../src/metrics.js';

// A dockerd that takes a request and never answers (SIGSTOP): the call times out (DockerAPITimeout),
// the round fails like any Docker error, is counted and logged with the call, shows in GetStatus,
// and the retry succeeds.

type Line = { level: string; message: string; meta?: Record<string, unknown> };
function recordingLogger(): Logger & { lines: Line[] } {
  const lines: Line[] = [];
  const at = (level: string) => (message: string, meta?: Record<string, unknown>) => void lines.push({ level, message, meta });
  return { lines, debug: () => undefined, info: () => undefined, warn: at('warn'), error: at('error') };
}

async function until<T>(probe: () => T | undefined | Promise<T | undefined>, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function value(metrics: CoreMetrics, name: string, labels: Record<string, string>): Promise<number> {
  const metric = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === name);
  const sample = metric?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l));
  return sample?.value ?? 0;
}

/** GetStatus over real gRPC on loopback. */
async function statusOf(core: Core) {
  const server: Server<CallerContext> = createServer().use(insecureCallers());
  server.add(ExtensionServiceDefinition, core.service);
  const conn = connectExtensionClient(`127.0.0.1:${await server.listen('127.0.0.1:0')}`);
  try {
    return await conn.client.getStatus({});
  } finally {
    conn.close();
    await server.shutdown();
  }
}

function setup(timeoutMs: number) {
  const fake = new FakeDockerPort();
  fake.addNetwork({ Name: 'switchyard' });
  const metrics = new CoreMetrics(false);
  const logger = recordingLogger();
  const docker = instrumentedDockerPort(timeoutDockerPort(fake, { timeoutMs }), metrics, logger);
  const core = new Core({ config: parseCoreConfig('PollInterval = "1h"\n[Extensions.default]\n'), docker, logger, metrics, deployExtensions: false });
  return { fake, metrics, logger, core };
}

describe('core and a Docker Engine that does not answer', () => {
  it('times the hung call out, fails and counts the round, logs the call at warn, reports it in GetStatus, and the retry succeeds', async () => {
    const { fake, metrics, logger, core } = setup(200);
    const appNet = fake.addNetwork({ Name: 'app' });
    const web = await fake.createService({ Name: 'web', Labels: { 'com.docker.lb.hosts': 'web.local', 'com.docker.lb.port': '80' }, TaskTemplate: { Networks: [{ Target: appNet }] } });
    fake.addTask(web, { [appNet]: '10.0.1.5/24' });
    fake.hangNext('listTasks');
    expect(await value(metrics, 'switchyard_reconcile_rounds_total', { result: 'error' })).toBe(0);
    const before = core.reconcileStatus();
    expect(before).toEqual({ lastSuccessAtUnixMs: 0, lastError: '', lastErrorAtUnixMs: 0, consecutiveErrors: 0 });
    const started = Date.now();
    core.start();
    try {
      await until(async () => ((await value(metrics, 'switchyard_reconcile_rounds_total', { result: 'error' })) === 1 ? true : undefined));
      expect(Date.now() - started).toBeGreaterThanOrEqual(190);
      expect(await value(metrics, 'switchyard_docker_api_errors_total', { method: 'listTasks' })).toBe(1);
      expect(await value(metrics, 'switchyard_errors_total', { stage: 'reconcile' })).toBe(1);
      expect(logger.lines.filter((l) => l.level === 'warn')).toEqual([
        { level: 'warn', message: 'Docker API call failed', meta: expect.objectContaining({ method: 'listTasks', code: 'docker-timeout', error: 'Docker API call listTasks did not answer within 200 ms' }) },
        { level: 'warn', message: 'reconcile round failed; retrying', meta: expect.objectContaining({ operation: 'listTasks', code: 'docker-timeout', attempt: 1 }) },
      ]);
      const failing = (await statusOf(core)).reconcile;
      expect(failing).toEqual({ lastSuccessAtUnixMs: 0, lastError: 'listTasks: Docker API call listTasks did not answer within 200 ms', lastErrorAtUnixMs: expect.any(Number), consecutiveErrors: 1 });
      expect(failing!.lastErrorAtUnixMs).toBeGreaterThanOrEqual(started);

      // The retry after the backoff answers: the model is published and the round counted as ok.
      const model = await until(() => core.hub.current(''));
      expect(model.hosts.map((h) => h.host)).toEqual(['web.local']);
      expect(await value(metrics, 'switchyard_reconcile_rounds_total', { result: 'ok' })).toBe(1);
      expect(await value(metrics, 'switchyard_reconcile_rounds_total', { result: 'error' })).toBe(1);
      const healthy = (await statusOf(core)).reconcile;
      expect(healthy).toMatchObject({ consecutiveErrors: 0, lastError: 'listTasks: Docker API call listTasks did not answer within 200 ms', lastErrorAtUnixMs: failing!.lastErrorAtUnixMs });
      expect(healthy!.lastSuccessAtUnixMs).toBeGreaterThan(failing!.lastErrorAtUnixMs);
      expect(await value(metrics, 'switchyard_docker_api_calls_total', { method: 'listTasks' })).toBe(2);
    } finally {
      await core.stop();
    }
  });

  it('counts a Docker error by method (not only timeouts) and passes it on unchanged', async () => {
    const { fake, metrics, logger } = setup(1000);
    const docker = instrumentedDockerPort(fake, metrics, logger);
    const refused = new FakeDockerError('config is in use', 400);
    fake.failNext('removeConfig', refused);
    await expect(docker.removeConfig('cfg-1')).rejects.toBe(refused);
    expect(await value(metrics, 'switchyard_docker_api_errors_total', { method: 'removeConfig' })).toBe(1);
    expect(await value(metrics, 'switchyard_docker_api_calls_total', { method: 'removeConfig' })).toBe(1);
    expect(logger.lines).toEqual([{ level: 'warn', message: 'Docker API call failed', meta: { method: 'removeConfig', error: 'config is in use', statusCode: 400 } }]);
    await expect(docker.listNetworks()).resolves.toHaveLength(1);
    expect(await value(metrics, 'switchyard_docker_api_errors_total', { method: 'listNetworks' })).toBe(0);
  });

  it('counts a broken event stream, not one that ends because it was stopped', async () => {
    const { fake, metrics, logger } = setup(1000);
    const docker = instrumentedDockerPort(fake, metrics, logger);
    const broken = (async () => {
      for await (const _ of docker.events({ signal: new AbortController().signal })) void _;
    })();
    await until(() => (fake.callCount('events') === 1 ? true : undefined));
    fake.failEvents(new FakeDockerError('stream broken'));
    await expect(broken).rejects.toThrow('stream broken');
    expect(await value(metrics, 'switchyard_docker_api_errors_total', { method: 'events' })).toBe(1);

    const controller = new AbortController();
    const stopped = (async () => {
      for await (const _ of docker.events({ signal: controller.signal })) void _;
    })();
    await until(() => (fake.callCount('events') === 2 ? true : undefined));
    controller.abort();
    await stopped;
    expect(await value(metrics, 'switchyard_docker_api_errors_total', { method: 'events' })).toBe(1);
    expect(await value(metrics, 'switchyard_docker_api_calls_total', { method: 'events' })).toBe(2);
  });
});
