/**
 * The one definition of a safe value (`@switchyard/labels/safe`), table-driven. Each row is a value and
 * what every check says of it; the label parser, the model and both renderers call these functions, so
 * this table is what all of them accept.
 */
import * as safe from '../src/safe.js';
import * as api from '../src/index.js';

type Check = 'host' | 'validHost' | 'path' | 'token' | 'cookie' | 'file' | 'absPath' | 'url';

const CHECKS: Record<Check, (s: string) => boolean> = {
  host: safe.isSafeHost,
  validHost: safe.isValidHostname,
  path: safe.isSafePath,
  token: safe.isSafeToken,
  cookie: safe.isSafeCookieName,
  file: safe.isSafeFileName,
  absPath: safe.isSafeAbsolutePath,
  url: safe.isSafeRedirectUrl,
};

/** [value, checks that accept it]; every other check must refuse it. */
const TABLE: ReadonlyArray<readonly [string, readonly Check[]]> = [
  // host names
  ['example.com', ['host', 'validHost', 'token', 'cookie', 'file']],
  ['*.example.com', ['host', 'validHost']],
  ['Example.com', ['validHost', 'token', 'cookie', 'file']],
  ['xn--bcher-kva.example', ['host', 'validHost', 'token', 'cookie', 'file']],
  ['1.2.3.4', ['host', 'validHost', 'token', 'cookie', 'file']],
  [`${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`, ['host', 'validHost', 'file']],
  [`${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(62)}`, ['file']],
  ['example.com.', ['token', 'cookie', 'file']],
  ['a..b', ['token', 'cookie', 'file']],
  ['-a.com', []],
  ['a_b.com', ['token', 'cookie', 'file']],
  ['example.com:8080', []],
  ['a.*.com', []],
  ['ex\u0430mple.com', []],
  ['\u212Aexample.com', []],
  // paths
  ['/', ['path', 'absPath']],
  ['/app', ['path', 'absPath']],
  ['/app/', ['path', 'absPath']],
  ['/a+b=c:d@e~f', ['path']],
  ['/.well-known', ['path', 'absPath']],
  ['/a//b', []],
  ['/a/../b', []],
  ['/a/./b', []],
  ['/a,b', []],
  ['/a!b', []],
  ['/a%20b', []],
  ['/a?b', []],
  ['/a#b', []],
  ['/a;b', []],
  ['/a b', []],
  ['/a$b', []],
  ['/a\nb', []],
  ['/caf\u00e9', []],
  [`/${'a'.repeat(1023)}`, ['path', 'absPath']],
  [`/${'a'.repeat(1024)}`, []],
  ['app', ['host', 'validHost', 'token', 'cookie', 'file']],
  // tokens, cookie and file names
  ['JSESSIONID', ['validHost', 'token', 'cookie', 'file']],
  ['_session', ['token', 'cookie', 'file']],
  ['.hidden', []],
  ['..', []],
  ['a b', []],
  ['a=b', []],
  ['a'.repeat(128), ['token', 'cookie', 'file']],
  ['a'.repeat(129), ['file']],
  ['a'.repeat(255), ['file']],
  ['a'.repeat(256), []],
  // absolute file-system paths
  ['/run/secrets', ['path', 'absPath']],
  ['/run/secrets/', ['path', 'absPath']],
  ['/var/run/haproxy@1.sock', ['path']],
  ['/run//secrets', []],
  // redirect URLs
  ['http://example.com', ['url']],
  ['https://example.com:8443/new/path', ['url']],
  ['https://example.com/new/', ['url']],
  ['http://10.0.0.1:8080', ['url']],
  ['HTTPS://example.com', []],
  ['https://Example.com', []],
  ['https://*.example.com', []],
  ['https://example.com:0', []],
  ['https://example.com:65536', []],
  ['https://[::1]/', []],
  ['https://user@example.com', []],
  ['https://example.com/a?b=c', []],
  ['https://example.com/a#b', []],
  ['https://example.com/a/../b', []],
  ['ftp://example.com', []],
  ['', []],
];

describe.each(TABLE)('%j', (value, accepted) => {
  it.each(Object.keys(CHECKS) as Check[])('%s', (check) => {
    expect(CHECKS[check](value)).toBe(accepted.includes(check));
  });
});

it('refuses non-strings without throwing', () => {
  for (const check of Object.values(CHECKS)) expect(check(42 as unknown as string)).toBe(false);
});

it('the limits are the ones the checks use', () => {
  expect([safe.MAX_HOSTNAME_LENGTH, safe.MAX_PATH_LENGTH, safe.MAX_URL_LENGTH, safe.MAX_TOKEN_LENGTH, safe.MAX_FILE_NAME_LENGTH]).toEqual([
    253, 1024, 2048, 128, 255,
  ]);
  expect(safe.isSafeRedirectUrl(`https://example.com/${'a'.repeat(safe.MAX_URL_LENGTH)}`)).toBe(false);
});

it('the package barrel re-exports the same functions', () => {
  expect(api.isSafeHost).toBe(safe.isSafeHost);
  expect(api.isValidPath).toBe(safe.isSafePath);
  expect(api.isSafeToken).toBe(safe.isSafeToken);
  expect(api.hostMatches).toBe(safe.hostMatches);
});

it('the safe entry point imports nothing (renderers load it without the parser or gRPC contract)', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const source: string = require('node:fs').readFileSync(require('node:path').join(__dirname, '..', 'src', 'safe.ts'), 'utf8');
  expect(source).not.toMatch(/^\s*import\s/m);
  expect(source).not.toMatch(/require\(/);
});
