import { Loop } from '../src/index.js';

describe('Loop', () => {
  beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => jest.useRealTimers());

  it('coalesces a burst of wakes into one round after the first wake’s delay', async () => {
    const starts: number[] = [];
    const loop = new Loop({ run: async () => void starts.push(Date.now()) });
    for (let i = 0; i < 10; i++) {
      loop.wake(100);
      await jest.advanceTimersByTimeAsync(5);
    }
    await jest.advanceTimersByTimeAsync(200);
    expect(starts).toEqual([1_000_100]);
  });

  it('lets the earliest deadline win', async () => {
    const starts: number[] = [];
    const loop = new Loop({ run: async () => void starts.push(Date.now()) });
    loop.wake(3000);
    loop.wake(100);
    loop.wake(2000);
    await jest.advanceTimersByTimeAsync(5000);
    expect(starts).toEqual([1_000_100]);
  });

  it('never overlaps rounds and runs exactly one more after wakes during a round', async () => {
    let active = 0;
    let maxActive = 0;
    let release!: () => void;
    const starts: number[] = [];
    const loop = new Loop({
      run: async () => {
        starts.push(Date.now());
        active++;
        maxActive = Math.max(maxActive, active);
        if (starts.length === 1) await new Promise<void>((r) => (release = r));
        active--;
      },
    });
    loop.wake(0);
    await jest.advanceTimersByTimeAsync(0);
    expect(loop.running).toBe(true);
    for (let i = 0; i < 5; i++) loop.wake(i === 2 ? 10 : 50);
    await jest.advanceTimersByTimeAsync(1000);
    expect(starts).toHaveLength(1);
    release();
    await jest.advanceTimersByTimeAsync(9);
    expect(starts).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(starts).toHaveLength(2);
    await jest.advanceTimersByTimeAsync(10_000);
    expect(starts).toHaveLength(2);
    expect(maxActive).toBe(1);
  });

  it('passes round errors to onError and keeps working', async () => {
    const errors: unknown[] = [];
    let n = 0;
    const loop = new Loop({
      run: async () => {
        n++;
        if (n === 1) throw new Error('boom');
      },
      onError: (e) => errors.push(e),
    });
    loop.wake(0);
    await jest.advanceTimersByTimeAsync(0);
    loop.wake(0);
    await jest.advanceTimersByTimeAsync(0);
    expect(n).toBe(2);
    expect(errors).toEqual([new Error('boom')]);
  });

  it('stop() cancels the pending round, waits for the running one and ignores later wakes', async () => {
    let finished = false;
    let release!: () => void;
    let n = 0;
    const loop = new Loop({
      run: async () => {
        n++;
        await new Promise<void>((r) => (release = r));
        finished = true;
      },
    });
    loop.wake(0);
    await jest.advanceTimersByTimeAsync(0);
    loop.wake(10);
    const stopped = loop.stop();
    let stopResolved = false;
    void stopped.then(() => (stopResolved = true));
    await jest.advanceTimersByTimeAsync(0);
    expect(stopResolved).toBe(false);
    release();
    await stopped;
    expect(finished).toBe(true);
    loop.wake(0);
    await jest.advanceTimersByTimeAsync(1000);
    expect(n).toBe(1);
    expect(loop.scheduled).toBe(false);
  });
});
