import type { SwarmSnapshot } from '@switchyard/proto';
import { SnapshotWatcher, type Logger, type SnapshotInfo, type SnapshotWatcherOptions } from '../src/index.js';
import { FakeDockerPort, FakeDockerError } from '../src/testing.js';

const T0 = 1_700_000_000_000;

/** A logger that records entries, so tests can assert on what was reported. */
function recordingLogger() {
  const entries: { level: string; message: string; meta?: Record<string, unknown> }[] = [];
  const at = (level: string) => (message: string, meta?: Record<string, unknown>) => void entries.push({ level, message, meta });
  const logger: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
  return { logger, entries };
}

function setup(options: Partial<SnapshotWatcherOptions> = {}) {
  const fake = new FakeDockerPort();
  const { logger, entries } = recordingLogger();
  const watcher = new SnapshotWatcher({ docker: fake, logger, ...options });
  const emitted: { snapshot: SwarmSnapshot; info: SnapshotInfo; at: number }[] = [];
  watcher.onSnapshot((snapshot, info) => void emitted.push({ snapshot, info, at: Date.now() }));
  const frontId = fake.addNetwork({ Name: 'front' });
  return { fake, watcher, emitted, entries, frontId };
}

/** Reconcile rounds so far, counted by the fake's listServices calls (each round lists once). */
const rounds = (fake: FakeDockerPort) => fake.callCount('listServices');
const advance = (ms: number) => jest.advanceTimersByTimeAsync(ms);

describe('SnapshotWatcher', () => {
  let watcher: SnapshotWatcher | undefined;
  beforeEach(() => jest.useFakeTimers({ now: T0 }));
  afterEach(async () => {
    await watcher?.stop();
    watcher = undefined;
    jest.useRealTimers();
  });

  it('emits a first snapshot at start and subscribes to the configured event types', async () => {
    const ctx = setup();
    watcher = ctx.watcher;
    const web = await ctx.fake.createService({ Name: 'web', Labels: { 'com.docker.lb.hosts': 'web.local' } });
    ctx.fake.addTask(web, { [ctx.frontId]: '10.0.1.3/24' });
    watcher.start();
    await advance(0);
    expect(ctx.emitted).toHaveLength(1);
    const snap = ctx.emitted[0]?.snapshot;
    expect(snap?.services.map((s) => [s.name, s.labels])).toEqual([['web', { 'com.docker.lb.hosts': 'web.local' }]]);
    expect(snap?.tasks[0]?.attachments).toEqual([{ networkId: ctx.frontId, addresses: ['10.0.1.3'] }]);
    expect(watcher.latest).toEqual(snap);
    expect(ctx.emitted[0]?.info).toMatchObject({ reconcile: 1, atMs: T0 });
    expect(ctx.fake.subscriberCount).toBe(1);
  });

  it('makes exactly 4 list calls per round, whatever the number of services', async () => {
    for (const count of [0, 1, 50]) {
      const ctx = setup();
      for (let i = 0; i < count; i++) {
        const id = await ctx.fake.createService({ Name: `svc-${i}` });
        ctx.fake.addTask(id, { [ctx.frontId]: `10.0.${i}.2/24` });
        ctx.fake.addTask(id, { [ctx.frontId]: `10.0.${i}.3/24` });
      }
      ctx.fake.resetCalls();
      ctx.watcher.start();
      await advance(0);
      await advance(3000 * 3);
      const stats = ctx.watcher.stats();
      expect(stats.reconciles).toBe(4);
      expect(ctx.fake.listCallCount).toBe(16);
      expect(ctx.fake.calls).toMatchObject({ listServices: 4, listTasks: 4, listNetworks: 4, listSecrets: 4, listConfigs: 0, inspectService: 0 });
      expect(stats.listCalls).toBe(16);
      expect(ctx.emitted[0]?.snapshot.tasks).toHaveLength(count * 2);
      await ctx.watcher.stop();
    }
  });

  it('coalesces a burst of events into one debounced round', async () => {
    const ctx = setup({ debounceMs: 100, settle: { durationMs: 0 } });
    watcher = ctx.watcher;
    watcher.start();
    await advance(0);
    expect(rounds(ctx.fake)).toBe(1);
    await advance(1000);
    for (let i = 0; i < 20; i++) {
      ctx.fake.emitEvent('container', 'start', `c${i}`);
      await advance(4);
    }
    // 20 events over 80 ms: one round, 100 ms after the first.
    await advance(19);
    expect(rounds(ctx.fake)).toBe(1);
    await advance(1);
    expect(rounds(ctx.fake)).toBe(2);
    await advance(1500);
    expect(rounds(ctx.fake)).toBe(2);
    expect(watcher.stats().events).toBe(20);
  });

  it('is single-flight: wakes during a round give exactly one more round', async () => {
    const ctx = setup({ debounceMs: 50, settle: { durationMs: 0 } });
    watcher = ctx.watcher;
    ctx.fake.holdLists();
    watcher.start();
    await advance(0);
    expect(ctx.fake.listsInFlight).toBe(4);
    for (let i = 0; i < 10; i++) {
      ctx.fake.emitEvent('container', 'die', `c${i}`);
      watcher.wake();
      await advance(100);
    }
    expect(rounds(ctx.fake)).toBe(1);
    ctx.fake.releaseLists();
    await advance(0);
    expect(ctx.emitted).toHaveLength(1);
    await advance(50);
    expect(rounds(ctx.fake)).toBe(2);
    await advance(2900);
    expect(rounds(ctx.fake)).toBe(2);
    await advance(100);
    expect(rounds(ctx.fake)).toBe(3);
    expect(ctx.fake.maxListsInFlight).toBe(4);
  });

  it('emits only when the snapshot changed', async () => {
    const ctx = setup();
    watcher = ctx.watcher;
    const web = await ctx.fake.createService({ Name: 'web' });
    watcher.start();
    await advance(0);
    await advance(30_000);
    expect(watcher.stats().reconciles).toBeGreaterThan(5);
    expect(ctx.emitted).toHaveLength(1);
    const taskId = ctx.fake.addTask(web, { [ctx.frontId]: '10.0.1.7/24' });
    await advance(3000);
    expect(ctx.emitted).toHaveLength(2);
    expect(ctx.emitted[1]?.snapshot.tasks.map((t) => t.id)).toEqual([taskId]);
    expect(ctx.emitted[1]?.info.digest).not.toBe(ctx.emitted[0]?.info.digest);
    // Same content in a different list order is not a change.
    ctx.fake.networks.reverse();
    ctx.fake.addNetwork({ Name: 'zeta' });
    ctx.fake.networks = ctx.fake.networks.filter((n) => n.Name !== 'zeta');
    await advance(9000);
    expect(ctx.emitted).toHaveLength(2);
    expect(watcher.stats().snapshots).toBe(2);
  });

  it('resyncs periodically without events (task changes on other nodes)', async () => {
    const ctx = setup({ resyncIntervalMs: 3000 });
    watcher = ctx.watcher;
    const web = await ctx.fake.createService({ Name: 'web' });
    watcher.start();
    await advance(0);
    ctx.fake.addTask(web, {}, { NodeID: 'remote-node' });
    await advance(2999);
    expect(ctx.emitted).toHaveLength(1);
    await advance(1);
    expect(ctx.emitted).toHaveLength(2);
    expect(ctx.emitted[1]?.at).toBe(T0 + 3000);
  });

  it('polls every settle interval for the settle duration after a service event', async () => {
    const ctx = setup({ debounceMs: 100, resyncIntervalMs: 3000, settle: { intervalMs: 500, durationMs: 2000 } });
    watcher = ctx.watcher;
    watcher.start();
    await advance(0);
    await advance(3000); // round 2 at T0+3000
    const before = rounds(ctx.fake);
    const id = await ctx.fake.createService({ Name: 'web' }); // emits service create
    await advance(100); // debounced round
    expect(rounds(ctx.fake)).toBe(before + 1);
    // Tasks come up later: seen within one settle interval, not only at the next resync.
    ctx.fake.addTask(id, { [ctx.frontId]: '10.0.1.9/24' });
    await advance(500);
    expect(ctx.emitted.at(-1)?.snapshot.tasks).toHaveLength(1);
    // Settling lasts 2 s after the event: rounds at +100, +600, +1100, +1600, +2100, then resync pace.
    await advance(1500);
    expect(rounds(ctx.fake)).toBe(before + 5);
    await advance(2999);
    expect(rounds(ctx.fake)).toBe(before + 5);
    await advance(1);
    expect(rounds(ctx.fake)).toBe(before + 6);
  });

  it('polls every starting interval while a task that should run is still starting, then every settle interval', async () => {
    const ctx = setup({ debounceMs: 100, resyncIntervalMs: 3000, settle: { intervalMs: 500, startingIntervalMs: 150, durationMs: 5000 } });
    watcher = ctx.watcher;
    watcher.start();
    await advance(0);
    const id = await ctx.fake.createService({ Name: 'web' });
    await advance(100);
    const afterEvent = rounds(ctx.fake);
    const task = ctx.fake.addTask(id, { [ctx.frontId]: '10.0.1.9/24' }, { DesiredState: 'running', Status: { State: 'starting' } });
    await advance(500); // the next settle round sees the starting task
    const seen = rounds(ctx.fake);
    expect(seen).toBe(afterEvent + 1);
    await advance(450); // starting: a round every 150 ms
    expect(rounds(ctx.fake)).toBe(seen + 3);
    const started = ctx.fake.tasks.find((t) => t.ID === task);
    if (started) started.Status = { State: 'running' };
    await advance(150); // this round sees it running ...
    expect(ctx.emitted.at(-1)?.snapshot.tasks.find((t) => t.id === task)?.state).toBe('running');
    const running = rounds(ctx.fake);
    await advance(450); // ... and the pace goes back to the settle interval
    expect(rounds(ctx.fake)).toBe(running);
    await advance(50);
    expect(rounds(ctx.fake)).toBe(running + 1);
  });

  it('does not poll fast for a task that stays pending once the settle window is over', async () => {
    const ctx = setup({ debounceMs: 100, resyncIntervalMs: 3000, settle: { intervalMs: 500, startingIntervalMs: 150, durationMs: 1000 } });
    watcher = ctx.watcher;
    watcher.start();
    await advance(0);
    const id = await ctx.fake.createService({ Name: 'web' });
    ctx.fake.addTask(id, {}, { DesiredState: 'running', Status: { State: 'pending' } });
    // Rounds every 150 ms from +100 while the window lasts; the one at +1000 is outside it (the
    // window is 1000 ms after the event) and schedules the next at the resync pace, +4000.
    await advance(1200);
    const settled = rounds(ctx.fake);
    await advance(2799);
    expect(rounds(ctx.fake)).toBe(settled);
    await advance(1);
    expect(rounds(ctx.fake)).toBe(settled + 1);
    await advance(2999);
    expect(rounds(ctx.fake)).toBe(settled + 1);
    await advance(1);
    expect(rounds(ctx.fake)).toBe(settled + 2);
  });

  it('backs off exponentially after failed rounds, ignores events meanwhile, and recovers', async () => {
    const ctx = setup({ backoff: { initialMs: 100, maxMs: 1000 }, debounceMs: 10 });
    watcher = ctx.watcher;
    ctx.fake.failAlways('listTasks', new FakeDockerError('daemon down', 503));
    watcher.start();
    const times: number[] = [];
    let last = 0;
    for (let t = 0; t <= 4000; t += 10) {
      await advance(t === 0 ? 0 : 10);
      if (rounds(ctx.fake) !== last) {
        last = rounds(ctx.fake);
        times.push(Date.now() - T0);
      }
      if (t === 500) ctx.fake.emitEvent('container', 'start', 'x');
    }
    // Rounds at 0, +100, +200, +400, +800, +1000, +1000 ... (cumulative 0,100,300,700,1500,2500,3500)
    expect(times).toEqual([0, 100, 300, 700, 1500, 2500, 3500]);
    expect(ctx.emitted).toHaveLength(0);
    const failing = watcher.stats();
    expect(failing.errors).toBe(7);
    expect(failing.consecutiveErrors).toBe(7);
    expect(failing.lastErrorAtMs).toBe(T0 + 3500);
    expect(ctx.entries.filter((e) => e.level === 'warn' && e.message.startsWith('reconcile round failed'))).toHaveLength(7);
    expect(ctx.entries.find((e) => e.message.startsWith('reconcile round failed'))?.meta).toMatchObject({ error: 'daemon down', statusCode: 503, attempt: 1, retryInMs: 100 });

    ctx.fake.clearFailures();
    await advance(1000);
    expect(ctx.emitted).toHaveLength(1);
    expect(watcher.stats()).toMatchObject({ consecutiveErrors: 0, errors: 7, reconciles: 1 });
  });

  it('resubscribes with backoff after the event stream ends or fails, and looks again', async () => {
    const ctx = setup({ backoff: { initialMs: 200, maxMs: 800 }, settle: { durationMs: 0 } });
    watcher = ctx.watcher;
    watcher.start();
    await advance(0);
    expect(ctx.fake.callCount('events')).toBe(1);

    ctx.fake.endEvents();
    await advance(199);
    expect(ctx.fake.subscriberCount).toBe(0);
    await advance(1);
    expect(ctx.fake.callCount('events')).toBe(2);
    expect(ctx.fake.subscriberCount).toBe(1);
    const roundsAfterResubscribe = rounds(ctx.fake);
    await advance(100);
    // A resubscription triggers a debounced round (events may have been missed).
    expect(rounds(ctx.fake)).toBe(roundsAfterResubscribe + 1);

    // The stream delivered an event (healthy), then breaks and subscribing fails twice:
    // the delay starts again at 200 and doubles (200, 400, 800).
    ctx.fake.emitEvent('secret', 'create', 's1');
    await advance(0);
    ctx.fake.failNext('events', new Error('refused'), 2);
    ctx.fake.failEvents(new Error('reset'));
    await advance(0);
    expect(ctx.fake.callCount('events')).toBe(2);
    await advance(200);
    expect(ctx.fake.callCount('events')).toBe(3);
    await advance(399);
    expect(ctx.fake.callCount('events')).toBe(3);
    await advance(1);
    expect(ctx.fake.callCount('events')).toBe(4);
    await advance(800);
    expect(ctx.fake.callCount('events')).toBe(5);
    expect(ctx.fake.subscriberCount).toBe(1);

    // A working stream again: events wake the watcher.
    await advance(3000);
    const before = rounds(ctx.fake);
    ctx.fake.emitEvent('network', 'create', 'n2');
    await advance(100);
    expect(rounds(ctx.fake)).toBe(before + 1);
    expect(watcher.stats()).toMatchObject({ subscriptions: 5, eventStreamFailures: 4 });
    expect(ctx.entries.filter((e) => e.message.includes('resubscribing'))).toHaveLength(4);
  });

  it('keeps going when a listener throws or rejects', async () => {
    const ctx = setup();
    watcher = ctx.watcher;
    watcher.onSnapshot(() => {
      throw new Error('listener bug');
    });
    watcher.onSnapshot(async () => {
      throw new Error('async listener bug');
    });
    const later: SwarmSnapshot[] = [];
    const off = watcher.onSnapshot((s) => void later.push(s));
    watcher.start();
    await advance(0);
    expect(ctx.emitted).toHaveLength(1);
    expect(later).toHaveLength(1);
    expect(ctx.entries.filter((e) => e.level === 'error').map((e) => e.meta?.['error'])).toEqual(['listener bug', 'async listener bug']);
    off();
    ctx.fake.addNetwork({ Name: 'back' });
    await advance(3000);
    expect(ctx.emitted).toHaveLength(2);
    expect(later).toHaveLength(1);
  });

  it('stop() closes the stream, cancels timers and waits for the running round', async () => {
    const ctx = setup();
    watcher = ctx.watcher;
    watcher.start();
    await advance(0);
    ctx.fake.holdLists();
    await advance(3000);
    expect(ctx.fake.listsInFlight).toBe(4);
    let stopped = false;
    const stopping = watcher.stop().then(() => (stopped = true));
    await advance(0);
    expect(stopped).toBe(false);
    ctx.fake.releaseLists();
    await advance(0);
    await stopping;
    expect(ctx.fake.subscriberCount).toBe(0);
    const calls = ctx.fake.listCallCount;
    ctx.fake.emitEvent('service', 'create', 'x');
    await advance(60_000);
    expect(ctx.fake.listCallCount).toBe(calls);
    expect(watcher.started).toBe(false);
    expect(jest.getTimerCount()).toBe(0);
  });
});
