import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, copyFileSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The secrets prefix the renderer prints by default; tests replace only this prefix. */
export const SECRETS_PREFIX = '/run/secrets/';

/** Test PKI generated once per test file with the real `openssl` binary. */
export interface TestPki {
  dir: string;
  caCert: string;
  /** Certificate (PEM path) valid for every name in `names`, signed by the CA. */
  cert: string;
  key: string;
  dhParam: string;
  cleanup(): void;
}

/** Generates a CA and a server certificate for `names` (DNS SANs) into a fresh temp dir. */
export function createPki(names: string[]): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'render-nginx-pki-'));
  const run = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=switchyard test CA', '-keyout', 'ca.key', '-out', 'ca.crt']);
  run(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${names[0] ?? 'localhost'}`, '-keyout', 'server.key', '-out', 'server.csr']);
  writeFileSync(join(dir, 'san.ext'), `subjectAltName=${names.map((n) => `DNS:${n}`).join(',')}\n`);
  run(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-extfile', 'san.ext', '-out', 'server.crt']);
  run(['genpkey', '-genparam', '-algorithm', 'DH', '-pkeyopt', 'dh_param:ffdhe2048', '-out', 'dhparam.pem']);
  return {
    dir,
    caCert: join(dir, 'ca.crt'),
    cert: join(dir, 'server.crt'),
    key: join(dir, 'server.key'),
    dhParam: join(dir, 'dhparam.pem'),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * Makes a secrets directory holding `certFile`/`keyFile` names (copies of the test certificate
 * and key; names ending in `.pem` that mention dhparam get the DH parameters).
 */
export function populateSecrets(pki: TestPki, dir: string, files: { certFile: string; keyFile: string }[]): void {
  for (const file of files) {
    copyFileSync(pki.cert, join(dir, file.certFile));
    copyFileSync(pki.key, join(dir, file.keyFile));
  }
  copyFileSync(pki.dhParam, join(dir, 'dhparam.pem'));
}

/** Result of `nginx -t`. */
export interface NginxCheck {
  ok: boolean;
  output: string;
}

/**
 * Runs the real `nginx -t -q -c <file>` on `content`, after replacing the `/run/secrets/`
 * prefix with `secretsDir` (the only substitution tests make).
 */
export function nginxCheck(content: string, secretsDir: string): NginxCheck {
  const dir = mkdtempSync(join(tmpdir(), 'render-nginx-check-'));
  try {
    const file = join(dir, 'nginx.conf');
    writeFileSync(file, content.split(SECRETS_PREFIX).join(`${secretsDir.replace(/\/$/, '')}/`));
    // nginx opens /dev/stdout itself (the default log paths): give it a real file, not a socket.
    const log = join(dir, 'output.log');
    const fd = openSync(log, 'w');
    try {
      const result = spawnSync('nginx', ['-t', '-q', '-c', file], { stdio: ['ignore', fd, fd], timeout: 30_000 });
      return { ok: result.status === 0, output: readFileSync(log, 'utf8') };
    } finally {
      closeSync(fd);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Reads a UTF-8 file. */
export function read(path: string): string {
  return readFileSync(path, 'utf8');
}
