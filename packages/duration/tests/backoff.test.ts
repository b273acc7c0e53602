import fc from 'fast-check';
import { BACKOFF_JITTERS, Backoff, backoffDelay, type BackoffJitter } from '../src/index.js';

/** A random source replaying `values` in a loop. */
const sequence = (...values: number[]) => {
  let i = 0;
  return () => values[i++ % values.length]!;
};

describe('backoffDelay without jitter', () => {
  it('grows exponentially from initialMs and caps at maxMs', () => {
    const opts = { initialMs: 100, maxMs: 1000 };
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, opts))).toEqual([100, 200, 400, 800, 1000, 1000]);
  });

  it('honours the factor, treats attempts below 1 as 1 and stays finite for huge attempts', () => {
    expect(backoffDelay(3, { initialMs: 10, maxMs: 10_000, factor: 3 })).toBe(90);
    expect(backoffDelay(0, { initialMs: 10, maxMs: 100 })).toBe(10);
    expect(backoffDelay(Number.NaN, { initialMs: 10, maxMs: 100 })).toBe(10);
    expect(backoffDelay(1e9, { initialMs: 10, maxMs: 100 })).toBe(100);
    expect(backoffDelay(Infinity, { initialMs: 10, maxMs: 100 })).toBe(10);
  });

  it('never calls the random source', () => {
    const random = jest.fn(() => 0.5);
    backoffDelay(4, { initialMs: 10, maxMs: 100, jitter: 'none' }, random);
    expect(random).not.toHaveBeenCalled();
  });

  it('treats a cap below initialMs as initialMs and negative values as 0', () => {
    expect(backoffDelay(5, { initialMs: 300, maxMs: 100 })).toBe(300);
    expect(backoffDelay(5, { initialMs: -5, maxMs: 100 })).toBe(0);
  });
});

describe('backoffDelay with equal jitter', () => {
  it('doubles up to the cap with the jitter in the upper half', () => {
    const b = { initialMs: 100, maxMs: 1000, jitter: 'equal' as const };
    expect([1, 2, 3, 4, 5, 50].map((n) => backoffDelay(n, b, () => 0))).toEqual([50, 100, 200, 400, 500, 500]);
    expect([1, 2, 3, 4, 5, 50].map((n) => backoffDelay(n, b, () => 0.999999))).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect(backoffDelay(0, b, () => 0.5)).toBe(75);
  });
});

describe('backoffDelay with full jitter', () => {
  it('lies anywhere in [0, capped exponential]', () => {
    const b = { initialMs: 100, maxMs: 1000, jitter: 'full' as const };
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(n, b, () => 0))).toEqual([0, 0, 0, 0, 0]);
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(n, b, () => 0.5))).toEqual([50, 100, 200, 400, 500]);
    expect(backoffDelay(40, b, () => 0.999999)).toBe(1000);
  });

  it('clamps a misbehaving random source into [0, 1]', () => {
    const b = { initialMs: 100, maxMs: 1000, jitter: 'full' as const };
    expect(backoffDelay(2, b, () => -3)).toBe(0);
    expect(backoffDelay(2, b, () => 7)).toBe(200);
    expect(backoffDelay(2, b, () => Number.NaN)).toBe(0);
  });
});

describe('backoffDelay with decorrelated jitter', () => {
  it('draws from [initialMs, 3 × previous], capped', () => {
    const b = { initialMs: 100, maxMs: 1000, jitter: 'decorrelated' as const };
    expect(backoffDelay(1, b, () => 0)).toBe(100);
    expect(backoffDelay(1, b, () => 0.999999)).toBe(300);
    expect(backoffDelay(2, b, () => 0.5, 300)).toBe(500);
    expect(backoffDelay(9, b, () => 0.999999, 900)).toBe(1000);
    // A previous delay below the floor counts as the floor.
    expect(backoffDelay(2, b, () => 0.5, 0)).toBe(200);
  });
});

describe('Backoff', () => {
  it('counts attempts, follows the policy and starts over on reset', () => {
    const b = new Backoff({ initialMs: 100, maxMs: 1000 });
    expect(b.attempt).toBe(0);
    expect([b.next(), b.next(), b.next()]).toEqual([100, 200, 400]);
    expect(b.attempt).toBe(3);
    b.reset();
    expect(b.attempt).toBe(0);
    expect(b.next()).toBe(100);
  });

  it('feeds the previous delay to decorrelated jitter, and forgets it on reset', () => {
    const b = new Backoff({ initialMs: 100, maxMs: 10_000, jitter: 'decorrelated' }, () => 0.999999);
    expect([b.next(), b.next(), b.next(), b.next(), b.next()]).toEqual([300, 900, 2700, 8100, 10_000]);
    b.reset();
    expect(b.next()).toBe(300);
  });

  it('uses the injected random source (equal jitter)', () => {
    const b = new Backoff({ initialMs: 100, maxMs: 1000, jitter: 'equal' }, sequence(0, 1));
    expect([b.next(), b.next(), b.next()]).toEqual([50, 200, 200]);
  });

  it('copies its options (later changes to the caller’s object do not leak in)', () => {
    const opts = { initialMs: 100, maxMs: 1000 };
    const b = new Backoff(opts);
    opts.initialMs = 1;
    expect(b.next()).toBe(100);
    expect(b.options).toEqual({ initialMs: 100, maxMs: 1000 });
  });
});

describe('properties', () => {
  it('every delay is a whole number of milliseconds within [0, max(initialMs, maxMs)]', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 100_000 }),
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.constantFrom<BackoffJitter>(...BACKOFF_JITTERS),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), { minLength: 1, maxLength: 30 }),
        (initialMs, maxMs, jitter, draws) => {
          const b = new Backoff({ initialMs, maxMs, jitter }, sequence(...draws));
          for (let i = 0; i < draws.length; i++) {
            const d = b.next();
            expect(Number.isInteger(d)).toBe(true);
            expect(d).toBeGreaterThanOrEqual(jitter === 'decorrelated' ? initialMs : 0);
            expect(d).toBeLessThanOrEqual(Math.max(initialMs, maxMs));
          }
        },
      ),
    );
  });
});
