/**
 * Property test: hostile strings in every model field that reaches nginx.conf are either skipped
 * with a diagnostic (and never printed) or printed only in safe form, and the rendered file
 * passes the real `nginx -t` (many hostile entries per model, one nginx run per model).
 * SWITCHYARD_FUZZ_RUNS models (default 10,000) get the pure checks; an evenly spread sample of
 * BINARY_CHECKS of them also goes through `nginx -t`. The counts are printed at the end.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { ProxyModel } from '@switchyard/proto';
import { renderNginx } from '../src/index.js';
import { createPki, nginxCheck, type TestPki } from './helpers.js';

jest.setTimeout(180_000);

/** Models generated: SWITCHYARD_FUZZ_RUNS, default 10,000. */
const RUNS = Number(process.env['SWITCHYARD_FUZZ_RUNS'] ?? '') || 10_000;
/** Models also checked with the real nginx -t (evenly spread over the runs). */
const BINARY_CHECKS = 25;

/** Characters a printed value may contain: none of them can break out of an nginx token. */
const SAFE = /^[A-Za-z0-9._~@:+,=!*/-]+$/;

const hostileChars = [...';{}\'"\\$# \t\n\r%&?()[]`', '\u0000', '\u2028', 'é', 'A', '/'];
/**
 * Text for one field: plausible text over the field's own safe alphabet (so that many values
 * are accepted and printed), the same with one hostile character injected, or random text.
 */
function field(safe: string) {
  const safeUnit = fc.constantFrom(...safe);
  return fc.oneof(
    fc.string({ unit: safeUnit, maxLength: 10 }),
    fc
      .tuple(fc.string({ unit: safeUnit, maxLength: 6 }), fc.constantFrom(...hostileChars), fc.string({ unit: safeUnit, maxLength: 6 }))
      .map(([a, b, c]) => `${a}${b}${c}`),
    fc.string({ unit: fc.constantFrom(...safe, ...hostileChars), maxLength: 14 }),
  );
}
const HOST = 'abz09-.';
const PATH = 'abzAZ09-._~@:+,=!/';
const NAME = 'abzAZ09-._';

interface Entry {
  host: string;
  path: string;
  upstream: string;
  cookie: string;
  fromPath: string;
  toUrl: string;
  certFile: string;
  sniHost: string;
}

const entry = fc.record<Entry>({
  host: field(HOST),
  path: field(PATH),
  upstream: field(NAME),
  cookie: field(NAME),
  fromPath: field(PATH),
  toUrl: field(`${HOST}/:`),
  certFile: field(NAME),
  sniHost: field(HOST),
});

let pki: TestPki;
beforeAll(() => {
  pki = createPki(['localhost']);
});
afterAll(() => pki.cleanup());

it('never prints a hostile value and always renders a config nginx accepts', () => {
  let runs = 0;
  let checks = 0;
  const byCode = new Map<string, number>();
  fc.assert(
    fc.property(fc.array(entry, { minLength: 10, maxLength: 30 }), (entries) => {
      runs++;
      // Every value starts with a unique marker so its occurrences can be found in the output.
      const values: { marker: string; value: string }[] = [];
      const mark = (i: number, field: string, prefix: string, random: string) => {
        const marker = `zq${i}${field}x`;
        const value = `${prefix}${marker}${random}`;
        values.push({ marker, value });
        return value;
      };
      const model = ProxyModel.fromPartial({
        hosts: entries.map((e, i) => ({
          host: mark(i, 'h', '', e.host),
          certificate: `cert${i}`,
          routes: [{ path: mark(i, 'p', '/', e.path), upstream: mark(i, 'u', '', e.upstream) }],
          redirects: [{ fromPath: mark(i, 'f', '/', e.fromPath), toUrl: mark(i, 't', 'https://', e.toUrl) }],
        })),
        upstreams: entries.map((e, i) => ({
          name: values.find((v) => v.marker === `zq${i}ux`)?.value ?? '',
          stickyCookie: mark(i, 'c', '', e.cookie),
          endpoints: [{ address: '10.1.0.1', port: 8080, weight: 1 }],
        })),
        certificates: entries.map((e, i) => {
          const file = mark(i, 'k', '', e.certFile);
          return { name: `cert${i}`, certFile: file, keyFile: `${file}.key` };
        }),
        sniRoutes: entries.map((e, i) => ({ host: mark(i, 's', '', e.sniHost), upstream: values.find((v) => v.marker === `zq${i}ux`)?.value ?? '' })),
      });
      const { files, diagnostics } = renderNginx(model, { config: { PidPath: '/tmp/render-nginx-fuzz.pid' } });
      const text = files[0]?.content ?? '';
      const messages = diagnostics.map((d) => d.message).join('\n');
      for (const d of diagnostics) byCode.set(d.code, (byCode.get(d.code) ?? 0) + 1);

      for (const { marker, value } of values) {
        if (text.includes(marker)) {
          // Printed: only in safe form.
          expect(value).toMatch(SAFE);
        } else if (!SAFE.test(value)) {
          // Not printed: a diagnostic names it, or names the entry it belonged to (skipped as a whole).
          const entryMarker = new RegExp(`${marker.slice(0, -2)}[a-z]x`);
          expect(messages).toMatch(entryMarker);
        }
      }

      if (runs % Math.max(1, Math.floor(RUNS / BINARY_CHECKS)) !== 0) return;
      checks++;
      // Certificates the renderer kept must exist for nginx -t: make them in a temp secrets dir.
      const secrets = mkdtempSync(join(tmpdir(), 'render-nginx-fuzz-'));
      try {
        for (const match of text.matchAll(/ssl_certificate(_key)? \/run\/secrets\/([^;\s]+);/g)) {
          copyFileSync(match[1] ? pki.key : pki.cert, join(secrets, match[2] ?? ''));
        }
        const check = nginxCheck(text, secrets);
        if (!check.ok) throw new Error(`nginx -t failed: ${check.output}`);
      } finally {
        rmSync(secrets, { recursive: true, force: true });
      }
    }),
    { numRuns: RUNS },
  );
  const codes = [...byCode.entries()].sort((a, b) => b[1] - a[1]).map(([code, n]) => `${code} ${n}`).join(', ');
  console.log(`render-nginx fuzz: ${runs} models (pure checks), ${checks} nginx -t runs\ndiagnostics by code: ${codes}`);
});
