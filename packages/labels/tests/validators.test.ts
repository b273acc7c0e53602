import { isSafeToken, isValidHostname, isValidPath } from '../src/index.js';

describe('isValidHostname', () => {
  it.each([
    'example.com',
    'a.b.c.example.com',
    'localhost',
    'demo.local',
    'EXAMPLE.com',
    '*.example.com',
    'xn--bcher-kva.example',
    '1.2.3.4',
    'a-b.c',
    `${'a'.repeat(63)}.com`,
    `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`, // 253 characters
  ])('accepts %j', (host) => {
    expect(isValidHostname(host)).toBe(true);
  });

  it.each([
    '',
    'example.com.',
    '.example.com',
    'a..b',
    '-a.com',
    'a-.com',
    'a_b.com',
    `${'a'.repeat(64)}.com`,
    `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(62)}`, // 254 characters
    'example.com:8080',
    '[::1]',
    '*',
    '*.',
    'a.*.com',
    '**.a.com',
    'ex ample.com',
    'example.com\n',
    'ex;ample.com',
    'exa{mple.com',
    'ex\u0430mple.com', // Cyrillic a
    '\u212Aexample.com', // Kelvin sign, lower-cases to ASCII "k"
    'b\u00fccher.example',
  ])('rejects %j', (host) => {
    expect(isValidHostname(host)).toBe(false);
  });
});

describe('isValidPath', () => {
  it.each(['/', '/app', '/app/', '/app/v1', '/a-b_c.d~e', '/a+b=c:d@e', '/.well-known', '/v1.2'])('accepts %j', (p) => {
    expect(isValidPath(p)).toBe(true);
  });

  it.each([
    '',
    'app',
    '//',
    '/a//b',
    '/a/../b',
    '/..',
    '/./a',
    '/a b',
    '/a\tb',
    '/a;b',
    '/a{b}',
    '/a"b',
    "/a'b",
    '/a$b',
    '/a\\b',
    '/a#b',
    '/a?b',
    '/a%20b',
    '/a\u0000b',
    '/a\nb',
    '/caf\u00e9',
    `/${'a'.repeat(1024)}`,
  ])('rejects %j', (p) => {
    expect(isValidPath(p)).toBe(false);
  });
});

describe('isSafeToken', () => {
  // Tokens were 1-255 characters here, 1-200 or 1-128 in the renderers; since issue #12 the one rule
  // (`@switchyard/labels/safe`) takes the strictest, 128, which every Docker name and model id fits.
  it.each(['app-network-a', 'example.com.cert', 'demo_app.example.org.key', '_session', 'JSESSIONID', 'us-east', 'x', 'a'.repeat(128)])(
    'accepts %j',
    (t) => {
      expect(isSafeToken(t)).toBe(true);
    },
  );

  it.each(['', '-rm', '.hidden', 'a b', 'a/b', 'a;b', 'a$b', 'a"b', 'a=b', 'a\nb', 'caf\u00e9', 'a'.repeat(129)])('rejects %j', (t) => {
    expect(isSafeToken(t)).toBe(false);
  });
});
