import {
  DEFAULT_MAX_FILE_BYTES,
  Severity,
  byteLength,
  configParserOf,
  oversizedFiles,
  packChunks,
  partNumber,
  resolveMaxFileBytes,
  splitConfigTable,
} from '../src/index.js';

describe('resolveMaxFileBytes', () => {
  it.each([
    [undefined, DEFAULT_MAX_FILE_BYTES, false],
    [1024, 1024, false],
    [Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY, false],
    [1023, DEFAULT_MAX_FILE_BYTES, true],
    [2048.5, DEFAULT_MAX_FILE_BYTES, true],
    [Number.NaN, DEFAULT_MAX_FILE_BYTES, true],
  ])('%p gives %p', (value, expected, refused) => {
    const { maxFileBytes, problem } = resolveMaxFileBytes(value);
    expect(maxFileBytes).toBe(expected);
    expect(problem !== undefined).toBe(refused);
  });

  it('says what it refused and what it uses instead', () => {
    expect(resolveMaxFileBytes(10).problem).toBe('maxFileBytes 10 is not an integer of at least 1024; using 400000');
  });
});

describe('packChunks', () => {
  it('keeps order and fills each chunk up to the budget', () => {
    expect(packChunks([3, 3, 3, 1], (n) => n, 7)).toEqual([[3, 3], [3, 1]]);
  });

  it('gives an item larger than the budget a chunk of its own', () => {
    expect(packChunks([1, 9, 1], (n) => n, 5)).toEqual([[1], [9], [1]]);
  });

  it('makes no chunk of nothing', () => {
    expect(packChunks([], () => 1, 5)).toEqual([]);
  });
});

describe('partNumber and byteLength', () => {
  it('numbers parts from 001', () => {
    expect([0, 9, 998, 999].map(partNumber)).toEqual(['001', '010', '999', '1000']);
  });

  it('counts UTF-8 bytes', () => {
    expect(byteLength('é')).toBe(2);
  });
});

describe('oversizedFiles', () => {
  it('reports each file over the limit, and only those', () => {
    const files = [
      { path: 'a.conf', content: 'x'.repeat(5) },
      { path: 'b.conf', content: 'x'.repeat(4) },
    ];
    expect(oversizedFiles(files, 4, 'one block is too large to split further')).toEqual([
      {
        service: '',
        label: '',
        code: 'file-too-large',
        message: 'a.conf is 5 bytes, more than maxFileBytes (4): one block is too large to split further',
        severity: Severity.SEVERITY_ERROR,
      },
    ]);
  });
});

describe('configParserOf', () => {
  class DemoConfigError extends Error {
    readonly code = 'invalid-demo-config';
    constructor(readonly issues: { key: string; message: string }[]) {
      super(`invalid demo config: ${issues.map((i) => `${i.key}: ${i.message}`).join('; ')}`);
    }
  }
  const parse = configParserOf((table: unknown) => {
    if (table === 'bad') throw new DemoConfigError([{ key: 'Size', message: 'must be a number' }]);
    if (table === 'bug') throw new TypeError('bug');
    return { config: { table }, ignored: [{ key: 'Version', reason: 'unused' }] };
  }, DemoConfigError);

  it('returns the config and the ignored keys', () => {
    expect(parse(1)).toEqual({ ok: true, config: { table: 1 }, ignored: [{ key: 'Version', reason: 'unused' }] });
  });

  it("returns the typed error's code, message and issues instead of throwing it", () => {
    expect(parse('bad')).toEqual({
      ok: false,
      code: 'invalid-demo-config',
      message: 'invalid demo config: Size: must be a number',
      issues: [{ key: 'Size', message: 'must be a number' }],
    });
  });

  it('lets any other exception through (a programmer error)', () => {
    expect(() => parse('bug')).toThrow(TypeError);
  });
});

describe('splitConfigTable', () => {
  const keys = ['RLimitNoFile', 'User'];
  const ignoredKeys = { Version: 'a version stamp', AdminUser: 'an HAProxy option' };

  it('spells keys as the table does when they differ only in case, and sets ignored keys aside, sorted', () => {
    expect(splitConfigTable({ rlimitnofile: 1, version: 'x', adminuser: 'a', Other: 2 }, keys, ignoredKeys)).toEqual({
      known: { RLimitNoFile: 1, Other: 2 },
      ignored: [
        { key: 'AdminUser', reason: 'an HAProxy option' },
        { key: 'Version', reason: 'a version stamp' },
      ],
    });
  });

  it('keeps a wrongly cased key as written when the exact key is there too (the schema refuses it)', () => {
    expect(splitConfigTable({ User: 'a', USER: 'b' }, keys, ignoredKeys).known).toEqual({ User: 'a', USER: 'b' });
  });

  it('ignores only its own keys, not inherited names', () => {
    expect(splitConfigTable({ constructor: 1 }, keys, ignoredKeys)).toEqual({ known: { constructor: 1 }, ignored: [] });
  });

  it.each([[undefined], [null], [[1]], ['text']])('passes %p through for the schema to refuse', (table) => {
    expect(splitConfigTable(table, keys, ignoredKeys)).toEqual({ known: table, ignored: [] });
  });
});
