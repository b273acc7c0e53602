/**
 * Interlock's TLS features on a real swarm, run once per proxy kind: TLS termination with
 * certificates from Docker secrets (`ssl_cert`/`ssl_key`, SNI picks the certificate), TLS
 * passthrough by SNI (`ssl_passthrough`), the HTTP → HTTPS redirect (`ssl_only`) and TLS towards the
 * tasks (`ssl_backend`, `ssl_backend_tls_verify=none`).
 *
 * The test makes its own CA and certificates with the real `openssl`, stores them as Docker secrets
 * and checks every answer with a verifying TLS client on 127.0.0.1 (the test CA as the only trust
 * anchor, SNI = the host name), comparing the certificate it was shown by SHA-256 fingerprint.
 * TLS backends are Node HTTPS servers (switchyard/node-base:22 running a script from a Docker Config)
 * that report whether they terminated TLS themselves and which SNI they were sent.
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { E2E_IMAGES, SwarmFixture, requireImages, waitFor, type HttpResponse } from '../e2e-harness/index.js';
import { deploySwitchyard, echoOf, viaProxy, type Echo, type Switchyard } from './switchyard-fixture.js';

/** Ports one suite may use. */
export interface TlsSuitePorts {
  http: number;
  https: number;
  grpc: number;
}

/** Host names the suite routes (also used verbatim in docs/routing/*.md). */
export const TLS_HOSTS = {
  appA: 'app-a.tls.e2e.local',
  appB: 'app-b.tls.e2e.local',
  unknown: 'unknown.tls.e2e.local',
  passthrough: 'passthrough.tls.e2e.local',
  secure: 'secure.tls.e2e.local',
  backend: 'backend.tls.e2e.local',
} as const;

/** Node image for the TLS backends. */
export const NODE_IMAGE = 'switchyard/node-base:22';

/**
 * The TLS backend (a Docker Config mounted at /server.js): HTTPS on 8443 with the certificate and
 * key mounted from secrets at /run/secrets/backend.crt and /run/secrets/backend.key. Every request
 * gets 200 and JSON `{ task, tls, servername, method, path, headers }`: `tls` says the backend
 * itself decrypted the request, `servername` is the SNI it was sent.
 */
export const TLS_BACKEND_SCRIPT = `'use strict';
const fs = require('node:fs');
const https = require('node:https');
const os = require('node:os');
const task = process.env.TASK || os.hostname();
const options = { cert: fs.readFileSync('/run/secrets/backend.crt'), key: fs.readFileSync('/run/secrets/backend.key') };
https
  .createServer(options, (req, res) => {
    const body = JSON.stringify({
      task,
      tls: req.socket.encrypted === true,
      servername: req.socket.servername || '',
      method: req.method,
      path: req.url,
      headers: req.headers,
    });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  })
  .listen(8443, () => console.log('tls backend listening on 8443'));
process.on('SIGTERM', () => process.exit(0));
`;

/** What the TLS backend answers. */
export interface TlsBackendAnswer {
  task: string;
  tls: boolean;
  servername: string;
  method: string;
  path: string;
  headers: Record<string, string>;
}

/** A certificate and key issued by the test CA. */
export interface IssuedCert {
  cert: string;
  key: string;
  /** SHA-256 fingerprint, `AA:BB:…` as node's `X509Certificate` prints it. */
  fingerprint: string;
}

/** A throw-away CA made with the real openssl in a temp dir. */
export class TestPki {
  readonly dir = mkdtempSync(join(tmpdir(), 'switchyard-e2e-tls-'));
  readonly caCert: string;

  constructor() {
    this.openssl([
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', join(this.dir, 'ca.key'), '-out', join(this.dir, 'ca.crt'), '-days', '2',
      '-subj', '/CN=Switchyard E2E Test CA',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    ]);
    this.caCert = readFileSync(join(this.dir, 'ca.crt'), 'utf8');
  }

  /** Issues a server certificate for `host` (CN and subjectAltName), signed by the CA. */
  issue(host: string): IssuedCert {
    const base = join(this.dir, host);
    writeFileSync(`${base}.ext`, `subjectAltName=DNS:${host}\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n`);
    this.openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${base}.key`, '-out', `${base}.csr`, '-subj', `/CN=${host}`]);
    this.openssl([
      'x509', '-req', '-in', `${base}.csr`, '-CA', join(this.dir, 'ca.crt'), '-CAkey', join(this.dir, 'ca.key'),
      '-CAcreateserial', '-days', '2', '-extfile', `${base}.ext`, '-out', `${base}.crt`,
    ]);
    const cert = readFileSync(`${base}.crt`, 'utf8');
    return { cert, key: readFileSync(`${base}.key`, 'utf8'), fingerprint: new X509Certificate(cert).fingerprint256 };
  }

  /** Removes the temp dir. */
  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  private openssl(args: string[]): void {
    execFileSync('openssl', args, { stdio: 'pipe', timeout: 30_000 });
  }
}

/** An HTTPS response plus the certificate the server presented. */
export interface TlsResponse extends HttpResponse {
  /** SHA-256 fingerprint of the peer certificate. */
  fingerprint: string;
  /** Subject CN of the peer certificate. */
  subject: string;
  /** Issuer CN of the peer certificate. */
  issuer: string;
}

/**
 * One GET over TLS to 127.0.0.1:<port> with SNI `servername`, `Host: servername`, verifying the
 * chain against `ca` only and the certificate against `servername` (node's default checks).
 * Rejects on any TLS or connection error.
 */
export function tlsGet(options: { port: number; servername: string; ca: string; path?: string; timeoutMs?: number }): Promise<TlsResponse> {
  const timeoutMs = options.timeoutMs ?? 3000;
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port: options.port,
        path: options.path ?? '/',
        method: 'GET',
        servername: options.servername,
        ca: options.ca,
        agent: false,
        headers: { host: options.servername, connection: 'close' },
      },
      (res) => {
        const peer = (res.socket as TLSSocket).getPeerCertificate();
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          clearTimeout(timer);
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
            fingerprint: peer.fingerprint256,
            subject: String(peer.subject?.CN ?? ''),
            issuer: String(peer.issuer?.CN ?? ''),
          });
        });
        res.on('error', (error) => {
          clearTimeout(timer);
          reject(error);
        });
      },
    );
    const timer = setTimeout(() => req.destroy(new Error(`TLS GET ${options.servername} on ${options.port}: no response within ${timeoutMs} ms`)), timeoutMs);
    req.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    req.end();
  });
}

function parseJson<T>(body: string): T | undefined {
  try {
    return JSON.parse(body) as T;
  } catch {
    return undefined;
  }
}

/** Registers the TLS feature suite for one proxy kind. */
export function tlsFeaturesSuite(kind: 'nginx' | 'haproxy', ports: TlsSuitePorts): void {
  const fx = new SwarmFixture();
  let sy: Switchyard | undefined;
  let pki: TestPki;
  let appNet: string;
  const issued = new Map<string, IssuedCert>();

  const https200 = (host: string, timeoutMs = 150_000, path = '/') =>
    waitFor(
      async () => {
        const res = await tlsGet({ port: ports.https, servername: host, ca: pki.caCert, path });
        return res.status === 200 ? res : undefined;
      },
      { timeoutMs, intervalMs: 500, description: `200 over TLS from ${host} on port ${ports.https} (${kind})` },
    );

  /**
   * Issues a certificate for `host` and stores it as two secrets that allow the services routing
   * `host` to use them (Switchyard's default secret policy); resolves with their names.
   */
  const certSecrets = async (host: string, suffix: string): Promise<{ cert: string; key: string }> => {
    const c = pki.issue(host);
    issued.set(host, c);
    const labels = { 'com.switchyard.lb.allowed-hosts': host };
    return {
      cert: await fx.createSecret(c.cert, { suffix: `${suffix}-crt`, labels }),
      key: await fx.createSecret(c.key, { suffix: `${suffix}-key`, labels }),
    };
  };

  /** A Node HTTPS backend on 8443 with a certificate for `host`. */
  const tlsBackend = async (host: string, suffix: string, labels: Record<string, string>): Promise<string> => {
    const secrets = await certSecrets(host, suffix);
    const script = await fx.createConfig(TLS_BACKEND_SCRIPT, { suffix: `${suffix}-js` });
    return fx.createService({
      image: NODE_IMAGE,
      suffix,
      networks: [appNet],
      env: { TASK: '{{.Task.Name}}' },
      configs: [{ source: script, target: '/server.js' }],
      secrets: [
        { source: secrets.cert, target: 'backend.crt' },
        { source: secrets.key, target: 'backend.key' },
      ],
      labels,
      args: ['node', '/server.js'],
    });
  };

  beforeAll(async () => {
    await requireImages([E2E_IMAGES.echo, NODE_IMAGE, 'switchyard/core:latest', 'switchyard/extension:latest', `switchyard/proxy-${kind}:latest`]);
    pki = new TestPki();
    appNet = await fx.createNetwork({ suffix: 'app-net' });
    sy = await deploySwitchyard(fx, ports.grpc, [{ name: 'tls', kind, httpPort: ports.http, httpsPort: ports.https }]);
  }, 120_000);

  afterAll(async () => {
    // The proxy mounts the fixture's secrets and joins its network: remove it (with core) first.
    await sy?.teardown().catch((err: Error) => console.warn(err.message));
    await fx.cleanup().catch((err: Error) => console.warn(err.message));
    pki?.remove();
  }, 180_000);

  it('3. ssl_cert/ssl_key: the proxy terminates TLS with the certificate from the Docker secrets, chosen by SNI', async () => {
    const a = await certSecrets(TLS_HOSTS.appA, 'app-a');
    const b = await certSecrets(TLS_HOSTS.appB, 'app-b');
    const tlsLabels = (host: string, s: { cert: string; key: string }) => ({
      'com.docker.lb.hosts': host,
      'com.docker.lb.port': '8080',
      'com.docker.lb.ssl_cert': s.cert,
      'com.docker.lb.ssl_key': s.key,
    });
    const appA = await fx.createService({ image: E2E_IMAGES.echo, suffix: 'app-a', networks: [appNet], env: { ECHO_TASK: '{{.Task.Name}}' }, labels: tlsLabels(TLS_HOSTS.appA, a) });
    const appB = await fx.createService({ image: E2E_IMAGES.echo, suffix: 'app-b', networks: [appNet], env: { ECHO_TASK: '{{.Task.Name}}' }, labels: tlsLabels(TLS_HOSTS.appB, b) });

    const resA = await https200(TLS_HOSTS.appA);
    const resB = await https200(TLS_HOSTS.appB);
    // The chain verified against the test CA (node rejects otherwise); each name got its own certificate.
    expect(resA.fingerprint).toBe(issued.get(TLS_HOSTS.appA)!.fingerprint);
    expect(resA.subject).toBe(TLS_HOSTS.appA);
    expect(resA.issuer).toBe('Switchyard E2E Test CA');
    expect(resB.fingerprint).toBe(issued.get(TLS_HOSTS.appB)!.fingerprint);
    expect(resB.subject).toBe(TLS_HOSTS.appB);
    // The app behind each host answered, over plain HTTP from the proxy, told the client used HTTPS.
    const echoA = echoOf(resA)!;
    const echoB = echoOf(resB)!;
    expect(echoA.task.startsWith(`${appA}.1.`)).toBe(true);
    expect(echoB.task.startsWith(`${appB}.1.`)).toBe(true);
    expect(echoA.headers['x-forwarded-proto']).toBe('https');
    expect(resA.headers['x-server-info']).toBe('switchyard');
    // A name with no certificate gets no certificate at all: both proxies refuse the handshake
    // (unrecognized_name alert; HAProxy's crt-list with strict-sni offers each certificate only
    // for the hosts that use it).
    const unknown = await tlsGet({ port: ports.https, servername: TLS_HOSTS.unknown, ca: pki.caCert }).then(
      () => 'connected',
      (err: NodeJS.ErrnoException) => `${err.code ?? ''} ${err.message}`,
    );
    expect(unknown).toMatch(/unrecognized name/);
    // Without ssl_only, the same host still answers plain HTTP.
    const plain = echoOf(await viaProxy(ports.http, TLS_HOSTS.appA));
    expect(plain?.task.startsWith(`${appA}.1.`)).toBe(true);
    expect(plain?.headers['x-forwarded-proto']).toBe('http');
  }, 240_000);

  it('4. ssl_passthrough: TLS is routed by SNI to the tasks, and the client sees the backend\'s own certificate', async () => {
    const backend = await tlsBackend(TLS_HOSTS.passthrough, 'passthrough', {
      'com.docker.lb.hosts': TLS_HOSTS.passthrough,
      'com.docker.lb.port': '8443',
      'com.docker.lb.ssl_passthrough': 'true',
    });
    const res = await https200(TLS_HOSTS.passthrough);
    const own = issued.get(TLS_HOSTS.passthrough)!;
    expect(res.fingerprint).toBe(own.fingerprint);
    expect(res.subject).toBe(TLS_HOSTS.passthrough);
    for (const [host, c] of issued) if (host !== TLS_HOSTS.passthrough) expect(res.fingerprint).not.toBe(c.fingerprint);
    const answer = parseJson<TlsBackendAnswer>(res.body)!;
    expect(answer.task.startsWith(`${backend}.1.`)).toBe(true);
    // The backend decrypted the request itself and received the client's SNI ...
    expect(answer.tls).toBe(true);
    expect(answer.servername).toBe(TLS_HOSTS.passthrough);
    // ... and the proxy never saw HTTP: none of the headers it adds, either way.
    expect(answer.headers['x-request-id']).toBeUndefined();
    expect(answer.headers['x-forwarded-for']).toBeUndefined();
    expect(res.headers['x-server-info']).toBeUndefined();
    // Passthrough hosts are TLS only: plain HTTP for the name gets the proxy's 503 page.
    expect((await viaProxy(ports.http, TLS_HOSTS.passthrough)).status).toBe(503);
    // Terminated hosts keep working on the same port next to the passthrough route.
    const a = await https200(TLS_HOSTS.appA, 60_000);
    expect(a.fingerprint).toBe(issued.get(TLS_HOSTS.appA)!.fingerprint);
    expect(echoOf(a)?.headers['x-forwarded-proto']).toBe('https');
  }, 240_000);

  it('5a. ssl_only: plain HTTP is redirected to https://<host><uri>, HTTPS serves the app', async () => {
    const s = await certSecrets(TLS_HOSTS.secure, 'secure');
    const secure = await fx.createService({
      image: E2E_IMAGES.echo,
      suffix: 'secure',
      networks: [appNet],
      env: { ECHO_TASK: '{{.Task.Name}}' },
      labels: {
        'com.docker.lb.hosts': TLS_HOSTS.secure,
        'com.docker.lb.port': '8080',
        'com.docker.lb.ssl_cert': s.cert,
        'com.docker.lb.ssl_key': s.key,
        'com.docker.lb.ssl_only': 'true',
      },
    });
    await https200(TLS_HOSTS.secure);
    const path = '/login?next=%2Fhome';
    const redirect = await waitFor(
      async () => {
        const r = await viaProxy(ports.http, TLS_HOSTS.secure, path);
        return r.status === 301 ? r : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500, description: `301 for http://${TLS_HOSTS.secure}${path}` },
    );
    // The target keeps the path and query; the port is the proxy's published TLS port.
    expect(redirect.headers.location).toBe(`https://${TLS_HOSTS.secure}:${ports.https}${path}`);
    expect(echoOf(redirect)).toBeUndefined();
    // Following it (to the published HTTPS port on 127.0.0.1) reaches the app with the same URI.
    const followed = await tlsGet({ port: ports.https, servername: TLS_HOSTS.secure, ca: pki.caCert, path: new URL(redirect.headers.location!).pathname + new URL(redirect.headers.location!).search });
    expect(followed.status).toBe(200);
    expect(followed.fingerprint).toBe(issued.get(TLS_HOSTS.secure)!.fingerprint);
    const echo: Echo = echoOf(followed)!;
    expect(echo.task.startsWith(`${secure}.1.`)).toBe(true);
    expect(echo.path).toBe(path);
  }, 240_000);

  it('5b. ssl_backend (+ ssl_backend_tls_verify=none): the proxy speaks TLS to the tasks', async () => {
    const backend = await tlsBackend(TLS_HOSTS.backend, 'backend', {
      'com.docker.lb.hosts': TLS_HOSTS.backend,
      'com.docker.lb.port': '8443',
    });
    // Without ssl_backend the proxy sends plain HTTP to the TLS port: a gateway error, never the app.
    const before = await waitFor(
      async () => {
        const r = await viaProxy(ports.http, TLS_HOSTS.backend);
        return r.status === 502 ? r : undefined;
      },
      { timeoutMs: 150_000, intervalMs: 500, description: `502 from ${TLS_HOSTS.backend} before ssl_backend` },
    );
    expect(parseJson<TlsBackendAnswer>(before.body)?.tls).toBeUndefined();
    await fx.updateService(backend, ['--label-add', 'com.docker.lb.ssl_backend=true', '--label-add', 'com.docker.lb.ssl_backend_tls_verify=none']);
    const res = await waitFor(
      async () => {
        const r = await viaProxy(ports.http, TLS_HOSTS.backend, '/orders?id=7');
        return r.status === 200 ? r : undefined;
      },
      { timeoutMs: 150_000, intervalMs: 500, description: `200 from ${TLS_HOSTS.backend} with ssl_backend` },
    );
    const answer = parseJson<TlsBackendAnswer>(res.body)!;
    expect(answer.task.startsWith(`${backend}.1.`)).toBe(true);
    // The task decrypted TLS itself; the proxy sent the request's host as SNI.
    expect(answer.tls).toBe(true);
    expect(answer.servername).toBe(TLS_HOSTS.backend);
    expect(answer.path).toBe('/orders?id=7');
    // It is still an HTTP proxy: it added its headers (the client spoke plain HTTP to it).
    expect(answer.headers['x-forwarded-proto']).toBe('http');
    expect(answer.headers['x-request-id']).toBeTruthy();
    expect(res.headers['x-server-info']).toBe('switchyard');
  }, 240_000);
}
