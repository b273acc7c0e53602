import { Severity } from '@switchyard/proto';
import { LABELS, MAX_LABEL_VALUE_LENGTH, parseServiceLabels } from '../src/index.js';
import type { LabelKind } from '../src/index.js';

const BASE: Record<string, string> = { 'com.docker.lb.hosts': 'app.example.com', 'com.docker.lb.port': '8080' };

/** A valid value for each kind, to hide hostile text behind something plausible. */
const SEED: Record<LabelKind, string> = {
  'host-list': 'app.example.com',
  port: '8080',
  token: 'name',
  path: '/app',
  'path-list': '/ws',
  boolean: 'true',
  enum: '',
  redirects: 'http://app.example.com,http://new.example.com',
  integer: '10',
};

/** Fragments that must never survive into a spec, whatever the label. */
const HOSTILE = [
  '\n',
  '\r\n',
  'a b',
  '{',
  '}',
  '"',
  "'",
  '$',
  '\\',
  '`',
  '\u0000',
  '\u0007',
  '\u007f',
  '\u0430', // Cyrillic a
  '\u212A', // Kelvin sign
  '\u2028',
  '\u202e',
  '\ufeff',
  '#',
  '; return 301 http://evil;',
  '\n}\nserver { listen 80; }',
  '${jndi:x}',
];

const seedFor = (kind: LabelKind, values: readonly string[] | undefined): string =>
  kind === 'enum' ? (values?.[0] ?? '') : SEED[kind];

describe.each(LABELS.map((info) => [info.key, info] as const))('%s', (key, info) => {
  const seed = seedFor(info.kind, info.values);
  const cases = HOSTILE.flatMap((bad) => [bad.trim() === '' ? `x${bad}` : bad, `${seed}${bad}`, `${bad}${seed}`]);

  it.each(cases)('rejects %j', (value) => {
    const r = parseServiceLabels('svc', { ...BASE, [key]: value });
    expect(r.spec).toBeUndefined();
    expect(r.diagnostics).toContainEqual(expect.objectContaining({ label: key, severity: Severity.SEVERITY_ERROR }));
    for (const d of r.diagnostics) expect(d.message).toMatch(/^[\x20-\x7e]*$/);
  });

  it('rejects a 10 KB value with a single value-too-long error', () => {
    const value = `${seed}${'a'.repeat(10 * 1024)}`;
    const r = parseServiceLabels('svc', { ...BASE, [key]: value });
    expect(r.spec).toBeUndefined();
    expect(r.diagnostics.filter((d) => d.label === key)).toEqual([
      expect.objectContaining({ code: 'value-too-long', severity: Severity.SEVERITY_ERROR }),
    ]);
    expect(r.diagnostics[0]?.message.length).toBeLessThan(300);
  });
});

it('caps the length of accepted values', () => {
  const hosts = Array.from({ length: 400 }, (_, i) => `h${i}.example.com`).join(',');
  expect(hosts.length).toBeGreaterThan(MAX_LABEL_VALUE_LENGTH);
  expect(parseServiceLabels('svc', { ...BASE, 'com.docker.lb.hosts': hosts }).spec).toBeUndefined();
});

it('survives odd label objects', () => {
  const weird = Object.create(null) as Record<string, string>;
  weird['com.docker.lb.hosts'] = 'a.com';
  weird['__proto__'] = 'x';
  expect(() => parseServiceLabels('svc', weird)).not.toThrow();
  expect(parseServiceLabels('svc', null as unknown as Record<string, string>)).toEqual({ spec: undefined, diagnostics: [] });
  expect(parseServiceLabels('svc', { 'com.docker.lb.hosts': undefined as unknown as string }).spec).toBeUndefined();
});
