import { DurationError, durationMs, formatDuration, isDuration, parseDuration } from '../src/index.js';

describe('durationMs (Go time.ParseDuration syntax)', () => {
  it.each<[string, number]>([
    ['0', 0],
    ['0s', 0],
    ['3s', 3000],
    ['500ms', 500],
    ['1m', 60_000],
    ['2h', 7_200_000],
    ['1m30s', 90_000],
    ['1h2m3s', 3_723_000],
    ['1h0m0s', 3_600_000],
    ['1.5s', 1500],
    ['.5s', 500],
    ['1.s', 1000],
    ['1.5h', 5_400_000],
    ['0.1s', 100],
    ['1500us', 1.5],
    ['1500µs', 1.5],
    ['1500μs', 1.5],
    ['2000000ns', 2],
    ['1s500ms', 1500],
    ['3m3m', 360_000], // Go allows a unit twice; the parts add up
    ['10ms1s', 1010], // and in any order
  ])('%j = %d ms', (text, ms) => {
    expect(durationMs(text)).toBe(ms);
    expect(parseDuration(text)).toBe(ms);
    expect(isDuration(text)).toBe(true);
  });

  it.each(['', ' ', '3', '1.5', '-1s', '+1s', '3 s', ' 3s', '3s ', '3S', '1d', '1w', '1y', 'ms', '.s', '1..5s', '1h 30m', '3 seconds', 'soon', '1e3s', '0x10s', '1m30', '1sec'])(
    'refuses %j',
    (text) => {
      expect(durationMs(text)).toBeUndefined();
      expect(isDuration(text)).toBe(false);
      expect(() => parseDuration(text)).toThrow(DurationError);
    },
  );

  it('refuses durations Go cannot represent (more than about 292 years)', () => {
    expect(durationMs('2562047h')).toBeDefined();
    expect(durationMs('2562048h')).toBeUndefined();
    expect(durationMs('99999999999999999999h')).toBeUndefined();
  });

  it('names the value and carries a stable code', () => {
    try {
      parseDuration('soon');
      throw new Error('expected a DurationError');
    } catch (err) {
      expect(err).toBeInstanceOf(DurationError);
      expect((err as DurationError).code).toBe('invalid-duration');
      expect((err as DurationError).value).toBe('soon');
      expect((err as Error).message).toContain('"soon"');
    }
  });
});

describe('formatDuration', () => {
  it.each<[number, string]>([
    [0, '0s'],
    [0.4, '0s'],
    [500, '500ms'],
    [1000, '1s'],
    [1500, '1.5s'],
    [90_000, '1m30s'],
    [3_600_000, '1h0m0s'],
    [3_723_000, '1h2m3s'],
  ])('%d ms = %j', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
    expect(durationMs(text)).toBe(Math.round(ms));
  });

  it('throws a RangeError for negative or non-finite input', () => {
    expect(() => formatDuration(-1)).toThrow(RangeError);
    expect(() => formatDuration(Number.NaN)).toThrow(RangeError);
  });
});
