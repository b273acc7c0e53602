import { backoffDelay } from '../src/index.js';

describe('backoffDelay', () => {
  it('grows exponentially from initialMs and caps at maxMs', () => {
    const opts = { initialMs: 100, maxMs: 1000 };
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, opts))).toEqual([100, 200, 400, 800, 1000, 1000]);
  });

  it('honours the factor, treats attempts below 1 as 1 and stays finite for huge attempts', () => {
    expect(backoffDelay(3, { initialMs: 10, maxMs: 10_000, factor: 3 })).toBe(90);
    expect(backoffDelay(0, { initialMs: 10, maxMs: 100 })).toBe(10);
    expect(backoffDelay(1e9, { initialMs: 10, maxMs: 100 })).toBe(100);
  });
});
