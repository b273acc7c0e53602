import { JsonStreamOverflowError, JsonStreamParser } from '../src/index.js';

const events = [
  { Type: 'service', Action: 'create', Actor: { ID: 'a', Attributes: { name: 'web {x} "q" \\ ü 😀' } } },
  { Type: 'container', Action: 'start', Actor: { ID: 'b' }, list: [1, [2, { c: '}' }]] },
  { Type: 'network', Action: 'remove', Actor: { ID: 'c' } },
];
const text = events.map((e) => JSON.stringify(e)).join('\n') + '\n';
const bytes = Buffer.from(text, 'utf8');

describe('JsonStreamParser', () => {
  it('parses a whole stream in one chunk', () => {
    expect(new JsonStreamParser().push(bytes)).toEqual(events);
  });

  it('returns the same values for every split point, including inside multi-byte characters', () => {
    for (let cut = 0; cut <= bytes.length; cut++) {
      const parser = new JsonStreamParser();
      const out = [...parser.push(bytes.subarray(0, cut)), ...parser.push(bytes.subarray(cut)), ...parser.end()];
      expect(out).toEqual(events);
    }
  });

  it('handles one byte per chunk', () => {
    const parser = new JsonStreamParser();
    const out: unknown[] = [];
    for (const b of bytes) out.push(...parser.push(Buffer.from([b])));
    expect(out).toEqual(events);
  });

  it('accepts values without separators and skips stray text between them', () => {
    const parser = new JsonStreamParser();
    expect(parser.push('{"a":1}{"b":2} garbage\r\n [3]')).toEqual([{ a: 1 }, { b: 2 }, [3]]);
  });

  it('reports and skips an invalid value, then continues', () => {
    const invalid: string[] = [];
    const parser = new JsonStreamParser({ onInvalid: (t) => invalid.push(t) });
    expect(parser.push('{"a":1,}\n{"b":2}\n')).toEqual([{ b: 2 }]);
    expect(invalid).toEqual(['{"a":1,}']);
  });

  it('keeps an unfinished value until it completes and drops it at end()', () => {
    const parser = new JsonStreamParser();
    expect(parser.push('{"a":"x')).toEqual([]);
    expect(parser.push('y"}')).toEqual([{ a: 'xy' }]);
    expect(parser.push('{"b":')).toEqual([]);
    expect(parser.end()).toEqual([]);
    expect(parser.push('{"c":3}')).toEqual([{ c: 3 }]);
  });

  it('throws a typed error when a value exceeds the limit', () => {
    const parser = new JsonStreamParser({ maxValueLength: 16 });
    expect(() => parser.push('{"a":"' + 'x'.repeat(32))).toThrow(JsonStreamOverflowError);
    // The parser is usable again afterwards.
    expect(parser.push('{"ok":1}')).toEqual([{ ok: 1 }]);
  });
});
