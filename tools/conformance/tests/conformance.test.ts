/**
 * The routing conformance suite: every row of ../table.ts against real nginx, real HAProxy in its
 * one-file and its split layout, and `explainRequest` (so `switchyard explain` is checked against what
 * the proxies really do). See ../README.md.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { comparable, expectedFor } from '../outcome.js';
import { observeExplain, observeProxy } from '../observe.js';
import { ROWS } from '../table.js';
import { startWorld, TARGETS, type TargetName, type World } from '../world.js';

jest.setTimeout(30_000);

let world: World | undefined;

beforeAll(async () => {
  world = await startWorld();
}, 60_000);

afterAll(async () => {
  await world?.stop();
});

describe('the conformance world', () => {
  it('renders the split HAProxy layout into switchyard.d parts and the one-file layout into one file', () => {
    expect(world!.proxies.default.haproxy.files).toEqual(['haproxy.cfg', 'switchyard.d/certificates.crt-list']);
    expect(world!.proxies.east.haproxy.files).toEqual(['haproxy.cfg']);
    // The east model is small: it fits in one file even with the split layout's small maxFileBytes.
    expect(world!.proxies.default['haproxy-split'].files.filter((f) => f.startsWith('switchyard.d/')).length).toBeGreaterThan(2);
  });

  it('covers every routing page of docs/routing (proxy tuning is not routing)', () => {
    const pages = readdirSync(join(__dirname, '../../../docs/routing'))
      .filter((f) => f.endsWith('.md') && f !== 'README.md' && f !== 'proxy-tuning.md')
      .map((f) => f.replace(/\.md$/, ''));
    expect([...new Set(ROWS.map((r) => r.doc))].sort()).toEqual(pages.sort());
  });

  it('says why wherever targets disagree', () => {
    for (const row of ROWS) if (row.differs) expect(row.differs.why.length).toBeGreaterThan(20);
  });
});

describe.each(ROWS.map((row) => [`${row.doc}: ${row.name}`, row] as const))('%s', (_name, row) => {
  it.each(TARGETS.map((t) => [t] as [TargetName]))('%s', async (target) => {
    const w = world!;
    const { cluster } = row.request;
    const proxy = target === 'explain' ? undefined : w.proxies[cluster][target];
    const observed = proxy ? await observeProxy(proxy, row.request) : observeExplain(w.models[cluster], row.request);
    const { expected, observed: got } = comparable(expectedFor(row, target), observed, target);
    expect(got).toEqual(expected);
  });
});
