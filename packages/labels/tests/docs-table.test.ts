/**
 * The user docs' label tables (docs/interlock-compatibility.md) list exactly the labels of the registry,
 * so a label added to, renamed in or removed from `LABELS` cannot drift from what users read.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LABELS, labelInfo, LabelKey } from '../src/index.js';

const doc = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'interlock-compatibility.md'), 'utf8');

/** Backquoted service-label keys in the first cell of the rows of the "Service labels" section. */
function documentedKeys(): string[] {
  const start = doc.indexOf('## Service labels');
  const end = doc.indexOf('\n## ', start + 1);
  expect(start).toBeGreaterThan(-1);
  const keys: string[] = [];
  for (const line of doc.slice(start, end).split('\n')) {
    if (!line.startsWith('| `')) continue;
    const first = line.split(' | ')[0] ?? '';
    if (first.includes('(secret)') || first.includes('*')) continue; // secret labels, "any other com.docker.lb.*"
    for (const m of first.matchAll(/`([a-z.]+\.lb\.[a-z_]+)`/g)) keys.push(m[1] as string);
  }
  return keys;
}

it('docs/interlock-compatibility.md lists every label of the registry, once, and no other', () => {
  const keys = documentedKeys();
  expect([...keys].sort()).toEqual(LABELS.map((l) => l.key).sort());
  expect(new Set(keys).size).toBe(keys.length);
});

it('every default the docs state is the registry default', () => {
  expect(doc).toContain(`\`${LabelKey.backendMode}\` | \`${labelInfo(LabelKey.backendMode)?.default}\` (default)`);
  expect(doc).toMatch(new RegExp(`\`${LabelKey.sslBackendTlsVerify.replace(/\./g, '\\.')}\`.*default \`${labelInfo(LabelKey.sslBackendTlsVerify)?.default}\``));
});
