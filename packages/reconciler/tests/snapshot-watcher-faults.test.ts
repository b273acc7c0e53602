import { DEFAULT_BACKOFF, SnapshotWatcher, type Logger } from '../src/index.js';
import { FakeDockerError, FakeDockerPort } from '../src/testing.js';

// Docker API faults as core meets them (tools/e2e/tests/faults.test.ts does the same on a real
// engine): with the defaults core runs with, a stalled engine costs one round's calls and a
// failing one a bounded number of calls, and the watcher recovers by itself in both cases.

const T0 = 1_700_000_000_000;
const quiet: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
const advance = (ms: number) => jest.advanceTimersByTimeAsync(ms);

function setup() {
  const fake = new FakeDockerPort();
  const watcher = new SnapshotWatcher({ docker: fake, logger: quiet, resyncIntervalMs: 2000 });
  const emitted: string[][] = [];
  watcher.onSnapshot((snapshot) => void emitted.push(snapshot.services.map((s) => s.name)));
  return { fake, watcher, emitted };
}

describe('SnapshotWatcher under Docker API faults (core defaults)', () => {
  let watcher: SnapshotWatcher | undefined;
  beforeEach(() => jest.useFakeTimers({ now: T0 }));
  afterEach(async () => {
    await watcher?.stop();
    watcher = undefined;
    jest.useRealTimers();
  });

  it('a stalled engine: one round waits for it, events and resyncs pile up no calls, and the change made meanwhile is seen once it answers', async () => {
    const ctx = setup();
    watcher = ctx.watcher;
    ctx.fake.holdLists();
    watcher.start();
    for (let s = 0; s < 60; s++) {
      ctx.fake.emitEvent('service', 'update', `svc-${s}`);
      await advance(1000);
    }
    // One minute stalled: the first round's four calls and nothing else.
    expect(ctx.fake.listCallCount).toBe(4);
    expect(ctx.fake.maxListsInFlight).toBe(4);
    expect(ctx.emitted).toEqual([]);

    await ctx.fake.createService({ Name: 'late' });
    ctx.fake.releaseLists();
    await advance(0);
    expect(ctx.emitted).toEqual([['late']]);
    // The wakes during the stalled round give exactly one more round, then the normal cadence.
    await advance(500);
    expect(ctx.fake.callCount('listServices')).toBe(2);
    expect(watcher.stats()).toMatchObject({ errors: 0, consecutiveErrors: 0 });
  });

  it('a failing engine for five minutes: calls bounded by the backoff (no tight loop, events do not defeat it), then recovery at the next retry', async () => {
    const ctx = setup();
    watcher = ctx.watcher;
    ctx.fake.failAlways('listServices', new FakeDockerError('Cannot connect to the Docker daemon', 503));
    watcher.start();
    for (let s = 0; s < 300; s++) {
      ctx.fake.emitEvent('container', 'die', `c-${s}`);
      await advance(1000);
    }
    // Rounds at 0, 0.5, 1.5, 3.5, 7.5, 15.5, 31.5 s, then every 30 s (61.5 ... 271.5): 15 rounds.
    expect(DEFAULT_BACKOFF).toMatchObject({ initialMs: 500, maxMs: 30_000 });
    expect(ctx.fake.callCount('listServices')).toBe(15);
    expect(ctx.fake.listCallCount).toBe(15 * 4);
    expect(watcher.stats()).toMatchObject({ errors: 15, consecutiveErrors: 15, reconciles: 0 });
    expect(ctx.emitted).toEqual([]);

    await ctx.fake.createService({ Name: 'late' });
    ctx.fake.clearFailures();
    // The next retry is due at 301.5 s (271.5 + 30): that round succeeds and sees the change.
    await advance(1499);
    expect(ctx.emitted).toEqual([]);
    await advance(1);
    expect(ctx.emitted).toEqual([['late']]);
    expect(watcher.stats()).toMatchObject({ errors: 15, consecutiveErrors: 0, reconciles: 1 });
  });
});
