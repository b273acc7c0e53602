/**
 * A real HAProxy started on loopback for one rendered model (files laid out as the proxy sees them,
 * started as the proxy image does: `-f haproxy.cfg -f switchyard.d`), plus a test CA that issues one
 * certificate per name set and small HTTP / TLS clients. Used by the isolation tests.
 */
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import tls from 'node:tls';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Diagnostic, ProxyModel, RenderedFile, Upstream } from '@switchyard/proto';
import { renderHaproxy } from '../../src/index.js';
import type { HaproxyRenderOptions } from '../../src/index.js';
export { freePort } from '../../../../tools/testing/free-port.js';
import { freePort } from '../../../../tools/testing/free-port.js';
export { listen, closeAll } from '../../../../tools/testing/net.js';
import { listen, waitForPort } from '../../../../tools/testing/net.js';
import { endpoint, upstream } from '../../../../tools/testing/model.js';

/** A test CA that issues leaf certificates into its directory (`<file>` and `<file>.key`). */
export interface TestCa {
  dir: string;
  caPem: string;
  /** Issues a certificate with CN = names[0] and the names as DNS SANs, written as `<dir>/<file>` and `<dir>/<file>.key`. */
  issue(file: string, names: string[]): void;
  cleanup(): void;
}

/** Creates a CA (EC P-256) in a new temp dir. */
export function makeCa(): TestCa {
  const dir = mkdtempSync(join(tmpdir(), 'sy-haproxy-ca-'));
  const run = (args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  };
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  run(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-subj', '/CN=Switchyard Isolation CA', '-days', '2']);
  return {
    dir,
    caPem: readFileSync(join(dir, 'ca.pem'), 'utf8'),
    issue(file, names) {
      run(['req', ...ec, '-keyout', `${file}.key`, '-out', `${file}.csr`, '-subj', `/CN=${names[0] ?? 'localhost'}`]);
      writeFileSync(join(dir, `${file}.ext`), `subjectAltName=${names.map((n) => `DNS:${n}`).join(',')}\n`);
      run(['x509', '-req', '-in', `${file}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', file, '-days', '2', '-extfile', `${file}.ext`]);
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** An HTTP echo server answering JSON `{ server, url, host }`. */
export async function startEcho(name: string, servers: net.Server[]): Promise<number> {
  const server = http.createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ server: name, url: req.url, host: req.headers.host }));
  });
  servers.push(server);
  return listen(server);
}


/** An upstream with loopback endpoints. */
export function up(name: string, ports: number[], extra: Partial<Upstream> = {}): Upstream {
  return upstream(name, ports.map((port, i) => endpoint('127.0.0.1', port, name, 1, `${name}${i}`)), extra);
}

/** A running HAProxy. */
export interface LiveProxy {
  httpPort: number;
  httpsPort: number;
  files: RenderedFile[];
  diagnostics: Diagnostic[];
  log(): string;
  stop(): Promise<void>;
}

/** Renders `model` with certificates from `secretsDir`, lays the files out and starts HAProxy on free ports. */
export async function startHaproxy(model: ProxyModel, secretsDir: string, options: HaproxyRenderOptions = {}): Promise<LiveProxy> {
  const work = mkdtempSync(join(tmpdir(), 'sy-haproxy-live-'));
  const httpPort = await freePort();
  const httpsPort = await freePort();
  const { files, diagnostics } = renderHaproxy(model, {
    httpPort,
    httpsPort,
    secretsDir,
    proxyId: 'live',
    ...options,
    config: { PidPath: join(work, 'haproxy.pid'), AdminSocketPath: join(work, 'admin.sock'), ...options.config },
  });
  for (const file of files) {
    mkdirSync(dirname(join(work, file.path)), { recursive: true });
    writeFileSync(join(work, file.path), file.content);
  }
  mkdirSync(join(work, 'switchyard.d'), { recursive: true });
  let output = '';
  // Started from another directory: relative paths must resolve next to haproxy.cfg.
  const proc: ChildProcess = spawn('haproxy', ['-W', '-db', '-f', join(work, 'haproxy.cfg'), '-f', join(work, 'switchyard.d')], {
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd: tmpdir(),
  });
  proc.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  proc.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  const stop = async (): Promise<void> => {
    if (proc.exitCode === null && proc.signalCode === null) {
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 3000)))]);
      clearTimeout(timer);
      if (proc.exitCode === null) proc.kill('SIGKILL');
    }
    rmSync(work, { recursive: true, force: true });
  };
  try {
    await waitForPort(httpPort, proc, () => output, 'haproxy');
    if (files[0]?.content.includes('frontend fe_tls')) await waitForPort(httpsPort, proc, () => output, 'haproxy');
  } catch (error) {
    await stop();
    throw error;
  }
  return { httpPort, httpsPort, files, diagnostics, log: () => output, stop };
}

/** What a request got. */
export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** `server` of the echo JSON body, or "". */
  server: string;
}

function reply(status: number, headers: http.IncomingHttpHeaders, body: string): Reply {
  let server = '';
  try {
    server = String((JSON.parse(body) as { server?: string }).server ?? '');
  } catch {
    // not an echo answer
  }
  return { status, headers, body, server };
}

/** A plain HTTP GET with a raw Host header. */
export function httpGet(port: number, host: string, path = '/'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, headers: { host }, agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve(reply(res.statusCode ?? 0, res.headers, body)));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Result of a TLS handshake: the presented certificate's CN, or the error that ended it. */
export interface TlsProbe {
  ok: boolean;
  cn: string;
  error: string;
}

/** Opens a TLS connection with `servername` (no verification) and reports the presented certificate. */
export function tlsProbe(port: number, servername: string): Promise<TlsProbe> {
  return new Promise((resolve) => {
    const socket = tls.connect({ host: '127.0.0.1', port, servername, rejectUnauthorized: false });
    socket.setTimeout(5000, () => socket.destroy(new Error('timeout')));
    socket.once('secureConnect', () => {
      const cn = String(socket.getPeerCertificate().subject?.CN ?? '');
      socket.destroy();
      resolve({ ok: true, cn, error: '' });
    });
    socket.once('error', (e) => resolve({ ok: false, cn: '', error: e.message }));
    socket.once('close', () => resolve({ ok: false, cn: '', error: 'closed' }));
  });
}

/** An HTTPS GET with SNI `servername`, verified against `caPem`. */
export function httpsGet(port: number, servername: string, caPem: string, path = '/', host = servername): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = https.request({ host: '127.0.0.1', port, servername, ca: caPem, path, headers: { host }, agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve(reply(res.statusCode ?? 0, res.headers, body)));
    });
    req.on('error', reject);
    req.end();
  });
}
