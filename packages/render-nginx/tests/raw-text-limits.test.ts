/**
 * Regressions (injection corpus, tools/fuzz/corpus.ts): operator raw text (log formats, option
 * directives) with U+0085 (NEL, a line break for some readers, like U+2028/U+2029 which were already
 * refused), and tokens longer than nginx's 4096-byte read buffer, which made `nginx -t` fail with
 * "too long parameter" although the parser had accepted them. Both are now refused, naming the key.
 */
import { NginxConfigError, parseNginxConfig, renderNginx } from '../src/index.js';
import { ProxyModel } from '@switchyard/proto';
import { createPki, nginxCheck, type TestPki } from './helpers.js';

function refusal(raw: Record<string, unknown>): string[] {
  try {
    parseNginxConfig(raw);
  } catch (error) {
    if (error instanceof NginxConfigError) return error.issues.map((i) => i.key);
    throw error;
  }
  return [];
}

let pki: TestPki;
beforeAll(() => {
  pki = createPki(['localhost']);
});
afterAll(() => pki.cleanup());

describe('raw text the proxy cannot read is refused', () => {
  it('NEL (U+0085) in a log format or option directive', () => {
    expect(refusal({ MainLogFormat: 'a\u0085b' })).toEqual(['MainLogFormat']);
    expect(refusal({ TraceLogFormat: "'$remote_addr\u0085'" })).toEqual(['TraceLogFormat']);
    expect(refusal({ HTTPOptions: ['server_tokens off;\u0085'] })).toEqual(['HTTPOptions']);
    expect(refusal({ SSLOpts: 'ssl_session_tickets off;\u0085' })).toEqual(['SSLOpts']);
  });

  it('a token longer than nginx can read, while a long one that fits passes nginx -t', () => {
    expect(refusal({ MainLogFormat: 'a'.repeat(5000) })).toEqual(['MainLogFormat']);
    expect(refusal({ MainLogFormat: `'${'a'.repeat(4100)}'` })).toEqual(['MainLogFormat']);
    expect(refusal({ HTTPOptions: [`add_header X-Long '${'a'.repeat(4100)}';`] })).toEqual(['HTTPOptions']);
    const config = parseNginxConfig({ MainLogFormat: `'${'a'.repeat(3990)}' '${'b'.repeat(3990)}'`, PidPath: '/tmp/sy-raw-text-limits.pid' });
    const text = renderNginx(ProxyModel.fromPartial({}), { config }).files[0]?.content ?? '';
    const check = nginxCheck(text, pki.dir);
    expect(check).toEqual({ ok: true, output: '' });
  });
});
