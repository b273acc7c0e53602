/**
 * runProxyAgent against an in-memory core and a fake proxy: start-up choices, coalescing, refusals,
 * unchanged checksums, reports, reconnects, signal forwarding and exit codes.
 */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplyResult, type ReportProxyConfigRequest } from '@switchyard/proto';
import { runProxyAgent, type ProxyAgentOptions } from '../src/index.js';
import { FakeCore, bundle, until } from './helpers/fake-core.js';
import { FakeChild, fakeDriver } from './helpers/fake-proxy.js';

jest.setTimeout(15_000);

interface Harness {
  core: FakeCore;
  driver: ReturnType<typeof fakeDriver>;
  children: FakeChild[];
  made: ReportProxyConfigRequest[];
  root: string;
  bootDir: string;
  controller: AbortController;
  done: Promise<number>;
  child(): FakeChild;
  live(): string;
}

let work: string;
beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'proxy-agent-test-'));
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

function start(core: FakeCore, overrides: Partial<ProxyAgentOptions> = {}): Harness {
  const driver = fakeDriver();
  const children: FakeChild[] = [];
  const made: ReportProxyConfigRequest[] = [];
  const root = join(work, 'run');
  const bootDir = join(work, 'etc');
  mkdirSync(join(bootDir, 'switchyard.d'), { recursive: true });
  writeFileSync(join(bootDir, 'proxy.conf'), 'boot main\n');
  writeFileSync(join(bootDir, 'switchyard.d', 'part-001.conf'), 'boot part\n');
  const controller = new AbortController();
  const done = runProxyAgent(
    {
      proxyService: 'proxy',
      replica: { taskId: 't1', nodeId: 'n1', hostname: 'h', agentVersion: 'test' },
      driver,
      bootConfigPath: join(bootDir, 'proxy.conf'),
      liveRoot: root,
      connect: core.connect,
      bootWaitMs: 200,
      minReloadIntervalMs: 100,
      backoff: { initialMs: 10, maxMs: 50 },
      spawn: (argv) => {
        const c = new FakeChild(argv);
        children.push(c);
        return c;
      },
      onReport: (r) => made.push(r),
      ...overrides,
    },
    controller.signal,
  );
  return {
    core,
    driver,
    children,
    made,
    root,
    bootDir,
    controller,
    done,
    child: () => {
      const c = children[0];
      if (!c) throw new Error('proxy not started');
      return c;
    },
    live: () => readFileSync(join(root, 'live', 'proxy.conf'), 'utf8'),
  };
}

async function started(h: Harness): Promise<void> {
  await until(() => h.children.length === 1, 5000, 'the proxy to start');
}

async function stop(h: Harness): Promise<number> {
  h.controller.abort('SIGQUIT');
  return h.done;
}

const applied = (h: Harness, version: number) => () => h.core.reports.some((r) => r.modelVersion === version && r.result === ApplyResult.APPLY_RESULT_APPLIED);

describe('start-up', () => {
  it('starts with core configuration when it arrives within bootWaitMs and reports it APPLIED', async () => {
    const core = new FakeCore();
    core.push(bundle(1, 'core v1\n', [{ path: 'switchyard.d/part-001.conf', content: 'core part\n' }]));
    const h = start(core);
    await started(h);
    expect(h.child().argv).toEqual(['fake-proxy', '-c', join(h.root, 'live', 'proxy.conf')]);
    expect(h.live()).toBe('core v1\n');
    expect(readFileSync(join(h.root, 'live', 'switchyard.d', 'part-001.conf'), 'utf8')).toBe('core part\n');
    await until(applied(h, 1), 2000, 'APPLIED v1');
    expect(h.core.reports[0]).toMatchObject({ proxyService: 'proxy', replica: { taskId: 't1', nodeId: 'n1' }, reloads: 0, error: '' });
    expect(h.child().signals).toEqual([]);
    expect(await stop(h)).toBe(0);
  });

  it('falls back to the boot files (main file and switchyard.d/) when core is unreachable', async () => {
    const core = new FakeCore();
    core.down = true;
    const h = start(core);
    await started(h);
    expect(h.live()).toBe('boot main\n');
    expect(readFileSync(join(h.root, 'live', 'switchyard.d', 'part-001.conf'), 'utf8')).toBe('boot part\n');
    expect(h.made).toEqual([]);
    // core comes back: its configuration is applied in place.
    core.down = false;
    core.push(bundle(7, 'core v7\n'));
    await until(applied(h, 7), 3000, 'APPLIED v7 after core returned');
    expect(h.live()).toBe('core v7\n');
    expect(h.child().reloads).toBe(1);
    expect(await stop(h)).toBe(0);
  });

  it('falls back to the boot files when core has no configuration yet', async () => {
    const h = start(new FakeCore());
    await started(h);
    expect(h.live()).toBe('boot main\n');
    expect(await stop(h)).toBe(0);
  });

  it('reports a refused start-up configuration REJECTED and starts from the boot files', async () => {
    const core = new FakeCore();
    core.push(bundle(3, 'INVALID\n'));
    const h = start(core);
    await started(h);
    expect(h.live()).toBe('boot main\n');
    await until(() => core.reports.length === 1, 2000, 'REJECTED report');
    expect(core.reports[0]).toMatchObject({ modelVersion: 3, result: ApplyResult.APPLY_RESULT_REJECTED });
    expect(core.reports[0]?.error).toContain('INVALID');
    expect(await stop(h)).toBe(0);
  });

  it('starts the proxy with boot files that fail the check (the proxy says why), and exits with its code', async () => {
    const core = new FakeCore();
    const h = start(core);
    writeFileSync(join(h.bootDir, 'proxy.conf'), 'INVALID boot\n');
    await started(h);
    h.child().exit(1);
    expect(await h.done).toBe(1);
  });

  it('resolves 0 without starting the proxy when stopped during start-up', async () => {
    const h = start(new FakeCore(), { bootWaitMs: 5000 });
    h.controller.abort('SIGTERM');
    expect(await h.done).toBe(0);
    expect(h.children).toEqual([]);
  });
});

describe('applying', () => {
  it('coalesces a burst of 100 configurations into a few reloads and ends on the newest', async () => {
    const core = new FakeCore();
    core.push(bundle(1, 'v1\n'));
    const h = start(core);
    await started(h);
    await until(applied(h, 1), 2000, 'APPLIED v1');
    for (let v = 2; v <= 101; v++) core.push(bundle(v, `v${v}\n`));
    await until(applied(h, 101), 5000, 'APPLIED v101');
    expect(h.live()).toBe('v101\n');
    expect(h.child().reloads).toBeLessThanOrEqual(3);
    // Validations: the start-up one plus one per reload.
    expect(h.driver.validations.length).toBe(1 + h.child().reloads);
    const last = core.reports[core.reports.length - 1];
    expect(last).toMatchObject({ modelVersion: 101, reloads: h.child().reloads });
    // Only the active and the previous generation stay on disk.
    expect(readdirSync(h.root).filter((n) => n.startsWith('gen-')).length).toBeLessThanOrEqual(2);
    expect(await stop(h)).toBe(0);
  });

  it('keeps serving the previous configuration and reports REJECTED with the check output', async () => {
    const core = new FakeCore();
    core.push(bundle(1, 'v1\n'));
    const h = start(core);
    await started(h);
    await until(applied(h, 1), 2000, 'APPLIED v1');
    core.push(bundle(2, 'INVALID v2\n'));
    await until(() => core.reports.some((r) => r.modelVersion === 2), 2000, 'report for v2');
    const report = core.reports.find((r) => r.modelVersion === 2);
    expect(report).toMatchObject({ result: ApplyResult.APPLY_RESULT_REJECTED, reloads: 0 });
    expect(report?.error).toMatch(/^fake: "INVALID"/);
    expect(h.live()).toBe('v1\n');
    expect(h.child().reloads).toBe(0);
    // The refused generation is gone; only the live one remains.
    expect(readdirSync(h.root).filter((n) => n.startsWith('gen-'))).toEqual(['gen-1']);
    // A valid one after it applies normally.
    core.push(bundle(3, 'v3\n'));
    await until(applied(h, 3), 2000, 'APPLIED v3');
    expect(h.live()).toBe('v3\n');
    expect(await stop(h)).toBe(0);
  });

  it('refuses unsafe paths and checksum mismatches without touching the live directory', async () => {
    const core = new FakeCore();
    core.push(bundle(1, 'v1\n'));
    const h = start(core);
    await started(h);
    await until(applied(h, 1), 2000, 'APPLIED v1');
    core.push(bundle(2, 'v2\n', [{ path: '../escape.conf', content: 'x' }]));
    await until(() => core.reports.some((r) => r.modelVersion === 2), 2000, 'report for v2');
    expect(core.reports.find((r) => r.modelVersion === 2)?.error).toMatch(/unsafe file path/);
    core.push({ ...bundle(3, 'v3\n'), checksum: 'f'.repeat(64) });
    await until(() => core.reports.some((r) => r.modelVersion === 3), 2000, 'report for v3');
    expect(core.reports.find((r) => r.modelVersion === 3)).toMatchObject({ result: ApplyResult.APPLY_RESULT_REJECTED, error: expect.stringMatching(/checksum mismatch/) });
    expect(h.live()).toBe('v1\n');
    expect(h.child().reloads).toBe(0);
    expect(await stop(h)).toBe(0);
  });

  it('does not reload for the checksum it serves, but reports APPLIED for the new model version', async () => {
    const core = new FakeCore();
    core.push(bundle(1, 'same\n'));
    const h = start(core);
    await started(h);
    await until(applied(h, 1), 2000, 'APPLIED v1');
    core.push(bundle(2, 'same\n'));
    await until(applied(h, 2), 2000, 'APPLIED v2');
    expect(h.child().reloads).toBe(0);
    expect(h.driver.validations.length).toBe(1);
    expect(await stop(h)).toBe(0);
  });

  it('reconnects after the stream ends (core restart) and applies what the new stream sends', async () => {
    const core = new FakeCore();
    core.push(bundle(1, 'v1\n'));
    const h = start(core);
    await started(h);
    await until(applied(h, 1), 2000, 'APPLIED v1');
    const before = core.connects;
    core.current = bundle(2, 'v2\n');
    core.endStreams();
    await until(() => core.connects > before, 2000, 'a reconnect');
    await until(applied(h, 2), 2000, 'APPLIED v2 from the new stream');
    expect(h.live()).toBe('v2\n');
    expect(await stop(h)).toBe(0);
  });

  it('keeps a report that failed and sends the newest one on the next trigger; applying never waits', async () => {
    const core = new FakeCore();
    core.push(bundle(1, 'v1\n'));
    core.failReports = 1;
    const h = start(core);
    await started(h);
    await until(() => core.reportAttempts.length === 1, 2000, 'first report attempt');
    expect(core.reports).toEqual([]);
    core.push(bundle(2, 'v2\n'));
    await until(applied(h, 2), 2000, 'APPLIED v2');
    expect(h.live()).toBe('v2\n');
    // v1's report was superseded by v2's (newest state only) or sent before it; never lost in favour of an older one.
    expect(core.reports[core.reports.length - 1]?.modelVersion).toBe(2);
    expect(await stop(h)).toBe(0);
  });
});

describe('a driver that reloads by a command (third-party proxies)', () => {
  it('runs the reload command on the live directory instead of signalling, and reports a failed reload FAILED', async () => {
    const core = new FakeCore();
    core.push(bundle(1, 'v1\n'));
    const reloads: string[] = [];
    const driver = fakeDriver(async (liveDir) => {
      const text = readFileSync(join(liveDir, 'proxy.conf'), 'utf8');
      reloads.push(text);
      return text.includes('NO-RELOAD') ? { ok: false, output: 'admin endpoint refused the load' } : { ok: true, output: '' };
    });
    const h = start(core, { driver });
    await started(h);
    await until(applied(h, 1), 2000, 'APPLIED v1');
    core.push(bundle(2, 'v2\n'));
    await until(applied(h, 2), 2000, 'APPLIED v2');
    expect(reloads).toEqual(['v2\n']);
    expect(h.child().signals).toEqual([]);
    core.push(bundle(3, 'v3 NO-RELOAD\n'));
    await until(() => core.reports.some((r) => r.modelVersion === 3), 2000, 'report for v3');
    expect(core.reports.find((r) => r.modelVersion === 3)).toMatchObject({ result: ApplyResult.APPLY_RESULT_FAILED, error: 'admin endpoint refused the load' });
    // The next configuration reloads again.
    core.push(bundle(4, 'v4\n'));
    await until(applied(h, 4), 2000, 'APPLIED v4');
    expect(reloads).toEqual(['v2\n', 'v3 NO-RELOAD\n', 'v4\n']);
    expect(await stop(h)).toBe(0);
  });
});

describe('supervision', () => {
  it('exits with the proxy code when the proxy exits on its own, and stops following core', async () => {
    const core = new FakeCore();
    core.push(bundle(1, 'v1\n'));
    const h = start(core);
    await started(h);
    h.child().exit(3);
    expect(await h.done).toBe(3);
    await until(() => core.openStreams === 0, 2000, 'the stream to close');
  });

  it('maps a proxy killed by a signal to 128 + the signal number', async () => {
    const h = start(new FakeCore());
    await started(h);
    h.child().exit(null, 'SIGKILL');
    expect(await h.done).toBe(137);
  });

  it.each(['SIGTERM', 'SIGINT', 'SIGQUIT', 'SIGUSR1'] as const)('forwards %s to the proxy and exits when it exits', async (sig) => {
    const core = new FakeCore();
    const h = start(core);
    await started(h);
    h.controller.abort(sig);
    expect(await h.done).toBe(0);
    expect(h.child().signals).toEqual([sig]);
    // No reload after the stop signal, even when a configuration arrives.
    core.push(bundle(9, 'v9\n'));
    await new Promise((r) => setTimeout(r, 150));
    expect(h.child().signals).toEqual([sig]);
  });

  it('sends the stop signal again while the proxy keeps running', async () => {
    const children: FakeChild[] = [];
    const h = start(new FakeCore(), {
      stopResendMs: 50,
      spawn: (argv) => {
        const c = new FakeChild(argv, []);
        children.push(c);
        return c;
      },
    });
    await until(() => children.length === 1, 5000, 'the proxy to start');
    h.controller.abort('SIGUSR1');
    await until(() => (children[0]?.signals.length ?? 0) >= 3, 2000, 'resent stop signals');
    children[0]?.exit(0);
    expect(await h.done).toBe(0);
    expect(new Set(children[0]?.signals)).toEqual(new Set(['SIGUSR1']));
  });

  it("sends the driver's stop signal when aborted without a signal name", async () => {
    const h = start(new FakeCore());
    await started(h);
    h.controller.abort();
    expect(await h.done).toBe(0);
    expect(h.child().signals).toEqual(['SIGQUIT']);
  });
});
