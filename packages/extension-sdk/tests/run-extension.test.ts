import { ProxyKind, Severity, configChecksum, type ProxyModel, type Renderer } from '@switchyard/proto';
import { DEFAULT_EXTENSION_BACKOFF, ExtensionOptionsError, abortOnSignals, jsonLogger, runExtension, type Submission } from '../src/index.js';
import { newestOnly } from '../src/run-extension.js';
import { FakeCore, captureLogger, until } from '../src/testing.js';
import { freePort } from '../../../tools/testing/free-port.js';

const hostsOf = (m: ProxyModel) => ({ files: [{ path: 'out.conf', content: m.hosts.map((h) => h.host).join('\n') }], diagnostics: [] });


/** A renderer implementing the contract: a config with a prefix, and the model's hosts. */
const prefixRenderer: Renderer<{ Prefix: string }> = {
  kind: 'prefix',
  proxyKind: ProxyKind.PROXY_KIND_NGINX,
  mainFile: 'prefix.conf',
  parseConfig: (table) => {
    const t = (table ?? {}) as Record<string, unknown>;
    if (t.Prefix !== undefined && typeof t.Prefix !== 'string') return { ok: false, code: 'bad', message: 'Prefix: expected string', issues: [{ key: 'Prefix', message: 'expected string' }] };
    return { ok: true, config: { Prefix: (t.Prefix as string | undefined) ?? 'default' }, ignored: [] };
  },
  render: (model, config, options = {}) => ({
    files: [{ path: 'prefix.conf', content: `${config.Prefix}:${options.httpPort ?? 80}:${model.hosts.map((h) => h.host).join(',')}\n` }],
    diagnostics: [{ service: 'app', label: '', code: 'note', message: 'rendered by the test renderer', severity: Severity.SEVERITY_WARNING }],
  }),
};

describe('runExtension against a gRPC core on loopback', () => {
  let core: FakeCore;
  let controller: AbortController;
  let running: Promise<void> | undefined;
  const fast = { initialMs: 20, maxMs: 200 };

  beforeEach(() => {
    core = new FakeCore();
    controller = new AbortController();
    running = undefined;
  });

  afterEach(async () => {
    controller.abort();
    await running;
    await core.server?.forceShutdown();
  });

  it('registers, renders each streamed model, submits with a valid checksum, reports outcomes', async () => {
    const port = await core.listen();
    core.rejectVersions.add(2);
    const outcomes: Submission[] = [];
    const logger = captureLogger();
    core.publish('blue', [], 'a.local');
    running = runExtension({
      coreAddress: `127.0.0.1:${port}`,
      name: 'test',
      cluster: 'blue',
      version: 't',
      render: hostsOf,
      proxyKind: ProxyKind.PROXY_KIND_NGINX,
      logger,
      signal: controller.signal,
      backoff: fast,
      onSubmitted: (s) => outcomes.push(s),
    });
    await until(() => outcomes.length === 1, 'first submission');
    core.publish('blue', [], 'b.local');
    await until(() => outcomes.length === 2, 'second submission');
    core.publish('blue', [], 'c.local');
    await until(() => outcomes.length === 3, 'third submission');
    expect(core.registrations).toEqual([{ name: 'test', serviceCluster: 'blue', proxyKind: ProxyKind.PROXY_KIND_NGINX, version: 't' }]);
    expect(core.submissions.map((s) => [s.extensionId, s.modelVersion, s.files[0]?.content, s.checksum === configChecksum(s.files)])).toEqual([
      ['ext-1', 1, 'a.local', true],
      ['ext-1', 2, 'b.local', true],
      ['ext-1', 3, 'c.local', true],
    ]);
    expect(outcomes.map((o) => [o.modelVersion, o.accepted, o.configName])).toEqual([
      [1, true, 'cfg-1'],
      [2, false, ''],
      [3, true, 'cfg-3'],
    ]);
    expect(logger.lines).toContainEqual(expect.objectContaining({ level: 'info', message: 'config accepted', meta: expect.objectContaining({ modelVersion: 1, configName: 'cfg-1' }) }));
    expect(logger.lines).toContainEqual(
      expect.objectContaining({ level: 'warn', message: 'config rejected by core', meta: expect.objectContaining({ modelVersion: 2, reasons: ['rejected for the test'] }) }),
    );
  });

  it('renders with a Renderer object: its proxy kind, its config and the render options; diagnostics are logged', async () => {
    const port = await core.listen();
    const logger = captureLogger();
    core.publish('', [], 'x.local');
    const parsed = prefixRenderer.parseConfig({ Prefix: 'p' });
    if (!parsed.ok) throw new Error(parsed.message);
    running = runExtension({
      coreAddress: `127.0.0.1:${port}`,
      name: 'r',
      cluster: '',
      renderer: prefixRenderer,
      config: parsed.config,
      renderOptions: { httpPort: 8080 },
      logger,
      signal: controller.signal,
    });
    await until(() => core.submissions.length === 1, 'submission');
    expect(core.registrations[0]).toMatchObject({ proxyKind: ProxyKind.PROXY_KIND_NGINX, version: '0.0.0' });
    expect(core.submissions[0]?.files).toEqual([{ path: 'prefix.conf', content: 'p:8080:x.local\n' }]);
    expect(logger.lines).toContainEqual({ level: 'warn', message: 'render: rendered by the test renderer', meta: { code: 'note', service: 'app', modelVersion: 1 } });
  });

  it('logs a render diagnostic once while it lasts, not again for every model', async () => {
    const port = await core.listen();
    const logger = captureLogger();
    core.publish('', [], 'x.local');
    running = runExtension({ coreAddress: `127.0.0.1:${port}`, name: 'r', cluster: '', renderer: prefixRenderer, logger, signal: controller.signal });
    await until(() => core.submissions.length === 1, 'first submission');
    core.publish('', [], 'y.local');
    await until(() => core.submissions.length === 2, 'second submission');
    const warned = logger.lines.filter((l) => l.message === 'render: rendered by the test renderer');
    expect(warned).toHaveLength(1);
    expect(warned[0]?.meta).toMatchObject({ modelVersion: 1 });
  });

  it("uses the renderer's defaults without a config, and registers a render function as PROXY_KIND_OTHER", async () => {
    const port = await core.listen();
    core.publish('', [], 'x.local');
    running = runExtension({ coreAddress: `127.0.0.1:${port}`, name: 'r', cluster: '', renderer: prefixRenderer, logger: captureLogger(), signal: controller.signal });
    await until(() => core.submissions.length === 1, 'submission');
    expect(core.submissions[0]?.files[0]?.content).toBe('default:80:x.local\n');
    const other = new AbortController();
    const second = runExtension({ coreAddress: `127.0.0.1:${port}`, name: 'o', cluster: '', render: hostsOf, logger: captureLogger(), signal: other.signal });
    await until(() => core.registrations.length === 2, 'second registration');
    other.abort();
    await second;
    expect(core.registrations[1]?.proxyKind).toBe(ProxyKind.PROXY_KIND_OTHER);
  });

  it('awaits onRendered before submitting, with the render result as returned; a throwing hook is logged, the submission goes ahead', async () => {
    const port = await core.listen();
    const logger = captureLogger();
    const seen: string[] = [];
    core.publish('json', ['10.0.0.2:8080']);
    running = runExtension({
      coreAddress: `127.0.0.1:${port}`,
      name: 'hook',
      cluster: 'json',
      render: (m) => ({ ...hostsOf(m), extra: m.version * 10 }),
      onRendered: async (result, model) => {
        await new Promise((r) => setTimeout(r, 30));
        seen.push(`${model.version}:${result.extra}:${core.submissions.length}`);
        if (model.version === 2) throw new Error('disk full');
      },
      logger,
      signal: controller.signal,
      backoff: fast,
    });
    await until(() => core.submissions.length === 1, 'first submission');
    core.publish('json', ['10.0.0.3:8080']);
    await until(() => core.submissions.length === 2, 'second submission');
    expect(seen).toEqual(['1:10:0', '2:20:1']);
    expect(core.submissions.every((s) => s.accepted)).toBe(true);
    expect(logger.lines).toContainEqual({ level: 'error', message: 'onRendered failed', meta: { modelVersion: 2, error: 'disk full' } });
  });

  it('skips a model whose render throws and renders the next one', async () => {
    const port = await core.listen();
    const logger = captureLogger();
    core.publish('', []);
    running = runExtension({
      coreAddress: `127.0.0.1:${port}`,
      name: 'flaky',
      cluster: '',
      render: (m) => {
        if (m.version === 1) throw new Error('boom');
        return hostsOf(m);
      },
      logger,
      signal: controller.signal,
      backoff: fast,
    });
    await until(() => logger.lines.some((l) => l.level === 'error'), 'the render error');
    core.publish('', []);
    await until(() => core.submissions.length === 1, 'a submission of the next model');
    expect(core.submissions[0]?.modelVersion).toBe(2);
    expect(core.registrations).toHaveLength(1);
    expect(logger.lines).toContainEqual({ level: 'error', message: 'render failed; this model is not submitted', meta: { modelVersion: 1, error: 'boom' } });
  });

  it('registers again when core no longer knows its id, then resubmits', async () => {
    const port = await core.listen();
    const logger = captureLogger();
    core.publish('json', ['10.0.0.2:8080']);
    running = runExtension({ coreAddress: `127.0.0.1:${port}`, name: 'j', cluster: 'json', render: hostsOf, logger, signal: controller.signal, backoff: fast });
    await until(() => core.submissions.length === 1, 'first submission');
    core.forget();
    const v2 = core.publish('json', ['10.0.0.4:8080']);
    const ok = await until(() => core.submissions.find((s) => s.accepted && s.modelVersion === v2), 'accepted resubmission');
    expect(core.submissions.filter((s) => s.modelVersion === v2).map((s) => [s.extensionId, s.accepted])).toEqual([
      ['ext-1', false],
      ['ext-2', true],
    ]);
    expect(ok.extensionId).toBe('ext-2');
    expect(core.registrations).toHaveLength(2);
    expect(logger.lines.some((l) => l.level === 'warn' && l.message.includes('registering again'))).toBe(true);
    expect(logger.lines).toContainEqual(expect.objectContaining({ message: 'disconnected from core; reconnecting', meta: expect.objectContaining({ reason: 'registration lost' }) }));
  });

  it('logs a stale rejection and keeps following the stream', async () => {
    const port = await core.listen();
    const logger = captureLogger();
    core.staleNext = true;
    core.publish('json', ['10.0.0.2:8080']);
    running = runExtension({ coreAddress: `127.0.0.1:${port}`, name: 'j', cluster: 'json', render: hostsOf, logger, signal: controller.signal, backoff: fast });
    await until(() => core.submissions.length === 1, 'first submission');
    expect(core.submissions[0]?.accepted).toBe(false);
    const v2 = core.publish('json', ['10.0.0.5:8080']);
    await until(() => core.submissions.find((s) => s.accepted && s.modelVersion === v2), 'accepted submission of the newer model');
    expect(core.registrations).toHaveLength(1);
    expect(logger.lines).toContainEqual(expect.objectContaining({ level: 'info', message: 'config superseded by a newer model' }));
  });

  it('reconnects and registers again when the model stream breaks or ends', async () => {
    const port = await core.listen();
    const logger = captureLogger();
    const v1 = core.publish('json', ['10.0.0.2:8080']);
    running = runExtension({ coreAddress: `127.0.0.1:${port}`, name: 'j', cluster: 'json', render: hostsOf, logger, signal: controller.signal, backoff: fast });
    await until(() => core.submissions.length === 1, 'first submission');
    core.breakStreams();
    await until(() => core.registrations.length === 2 && core.submissions.length === 2, 'registration and submission after reconnecting');
    expect(core.submissions[1]).toMatchObject({ extensionId: 'ext-2', modelVersion: v1, accepted: true });
    expect(logger.lines).toContainEqual(expect.objectContaining({ level: 'warn', message: 'disconnected from core; reconnecting' }));

    core.endStreamsAfterFirst = true;
    core.breakStreams();
    await until(() => logger.lines.some((l) => l.meta.reason === 'model stream ended'), 'a stream that ended');
    // An ending stream is retried with backoff, not in a tight loop.
    const retries = logger.lines.filter((l) => l.message === 'disconnected from core; reconnecting').map((l) => l.meta.retryInMs as number);
    expect(retries.every((ms) => ms >= fast.initialMs)).toBe(true);
  });

  it('retries with backoff while core is away, then registers when it comes up', async () => {
    const port = await freePort();
    const logger = captureLogger();
    running = runExtension({
      coreAddress: `127.0.0.1:${port}`,
      name: 'late',
      cluster: '',
      render: hostsOf,
      proxyKind: ProxyKind.PROXY_KIND_HAPROXY,
      logger,
      signal: controller.signal,
      backoff: { initialMs: 50, maxMs: 200 },
      random: () => 0.5,
    });
    const failures = await until(() => {
      const lines = logger.lines.filter((l) => l.message === 'disconnected from core; reconnecting');
      return lines.length >= 3 ? lines : undefined;
    }, 'three failed attempts');
    // Decorrelated jitter with random 0.5: 50 + (150 - 50) / 2 = 100, then 50 + (200 - 50) / 2 = 125, ...
    expect(failures.slice(0, 3).map((l) => [l.meta.attempt, l.meta.retryInMs])).toEqual([
      [1, 100],
      [2, 125],
      [3, 125],
    ]);
    const v = core.publish('', ['10.0.0.8:8080']);
    await core.listen(`127.0.0.1:${port}`);
    await until(() => core.submissions.find((s) => s.accepted), 'a submission after core came up', 10_000);
    expect(core.registrations).toEqual([{ name: 'late', serviceCluster: '', proxyKind: ProxyKind.PROXY_KIND_HAPROXY, version: '0.0.0' }]);
    expect(core.submissions[0]?.modelVersion).toBe(v);
  });

  it('resolves promptly when the signal aborts, and at once when it already has', async () => {
    const port = await core.listen();
    running = runExtension({ coreAddress: `127.0.0.1:${port}`, name: 'j', cluster: 'json', render: hostsOf, logger: captureLogger(), signal: controller.signal });
    await until(() => core.registrations.length === 1, 'registration');
    const started = Date.now();
    controller.abort();
    await running;
    expect(Date.now() - started).toBeLessThan(1000);
    await runExtension({ coreAddress: `127.0.0.1:${port}`, name: 'j', cluster: 'json', render: hostsOf, logger: captureLogger(), signal: controller.signal });
    expect(core.registrations).toHaveLength(1);
  });
});

describe('runExtension options', () => {
  it('rejects with ExtensionOptionsError when there is nothing to render with, or the renderer has no valid defaults', async () => {
    const signal = new AbortController().signal;
    const base = { coreAddress: '127.0.0.1:1', name: 'x', cluster: '', signal, logger: captureLogger() };
    await expect(runExtension({ ...base } as never)).rejects.toBeInstanceOf(ExtensionOptionsError);
    const broken: Renderer<never> = { ...prefixRenderer, parseConfig: () => ({ ok: false, code: 'c', message: 'no defaults', issues: [] }), render: prefixRenderer.render as never };
    await expect(runExtension({ ...base, renderer: broken })).rejects.toThrow(/no defaults/);
  });

  it('backs off with decorrelated jitter from 500 ms to 10 s by default', () => {
    expect(DEFAULT_EXTENSION_BACKOFF).toEqual({ initialMs: 500, maxMs: 10_000, jitter: 'decorrelated' });
  });
});

describe('jsonLogger', () => {
  it('prints one JSON object per line', () => {
    const out: string[] = [];
    const log = jsonLogger({ write: (l) => out.push(l) });
    log.info('config accepted', { modelVersion: 3, configName: '' });
    log.warn('w');
    expect(out).toEqual(['{"level":"info","message":"config accepted","modelVersion":3,"configName":""}\n', '{"level":"warn","message":"w"}\n']);
  });
});

describe('abortOnSignals', () => {
  it('aborts with the signal name as the reason when one of the signals arrives', () => {
    const handlers = new Map<string, () => void>();
    const signal = abortOnSignals(['SIGTERM', 'SIGINT'], { once: ((sig: string, fn: () => void) => void handlers.set(sig, fn)) as never });
    expect([...handlers.keys()]).toEqual(['SIGTERM', 'SIGINT']);
    expect(signal.aborted).toBe(false);
    handlers.get('SIGINT')!();
    expect([signal.aborted, signal.reason]).toEqual([true, 'SIGINT']);
  });
});

describe('newestOnly', () => {
  /** A stream whose items are pushed by the test; `end(error?)` finishes it. */
  function pushStream<T>() {
    const queue: T[] = [];
    let finished: { error?: Error } | undefined;
    let wake: (() => void) | undefined;
    async function* gen(): AsyncGenerator<T> {
      for (;;) {
        if (queue.length) {
          yield queue.shift() as T;
          continue;
        }
        if (finished) {
          if (finished.error) throw finished.error;
          return;
        }
        await new Promise<void>((resolve) => (wake = resolve));
      }
    }
    return {
      stream: gen(),
      push: (item: T) => (queue.push(item), wake?.()),
      end: (error?: Error) => ((finished = { error }), wake?.()),
    };
  }
  const tick = () => new Promise((resolve) => setImmediate(resolve));

  it('gives a slow consumer the newest item, skipping those that arrived while it was busy', async () => {
    const src = pushStream<number>();
    const it = newestOnly(src.stream);
    src.push(1);
    expect((await it.next()).value).toBe(1);
    for (const n of [2, 3, 4, 5]) src.push(n);
    await tick();
    expect((await it.next()).value).toBe(5);
    src.push(6);
    expect((await it.next()).value).toBe(6);
    src.end();
    expect((await it.next()).done).toBe(true);
  });

  it('delivers the last item before a stream error, then throws it', async () => {
    const src = pushStream<number>();
    const it = newestOnly(src.stream);
    src.push(1);
    src.end(new Error('stream broke'));
    await tick();
    expect((await it.next()).value).toBe(1);
    await expect(it.next()).rejects.toThrow('stream broke');
  });
});
