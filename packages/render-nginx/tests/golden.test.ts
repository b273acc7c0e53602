/**
 * Golden fixtures: fixtures/<case>/model.json (+ options.json) → expected/<file>, plus the
 * diagnostics in diagnostics.json. `UPDATE_GOLDEN=1 npx jest --selectProjects render-nginx`
 * regenerates them. Every golden file is also checked with the real `nginx -t`; the only
 * substitution is the `/run/secrets/` prefix, pointed at a temp dir of generated test certificates.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ProxyModel } from '@switchyard/proto';
import { renderNginx, type NginxRenderOptions } from '../src/index.js';
import { createPki, nginxCheck, populateSecrets, read, type TestPki } from './helpers.js';

const FIXTURES = join(__dirname, '..', 'fixtures');
const UPDATE = process.env['UPDATE_GOLDEN'] === '1';
const cases = readdirSync(FIXTURES).filter((name) => existsSync(join(FIXTURES, name, 'model.json'))).sort();

function load(name: string): { model: ProxyModel; options: NginxRenderOptions } {
  const model = ProxyModel.fromJSON(JSON.parse(read(join(FIXTURES, name, 'model.json'))));
  const optionsFile = join(FIXTURES, name, 'options.json');
  const options = existsSync(optionsFile) ? (JSON.parse(read(optionsFile)) as NginxRenderOptions) : {};
  return { model, options };
}

let pki: TestPki;
let secrets: string;

beforeAll(() => {
  pki = createPki(['localhost']);
  secrets = mkdtempSync(join(tmpdir(), 'render-nginx-secrets-'));
  const files = cases.flatMap((name) => load(name).model.certificates.map((c) => ({ certFile: c.certFile, keyFile: c.keyFile })));
  populateSecrets(pki, secrets, files.filter((f) => /^[A-Za-z0-9_.-]+$/.test(f.certFile) && /^[A-Za-z0-9_.-]+$/.test(f.keyFile)));
});

afterAll(() => {
  pki?.cleanup();
  if (secrets) rmSync(secrets, { recursive: true, force: true });
});

it('has golden fixtures', () => {
  expect(cases.length).toBeGreaterThanOrEqual(15);
});

describe.each(cases)('fixture %s', (name) => {
  const { model, options } = load(name);
  const result = renderNginx(model, options);

  it('matches the expected files and diagnostics', () => {
    const expectedDir = join(FIXTURES, name, 'expected');
    const diagnosticsFile = join(FIXTURES, name, 'diagnostics.json');
    const diagnostics = `${JSON.stringify(result.diagnostics, null, 2)}\n`;
    if (UPDATE) {
      rmSync(expectedDir, { recursive: true, force: true });
      for (const file of result.files) {
        mkdirSync(dirname(join(expectedDir, file.path)), { recursive: true });
        writeFileSync(join(expectedDir, file.path), file.content);
      }
      writeFileSync(diagnosticsFile, diagnostics);
    }
    expect(result.files.map((f) => f.path)).toEqual(readdirSync(expectedDir).sort());
    for (const file of result.files) expect(file.content).toBe(read(join(expectedDir, file.path)));
    expect(diagnostics).toBe(read(diagnosticsFile));
  });

  it('is byte-identical when rendered again', () => {
    expect(renderNginx(ProxyModel.fromJSON(ProxyModel.toJSON(model)), options)).toEqual(result);
  });

  it('passes the real nginx -t', () => {
    const main = read(join(FIXTURES, name, 'expected', 'nginx.conf'));
    const check = nginxCheck(main, secrets);
    expect(check.output).toBe('');
    expect(check.ok).toBe(true);
  });
});
