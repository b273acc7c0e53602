/**
 * The one definition of a safe cipher list (`@switchyard/labels/safe-tls`): both renderers check
 * `SSLCiphers` with these two functions.
 */
import { MAX_CIPHER_LIST_LENGTH, cipherListProblem, isSafeCipherList } from '../src/safe-tls.js';

describe('isSafeCipherList', () => {
  it.each(['', 'HIGH:!aNULL:!MD5', 'ECDHE+AESGCM', 'DEFAULT@SECLEVEL=1', 'ECDHE-RSA-AES128-GCM-SHA256', 'x'.repeat(MAX_CIPHER_LIST_LENGTH)])(
    'accepts %p',
    (s) => expect(isSafeCipherList(s)).toBe(true),
  );

  it.each(['HIGH;', 'HIGH:!aNULL x', 'HIGH"', 'HIGH#', '$CIPHERS', 'HIGH\n', 'x'.repeat(MAX_CIPHER_LIST_LENGTH + 1)])('refuses %p', (s) =>
    expect(isSafeCipherList(s)).toBe(false),
  );
});

describe('cipherListProblem', () => {
  it.each(['HIGH:!aNULL:!MD5', 'DEFAULT', 'ECDHE+AESGCM', 'TLS_AES_128_GCM_SHA256:HIGH'])('lets OpenSSL accept %p', (s) =>
    expect(cipherListProblem(s)).toBeUndefined(),
  );

  it('refuses a list of TLS 1.3 suites only, which this key does not set', () => {
    expect(cipherListProblem('TLS_AES_128_GCM_SHA256')).toMatch(/selects no TLS 1.2 cipher/);
    expect(cipherListProblem('')).toMatch(/selects no TLS 1.2 cipher/);
  });

  it('refuses a list that selects no cipher OpenSSL knows, without repeating it', () => {
    const problem = cipherListProblem('NOTACIPHER');
    expect(problem).toMatch(/selects no cipher OpenSSL knows/);
    expect(problem).not.toContain('NOTACIPHER');
  });
});
