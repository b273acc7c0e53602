/**
 * Golden fixtures: fixtures/<case>/model.json (+ options.json) → expected/caddy.json, plus the
 * diagnostics in diagnostics.json. `UPDATE_GOLDEN=1 npx jest -c examples/caddy/jest.config.cjs golden`
 * regenerates them. Every golden file is also checked with the real `caddy validate`.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ProxyModel } from '@switchyard/proto';
import { CADDY_FILE, renderCaddy, type CaddyRenderOptions } from '../src/index.js';
import { caddyHome, validate } from './helpers/caddy.js';

const FIXTURES = join(__dirname, '..', 'fixtures');
const UPDATE = process.env['UPDATE_GOLDEN'] === '1';
const cases = readdirSync(FIXTURES).filter((name) => existsSync(join(FIXTURES, name, 'model.json'))).sort();
const read = (file: string): string => readFileSync(file, 'utf8');

function load(name: string): { model: ProxyModel; options: CaddyRenderOptions } {
  const model = ProxyModel.fromJSON(JSON.parse(read(join(FIXTURES, name, 'model.json'))));
  const optionsFile = join(FIXTURES, name, 'options.json');
  const options = existsSync(optionsFile) ? (JSON.parse(read(optionsFile)) as CaddyRenderOptions) : {};
  return { model, options };
}

let home: string;
beforeAll(() => {
  home = caddyHome();
});
afterAll(() => rmSync(home, { recursive: true, force: true }));

it('has golden fixtures', () => {
  expect(cases.length).toBeGreaterThanOrEqual(8);
});

describe.each(cases)('fixture %s', (name) => {
  const { model, options } = load(name);
  const result = renderCaddy(model, options);

  it('matches the expected file and diagnostics', () => {
    const expectedDir = join(FIXTURES, name, 'expected');
    const diagnosticsFile = join(FIXTURES, name, 'diagnostics.json');
    const diagnostics = `${JSON.stringify(result.diagnostics, null, 2)}\n`;
    if (UPDATE) {
      rmSync(expectedDir, { recursive: true, force: true });
      mkdirSync(expectedDir, { recursive: true });
      for (const file of result.files) writeFileSync(join(expectedDir, file.path), file.content);
      writeFileSync(diagnosticsFile, diagnostics);
    }
    expect(result.files.map((f) => f.path)).toEqual(readdirSync(expectedDir).sort());
    for (const file of result.files) expect(file.content).toBe(read(join(expectedDir, file.path)));
    expect(diagnostics).toBe(read(diagnosticsFile));
  });

  it('is byte-identical when rendered again from a round-tripped model', () => {
    expect(renderCaddy(ProxyModel.fromJSON(ProxyModel.toJSON(model)), options)).toEqual(result);
  });

  it('passes the real caddy validate', async () => {
    const check = await validate(read(join(FIXTURES, name, 'expected', CADDY_FILE)), home);
    expect(check.output).toContain('Valid configuration');
    expect(check.ok).toBe(true);
  });
});
