/**
 * Test helpers: throw-away certificates made with the real `openssl`, `haproxy -c` on rendered text,
 * and a loopback black hole (connects that hang).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync, copyFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** A test CA and a leaf certificate signed by it. */
export interface TestPki {
  dir: string;
  caFile: string;
  /** PEM of the CA certificate (for Node TLS clients). */
  caPem: string;
  /** Leaf certificate and key files (valid for the given names). */
  certFile: string;
  keyFile: string;
  cleanup(): void;
}

/** Creates a CA and one leaf certificate for `names` (DNS SANs, wildcards allowed) in a new temp dir. */
export function makePki(names: string[]): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'sy-haproxy-pki-'));
  const run = (args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  };
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  run(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-subj', '/CN=Switchyard Test CA', '-days', '2']);
  run(['req', ...ec, '-keyout', 'leaf.key', '-out', 'leaf.csr', '-subj', `/CN=${names[0] ?? 'localhost'}`]);
  writeFileSync(join(dir, 'ext.cnf'), `subjectAltName=${names.map((n) => `DNS:${n}`).join(',')}\n`);
  run(['x509', '-req', '-in', 'leaf.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'leaf.pem', '-days', '2', '-extfile', 'ext.cnf']);
  const caPem = execFileSync('cat', [join(dir, 'ca.pem')]).toString();
  return {
    dir,
    caFile: join(dir, 'ca.pem'),
    caPem,
    certFile: join(dir, 'leaf.pem'),
    keyFile: join(dir, 'leaf.key'),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Installs the PKI's leaf certificate as `<dir>/<name>` and its key as `<dir>/<name>.key`. */
export function installCert(pki: TestPki, dir: string, name: string): void {
  copyFileSync(pki.certFile, join(dir, name));
  copyFileSync(pki.keyFile, join(dir, `${name}.key`));
}

/**
 * Runs `haproxy -dW -c -f` (zero-warning mode) on `content` (haproxy.cfg alone, or a rendered file set laid
 * out as the proxy sees it) after replacing the `/run/secrets/` prefix with `secretsDir` in every file.
 * Returns the exit status and combined output.
 */
export function haproxyCheck(content: string | { path: string; content: string }[], secretsDir: string): { status: number | null; output: string } {
  const dir = mkdtempSync(join(tmpdir(), 'sy-haproxy-check-'));
  try {
    const files = typeof content === 'string' ? [{ path: 'haproxy.cfg', content }] : content;
    for (const f of files) {
      mkdirSync(dirname(join(dir, f.path)), { recursive: true });
      writeFileSync(join(dir, f.path), f.content.split('/run/secrets/').join(`${secretsDir}/`));
    }
    mkdirSync(join(dir, 'switchyard.d'), { recursive: true });
    const file = join(dir, 'haproxy.cfg');
    const res = spawnSync('haproxy', ['-dW', '-c', '-f', file, '-f', join(dir, 'switchyard.d')], { encoding: 'utf8', timeout: 20_000, cwd: tmpdir() });
    return { status: res.status, output: `${res.stdout ?? ''}${res.stderr ?? ''}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export { openBlackHole, type BlackHole } from '../../../../tools/testing/black-hole.js';
