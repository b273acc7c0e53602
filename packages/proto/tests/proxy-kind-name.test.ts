import { PROXY_KIND_NAME, isProxyKindNameSyntax } from '../src/index.js';

describe('proxy kind name', () => {
  it('accepts a lower-case letter then up to 31 lower-case letters, digits or dashes', () => {
    expect(['nginx', 'haproxy', 'caddy', 'my-proxy2', `a${'b'.repeat(31)}`].map(isProxyKindNameSyntax)).toEqual([true, true, true, true, true]);
  });

  it('refuses anything else', () => {
    expect(['', 'Nginx', '2proxy', '-x', 'my_proxy', `a${'b'.repeat(32)}`, 'nginx\n'].map(isProxyKindNameSyntax)).toEqual([false, false, false, false, false, false, false]);
  });

  it('is one pattern (the one core config and the agent check against)', () => {
    expect(PROXY_KIND_NAME.source).toBe('^[a-z][a-z0-9-]{0,31}$');
    expect(PROXY_KIND_NAME.flags).toBe('');
  });
});
