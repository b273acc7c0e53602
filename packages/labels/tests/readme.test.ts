import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as api from '../src/index.js';

const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');

it('README label table matches LABELS', () => {
  const start = readme.indexOf('\n', readme.indexOf('<!-- labels-table:start')) + 1;
  const end = readme.indexOf('<!-- labels-table:end -->');
  expect(start).toBeGreaterThan(0);
  expect(readme.slice(start, end)).toBe(api.labelsMarkdownTable());
});

it('README example runs on the public API and prints what its comments say', () => {
  const block = /```ts\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
  const importLine = "import { parseServiceLabels } from '@switchyard/labels';";
  expect(block).toContain(importLine);
  // The example is plain JavaScript apart from its import line.
  const body = block.replace(importLine, 'const { parseServiceLabels } = lib;');
  const logs: unknown[][] = [];
  const fakeConsole = { log: (...args: unknown[]) => logs.push(args) };
  new Function('lib', 'console', body)(api, fakeConsole);
  expect(logs).toEqual([
    [['demo.local', 'old.local']],
    ['/app'],
    [[{ sourceHost: 'old.local', sourcePath: '/', target: 'http://demo.local' }]],
    ['SEVERITY_WARNING', 'unknown-label', 'com.docker.lb.sticky: unknown label, ignored'],
    [undefined],
    ['com.docker.lb.hosts: host "a.example.com;\\n}" contains whitespace or control characters'],
  ]);
});

