/**
 * Real traffic: renders a config whose endpoints are tiny Node servers on 127.0.0.1, starts the
 * real nginx binary in the foreground on free high ports, and checks what a client sees. Shared by
 * the one-file and the split layout (files laid out as the proxy sees them).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type tls from 'node:tls';
import WebSocket, { WebSocketServer } from 'ws';
import { BackendMode, ProxyModel, type Endpoint } from '@switchyard/proto';
import { renderNginx } from '../../src/index.js';
import { createPki, layOutFiles, openBlackHole, populateSecrets, type BlackHole, type TestPki } from '../helpers.js';
import { freePort } from '../../../../tools/testing/free-port.js';
import { waitForPort } from '../../../../tools/testing/net.js';

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

interface Seen {
  backend: string;
  url: string;
  headers: http.IncomingHttpHeaders;
}

/** How the suite renders: one file (default options) or split with a small `maxFileBytes`. */
export interface TrafficLayout {
  maxFileBytes?: number;
  /** The render is expected to produce `switchyard.d/` files. */
  split: boolean;
}

/** Defines the traffic tests (call at the top level of a test file). */
export function trafficSuite(layout: TrafficLayout): void {
  jest.setTimeout(30_000);

  const servers: { close(cb?: () => void): unknown }[] = [];
  let pki: TestPki;
  let work: string;
  let nginx: ChildProcess | undefined;
  let nginxLog = '';
  let httpPort = 0;
  let httpsPort = 0;
  let passServerNames: (string | false | null)[] = [];
  let hole: BlackHole | undefined;


  function listen(server: net.Server): Promise<number> {
    servers.push(server);
    return new Promise((resolve) => {
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        resolve(typeof address === 'object' && address ? address.port : 0);
      });
    });
  }

  function echo(backend: string): http.RequestListener {
    return (req, res) => {
      const seen: Seen = { backend, url: req.url ?? '', headers: req.headers };
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(seen));
    };
  }

  function collect(res: http.IncomingMessage, resolve: (reply: Reply) => void, reject: (e: Error) => void): void {
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => (body += chunk));
    res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    res.on('error', reject);
  }

  function get(host: string, path: string, headers: Record<string, string> = {}): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const req = http.request(
        { host: '127.0.0.1', port: httpPort, path, headers: { host, ...headers }, agent: false, timeout: 5000 },
        (res) => collect(res, resolve, reject),
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', reject);
      req.end();
    });
  }

  function getTls(servername: string, path: string): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const req = https.request(
        {
          host: '127.0.0.1',
          port: httpsPort,
          servername,
          path,
          headers: { host: servername },
          ca: readFileSync(pki.caCert),
          agent: false,
          timeout: 5000,
        },
        (res) => collect(res, resolve, reject),
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', reject);
      req.end();
    });
  }

  const seen = (reply: Reply) => JSON.parse(reply.body) as Seen;

  const endpoint = (port: number, service: string): Endpoint => ({ address: '127.0.0.1', port, weight: 1, service, taskId: `${service}-${port}` });

  beforeAll(async () => {
    pki = createPki(['secure.test', 'pass.test', 'localhost']);
    work = mkdtempSync(join(tmpdir(), 'render-nginx-traffic-'));
    chmodSync(work, 0o755); // nginx workers (user nginx) connect to the TLS socket in here
    const secrets = join(work, 'secrets');
    mkdirSync(secrets);
    populateSecrets(pki, secrets, [{ certFile: 'secure.crt', keyFile: 'secure.crt.key' }]);

    const web1 = await listen(http.createServer(echo('web1')));
    const web2 = await listen(http.createServer(echo('web2')));
    const api = await listen(http.createServer(echo('api')));
    const tlsOptions = { cert: readFileSync(pki.cert), key: readFileSync(pki.key) };
    const tlsApi = await listen(https.createServer(tlsOptions, echo('tlsapi')));
    const passServer = https.createServer(tlsOptions, echo('pass'));
    passServer.on('secureConnection', (socket: tls.TLSSocket) => passServerNames.push(socket.servername));
    const pass = await listen(passServer);
    const wsHttp = http.createServer(echo('ws-plain'));
    const wss = new WebSocketServer({ server: wsHttp });
    wss.on('connection', (socket, req) => socket.on('message', (data) => socket.send(`echo:${req.url}:${String(data)}`)));
    servers.push(wss);
    const wsPort = await listen(wsHttp);
    // A task that has gone (connects hang) next to a live one.
    hole = await openBlackHole();
    const live = await listen(http.createServer(echo('live')));

    httpPort = await freePort();
    httpsPort = await freePort();
    const model = ProxyModel.fromPartial({
      hosts: [
        {
          host: 'app.test',
          routes: [
            { path: '/api', stripPrefix: true, upstream: 'api' },
            { path: '/ws', upstream: 'ws', websocket: true },
            { path: '/', upstream: 'web' },
          ],
          redirects: [{ fromPath: '/old', toUrl: 'http://new.test:1234' }],
        },
        { host: 'empty.test', routes: [{ path: '/', upstream: 'empty' }] },
        { host: 'failover.test', routes: [{ path: '/', upstream: 'failover' }] },
        { host: 'pass.test', sslOnly: true },
        { host: 'secure.test', certificate: 'secure', sslOnly: true, routes: [{ path: '/', upstream: 'web' }] },
        { host: 'tlsback.test', routes: [{ path: '/', upstream: 'tlsapi' }] },
      ],
      sniRoutes: [{ host: 'pass.test', upstream: 'pass' }],
      upstreams: [
        { name: 'api', endpoints: [endpoint(api, 'api')], services: ['api'] },
        { name: 'empty', endpoints: [], services: ['empty'] },
        { name: 'failover', endpoints: [endpoint(hole.port, 'failover'), endpoint(live, 'failover')], mode: BackendMode.BACKEND_MODE_TASK, services: ['failover'] },
        { name: 'pass', endpoints: [endpoint(pass, 'pass')], services: ['pass'] },
        { name: 'tlsapi', endpoints: [endpoint(tlsApi, 'tlsapi')], tls: true, services: ['tlsapi'] },
        { name: 'web', endpoints: [endpoint(web1, 'web'), endpoint(web2, 'web')], stickyCookie: 'sid', services: ['web'] },
        { name: 'ws', endpoints: [endpoint(wsPort, 'ws')], mode: BackendMode.BACKEND_MODE_TASK, services: ['ws'] },
      ],
      certificates: [{ name: 'secure', certSecret: 'secure.crt', keySecret: 'secure.key', certFile: 'secure.crt', keyFile: 'secure.crt.key' }],
    });
    const result = renderNginx(model, {
      httpPort,
      httpsPort,
      secretsDir: secrets,
      proxyId: 'test-proxy',
      ...(layout.maxFileBytes === undefined ? {} : { maxFileBytes: layout.maxFileBytes }),
      config: {
        PidPath: join(work, 'nginx.pid'),
        ErrorLogPath: join(work, 'error.log'),
        AccessLogPath: join(work, 'access.log'),
        RLimitNoFile: 0,
      },
    });
    expect(result.diagnostics.map((d) => d.code)).toEqual(['empty-upstream']);
    if (layout.split) expect(result.files.map((f) => f.path)).toEqual(['nginx.conf', 'switchyard.d/part-001.conf']);
    else expect(result.files.map((f) => f.path)).toEqual(['nginx.conf']);
    for (const file of result.files) expect(Buffer.byteLength(file.content)).toBeLessThanOrEqual(layout.maxFileBytes ?? 400_000);
    // Secrets are already rendered at their test paths: lay the files out unchanged.
    const conf = layOutFiles(work, result.files, '/run/secrets');
    nginx = spawn('nginx', ['-e', 'stderr', '-g', 'daemon off;', '-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    nginx.stderr?.on('data', (chunk: Buffer) => (nginxLog += chunk.toString()));
    await waitForPort(httpPort, nginx, () => nginxLog, 'nginx');
    await waitForPort(httpsPort, nginx, () => nginxLog, 'nginx');
  });

  afterAll(async () => {
    if (nginx && nginx.exitCode === null) {
      const exited = new Promise((resolve) => nginx?.once('exit', resolve));
      nginx.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 5000)))]);
      clearTimeout(timer);
    }
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    hole?.close();
    pki?.cleanup();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  describe('real nginx with a rendered config', () => {
    it('routes by Host header and path (longest prefix first)', async () => {
      const root = await get('app.test', '/anything?x=1');
      expect(root.status).toBe(200);
      expect(['web1', 'web2']).toContain(seen(root).backend);
      expect(seen(root).url).toBe('/anything?x=1');
      const api = await get('app.test', '/api/users');
      expect(seen(api).backend).toBe('api');
    });

    it('strips the context root when strip_prefix is set', async () => {
      expect(seen(await get('app.test', '/api/users/7?q=1')).url).toBe('/users/7?q=1');
      expect(seen(await get('app.test', '/api')).url).toBe('/');
      // "/apiary" is not under "/api": it goes to the "/" route unchanged.
      const other = seen(await get('app.test', '/apiary'));
      expect(other.backend).not.toBe('api');
      expect(other.url).toBe('/apiary');
    });

    it('answers unknown hosts and upstreams without endpoints with a 503 page', async () => {
      const unknown = await get('nobody.test', '/');
      expect(unknown.status).toBe(503);
      expect(unknown.headers['content-type']).toContain('text/html');
      expect(unknown.body).toContain('503 Service Unavailable');
      expect((await get('empty.test', '/x')).status).toBe(503);
    });

    it('adds the Interlock response headers and forwarding headers', async () => {
      const reply = await get('app.test', '/');
      expect(reply.headers['x-request-id']).toMatch(/^[0-9a-f]{32}$/);
      expect(reply.headers['x-proxy-id']).toBe('test-proxy');
      expect(reply.headers['x-server-info']).toBe('switchyard');
      expect(reply.headers['x-upstream-addr']).toMatch(/^127\.0\.0\.1:\d+$/);
      expect(reply.headers['x-upstream-response-time']).toMatch(/^\d+\.\d{3}$/);
      const backend = seen(reply);
      expect(backend.headers['host']).toBe('app.test');
      expect(backend.headers['x-forwarded-for']).toBe('127.0.0.1');
      expect(backend.headers['x-request-id']).toBe(reply.headers['x-request-id']);
    });

    it('pins a sticky cookie to one backend and spreads different cookies', async () => {
      for (const value of ['alice', 'bob', 'carol']) {
        const backends = new Set<string>();
        for (let i = 0; i < 6; i++) backends.add(seen(await get('app.test', '/', { cookie: `other=1; sid=${value}` })).backend);
        expect(backends.size).toBe(1);
      }
      const spread = new Set<string>();
      for (let i = 0; i < 24; i++) spread.add(seen(await get('app.test', '/', { cookie: `sid=user-${i}` })).backend);
      expect(spread).toEqual(new Set(['web1', 'web2']));
    });

    it('redirects under from_path to to_url plus the original URI', async () => {
      const reply = await get('app.test', '/old/page?x=1');
      expect(reply.status).toBe(302);
      expect(reply.headers['location']).toBe('http://new.test:1234/old/page?x=1');
      expect((await get('app.test', '/old')).headers['location']).toBe('http://new.test:1234/old');
    });

    it('redirects plain HTTP to HTTPS for ssl_only hosts', async () => {
      const reply = await get('secure.test', '/cart?id=3');
      expect(reply.status).toBe(301);
      expect(reply.headers['location']).toBe(`https://secure.test:${httpsPort}/cart?id=3`);
    });

    it('terminates TLS for hosts with a certificate (SNI) on the shared TLS port', async () => {
      const reply = await getTls('secure.test', '/basket');
      expect(reply.status).toBe(200);
      const backend = seen(reply);
      expect(['web1', 'web2']).toContain(backend.backend);
      expect(backend.headers['x-forwarded-proto']).toBe('https');
      expect(reply.headers['x-server-info']).toBe('switchyard');
    });

    it('passes TLS through by SNI to the upstream, which terminates it itself', async () => {
      passServerNames = [];
      const reply = await getTls('pass.test', '/secret');
      expect(reply.status).toBe(200);
      expect(seen(reply).backend).toBe('pass');
      expect(reply.headers['x-server-info']).toBeUndefined(); // nginx never saw the HTTP layer
      expect(passServerNames).toEqual(['pass.test']);
    });

    it('refuses TLS handshakes for unknown server names', async () => {
      await expect(getTls('unknown.test', '/')).rejects.toThrow();
    });

    it('upgrades websocket routes', async () => {
      const socket = new WebSocket(`ws://127.0.0.1:${httpPort}/ws/chat`, { headers: { host: 'app.test' } });
      const message = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('websocket timeout')), 5000);
        socket.on('open', () => socket.send('hello'));
        socket.on('message', (data) => {
          clearTimeout(timer);
          resolve(String(data));
        });
        socket.on('error', reject);
      });
      socket.close();
      expect(message).toBe('echo:/ws/chat:hello');
    });

    it('speaks TLS to backends with tls (no verification)', async () => {
      const reply = await get('tlsback.test', '/secure');
      expect(reply.status).toBe(200);
      expect(seen(reply).backend).toBe('tlsapi');
    });

    it('fails over from a task that has gone (connects hang) to a live one within TaskConnectTimeout (1s)', async () => {
      let viaHole = 0;
      for (let i = 0; i < 4; i++) {
        const start = Date.now();
        const reply = await get('failover.test', `/${i}`);
        const elapsed = Date.now() - start;
        expect(reply.status).toBe(200);
        expect(seen(reply).backend).toBe('live');
        expect(elapsed).toBeLessThan(1500);
        // $upstream_addr lists every endpoint tried: the hole first when nginx waited on it.
        if (String(reply.headers['x-upstream-addr']).startsWith(`127.0.0.1:${hole?.port}, `)) {
          viaHole++;
          expect(elapsed).toBeGreaterThanOrEqual(900);
        }
      }
      expect(viaHole).toBeGreaterThan(0);
    });

    it('serves stub_status on /nginx_status to loopback clients', async () => {
      const reply = await get('whatever.test', '/nginx_status');
      expect(reply.status).toBe(200);
      expect(reply.body).toMatch(/^Active connections: \d+/);
    });
  });
}
