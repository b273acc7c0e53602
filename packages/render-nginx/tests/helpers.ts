import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, copyFileSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

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

/** A rendered file (path relative to the directory of nginx.conf). */
export interface FileLike {
  path: string;
  content: string;
}

/**
 * Lays `files` out under `dir` as the proxy sees them (nginx.conf at the top, the others at their
 * relative paths, e.g. `switchyard.d/part-001.conf`), replacing the `/run/secrets/` prefix with
 * `secretsDir` in every file. Returns the path of nginx.conf.
 */
export function layOutFiles(dir: string, files: FileLike[], secretsDir: string): string {
  for (const file of files) {
    const target = join(dir, file.path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, file.content.split(SECRETS_PREFIX).join(`${secretsDir.replace(/\/$/, '')}/`));
  }
  return join(dir, files[0]?.path ?? 'nginx.conf');
}

/** Result of `nginx -t` and `nginx -T` on a laid-out file set. */
export interface NginxSetCheck extends NginxCheck {
  /** Files nginx read, from the `# configuration file <path>:` lines of `nginx -T` (relative to the set's directory). */
  loaded: string[];
}

/**
 * Lays `files` out in a temp dir and runs the real `nginx -t -q -c <dir>/nginx.conf` (from another
 * working directory, so relative includes must resolve next to nginx.conf), then `nginx -T` to list
 * the files it read.
 */
export function nginxCheckFiles(files: FileLike[], secretsDir: string): NginxSetCheck {
  const dir = mkdtempSync(join(tmpdir(), 'render-nginx-set-'));
  try {
    const conf = layOutFiles(join(dir, 'conf'), files, secretsDir);
    // nginx opens /dev/stdout itself (the default log paths): give it real files, not sockets.
    const run = (args: string[], file: string): { status: number | null; text: string } => {
      const fd = openSync(join(dir, file), 'w');
      try {
        const result = spawnSync('nginx', [...args, '-c', conf], { stdio: ['ignore', fd, fd], timeout: 60_000, cwd: tmpdir() });
        return { status: result.status, text: readFileSync(join(dir, file), 'utf8') };
      } finally {
        closeSync(fd);
      }
    };
    const test = run(['-t', '-q'], 'test.log');
    const dump = run(['-T'], 'dump.log');
    const prefix = `${join(dir, 'conf')}/`;
    const loaded = [...dump.text.matchAll(/^# configuration file (.*):$/gm)].map((m) => (m[1] ?? '').replace(prefix, ''));
    return { ok: test.status === 0, output: test.text, loaded };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Reads a UTF-8 file. */
export function read(path: string): string {
  return readFileSync(path, 'utf8');
}

export { openBlackHole, type BlackHole } from '../../../tools/testing/black-hole.js';
