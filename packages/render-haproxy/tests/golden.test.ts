import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ProxyModel } from '@switchyard/proto';
import { renderHaproxy } from '../src/index.js';
import type { HaproxyRenderOptions } from '../src/index.js';
import { haproxyCheck, installCert, makePki } from './helpers/tools.js';
import type { TestPki } from './helpers/tools.js';

const FIXTURES = join(__dirname, '..', 'fixtures');
const UPDATE = process.env['UPDATE_GOLDEN'] === '1';
const cases = readdirSync(FIXTURES, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
  .sort();

function load(name: string): { model: ProxyModel; options: HaproxyRenderOptions } {
  const dir = join(FIXTURES, name);
  const model = ProxyModel.fromJSON(JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')));
  const optionsFile = join(dir, 'options.json');
  const options = existsSync(optionsFile) ? (JSON.parse(readFileSync(optionsFile, 'utf8')) as HaproxyRenderOptions) : {};
  return { model, options };
}

let pki: TestPki;

beforeAll(() => {
  pki = makePki(['example.com', '*.example.com', '*.pass.example.com']);
  // Every certificate file name any fixture refers to gets the test certificate.
  for (const name of cases) {
    for (const cert of load(name).model.certificates) {
      if (/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(cert.certFile)) installCert(pki, pki.dir, cert.certFile);
    }
  }
});

afterAll(() => pki.cleanup());

describe.each(cases)('fixture %s', (name) => {
  const dir = join(FIXTURES, name);

  it('matches the golden files and diagnostics', () => {
    const { model, options } = load(name);
    const result = renderHaproxy(model, options);
    expect(result.files[0]?.path).toBe('haproxy.cfg');
    const diagnostics = `${JSON.stringify(result.diagnostics, null, 2)}\n`;
    if (UPDATE) {
      for (const file of result.files) {
        const target = join(dir, 'expected', file.path);
        mkdirSync(dirname(target), { recursive: true });
        writeFileSync(target, file.content);
      }
      writeFileSync(join(dir, 'diagnostics.json'), diagnostics);
    }
    for (const file of result.files) {
      expect(file.content).toBe(readFileSync(join(dir, 'expected', file.path), 'utf8'));
    }
    expect(diagnostics).toBe(readFileSync(join(dir, 'diagnostics.json'), 'utf8'));
    // Byte-identical on a second run.
    expect(renderHaproxy(model, options)).toEqual(result);
  });

  it('golden files pass `haproxy -c` with zero warnings', () => {
    const { model, options } = load(name);
    const golden = renderHaproxy(model, options).files.map((f) => ({ path: f.path, content: readFileSync(join(dir, 'expected', f.path), 'utf8') }));
    const { status, output } = haproxyCheck(golden, pki.dir);
    expect(output).not.toMatch(/WARNING|ALERT/);
    expect(status).toBe(0);
  });
});
