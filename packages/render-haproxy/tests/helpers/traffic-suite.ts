/**
 * Real traffic through a real HAProxy started on loopback ports with a rendered configuration; the
 * endpoints are small Node servers on 127.0.0.1. Shared by the one-file and the split layout: the
 * files are laid out as the proxy sees them and HAProxy is started with `-f haproxy.cfg -f switchyard.d`.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import tls from 'node:tls';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import WebSocket, { WebSocketServer } from 'ws';
import { ProxyModel } from '@switchyard/proto';
import type { Endpoint } from '@switchyard/proto';
import { renderHaproxy } from '../../src/index.js';
import { installCert, makePki, openBlackHole } from './tools.js';
import type { BlackHole, TestPki } from './tools.js';
import { freePort } from '../../../../tools/testing/free-port.js';
import { waitForPort } from '../../../../tools/testing/net.js';
import { upstream as up } from '../../../../tools/testing/model.js';

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

interface Seen {
  server: string;
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

  const servers: http.Server[] = [];
  let haproxy: ChildProcess | undefined;
  let haproxyLog = '';
  let wsServer: WebSocketServer | undefined;
  let work: string;
  let pki: TestPki;
  let passPki: TestPki;
  let httpPort: number;
  let httpsPort: number;
  const ports: Record<string, number> = {};
  let hole: BlackHole | undefined;

  function listen(server: net.Server): Promise<number> {
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port));
    });
  }


  /** An HTTP endpoint answering JSON `{ server, url, headers }`. */
  async function startEcho(name: string): Promise<number> {
    const server = http.createServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ server: name, url: req.url, headers: req.headers }));
    });
    servers.push(server);
    return listen(server);
  }

  function request(port: number, host: string, path: string, headers: Record<string, string> = {}): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, path, headers: { host, ...headers }, agent: false, timeout: 5000 }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', reject);
      req.end();
    });
  }

  function seen(reply: Reply): Seen {
    return JSON.parse(reply.body) as Seen;
  }

  const ep = (port: number, service: string, taskId: string): Endpoint => ({ address: '127.0.0.1', port, weight: 1, service, taskId });

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'sy-haproxy-traffic-'));
    pki = makePki(['secure.test', 'web.test']);
    installCert(pki, work, 'secure.pem');
    passPki = makePki(['pass.test']);

    for (const name of ['webA', 'webB', 'app', 'stickyA', 'stickyB', 'secure', 'live']) ports[name] = await startEcho(name);
    // A task that has gone (connects hang) next to the live one.
    hole = await openBlackHole();

    // WebSocket echo endpoint.
    const wsHttp = http.createServer();
    const wss = new WebSocketServer({ server: wsHttp });
    wss.on('connection', (socket, req) => socket.on('message', (data) => socket.send(`echo:${req.url}:${String(data)}`)));
    servers.push(wsHttp);
    wsServer = wss;
    ports['ws'] = await listen(wsHttp);

    // TLS endpoint for SNI passthrough: terminates TLS itself with its own certificate.
    const passServer = https.createServer(
      { cert: readFileSync(passPki.certFile), key: readFileSync(passPki.keyFile) },
      (_req, res) => res.end('passthrough-ok'),
    );
    servers.push(passServer);
    ports['pass'] = await listen(passServer);

    httpPort = await freePort();
    httpsPort = await freePort();

    const model = ProxyModel.fromPartial({
      hosts: [
        { host: 'api-only.test', routes: [{ path: '/api', upstream: 'web', stripPrefix: false, websocket: false }] },
        { host: 'down.test', routes: [{ path: '/', upstream: 'down' }] },
        { host: 'failover.test', routes: [{ path: '/', upstream: 'failover' }] },
        { host: 'secure.test', certificate: 'secure', sslOnly: true, routes: [{ path: '/', upstream: 'secure' }] },
        { host: 'sticky.test', routes: [{ path: '/', upstream: 'sticky' }] },
        {
          host: 'web.test',
          routes: [
            { path: '/app', upstream: 'app', stripPrefix: true },
            { path: '/', upstream: 'web' },
          ],
          redirects: [{ fromPath: '/old', toUrl: 'http://new.test:8080' }],
        },
        { host: 'ws.test', routes: [{ path: '/ws', upstream: 'ws', websocket: true }] },
      ],
      sniRoutes: [{ host: 'pass.test', upstream: 'pass' }],
      certificates: [{ name: 'secure', certSecret: 's', keySecret: 'k', certFile: 'secure.pem', keyFile: 'secure.pem.key' }],
      upstreams: [
        up('app', [ep(ports['app']!, 'app', 'app1')]),
        up('down', []),
        up('failover', [ep(hole.port, 'failover', 'gone1'), ep(ports['live']!, 'failover', 'live1')]),
        up('pass', [ep(ports['pass']!, 'pass', 'pass1')]),
        up('secure', [ep(ports['secure']!, 'secure', 'secure1')]),
        up('sticky', [ep(ports['stickyA']!, 'sticky', 'stickyA'), ep(ports['stickyB']!, 'sticky', 'stickyB')], { stickyCookie: 'SESSION' }),
        up('web', [ep(ports['webA']!, 'web', 'webA'), ep(ports['webB']!, 'web', 'webB')]),
        up('ws', [ep(ports['ws']!, 'ws', 'ws1')]),
      ],
    });
    const { files, diagnostics } = renderHaproxy(model, {
      httpPort,
      httpsPort,
      secretsDir: work,
      proxyId: 'traffic-proxy',
      ...(layout.maxFileBytes === undefined ? {} : { maxFileBytes: layout.maxFileBytes }),
      // The admin socket lives in the test's own directory: /run/haproxy may be missing or shared.
      config: {
        PidPath: join(work, 'haproxy.pid'),
        AdminSocketPath: join(work, 'admin.sock'),
        ConnectTimeout: 5,
        ClientTimeout: 30,
        ServerTimeout: 30,
      },
    });
    expect(diagnostics).toEqual([]);
    if (layout.split) expect(files.length).toBeGreaterThan(2);
    else expect(files.map((f) => f.path)).toEqual(['haproxy.cfg', 'switchyard.d/certificates.crt-list']);
    for (const file of files) {
      expect(Buffer.byteLength(file.content)).toBeLessThanOrEqual(layout.maxFileBytes ?? 400_000);
      mkdirSync(dirname(join(work, file.path)), { recursive: true });
      writeFileSync(join(work, file.path), file.content);
    }
    // The proxy image's command: the main file, then the (possibly empty) switchyard.d directory.
    mkdirSync(join(work, 'switchyard.d'), { recursive: true });
    const cfg = join(work, 'haproxy.cfg');
    haproxy = spawn('haproxy', ['-W', '-db', '-f', cfg, '-f', join(work, 'switchyard.d')], { stdio: ['ignore', 'pipe', 'pipe'] });
    haproxy.stdout?.on('data', (c: Buffer) => (haproxyLog += c.toString()));
    haproxy.stderr?.on('data', (c: Buffer) => (haproxyLog += c.toString()));
    await waitForPort(httpPort, haproxy, () => haproxyLog, 'haproxy');
    await waitForPort(httpsPort, haproxy, () => haproxyLog, 'haproxy');
  });

  afterAll(async () => {
    if (haproxy && haproxy.exitCode === null) {
      const exited = new Promise((r) => haproxy!.once('exit', r));
      haproxy.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 3000)))]);
      clearTimeout(timer);
      if (haproxy.exitCode === null) haproxy.kill('SIGKILL');
    }
    for (const client of wsServer?.clients ?? []) client.terminate();
    wsServer?.close();
    await Promise.all(
      servers.map(
        (s) =>
          new Promise<void>((resolve) => {
            s.close(() => resolve());
            s.closeAllConnections();
          }),
      ),
    );
    hole?.close();
    pki?.cleanup();
    passPki?.cleanup();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  describe('HTTP routing through haproxy', () => {
    it('routes by Host header (port ignored, case-insensitive) and adds the info headers', async () => {
      const reply = await request(httpPort, 'WEB.test:1234', '/hello?x=1');
      expect(reply.status).toBe(200);
      const s = seen(reply);
      expect(['webA', 'webB']).toContain(s.server);
      expect(s.url).toBe('/hello?x=1');
      expect(s.headers['x-forwarded-proto']).toBe('http');
      expect(s.headers['x-forwarded-for']).toBe('127.0.0.1');
      expect(reply.headers['x-server-info']).toBe('switchyard');
      expect(reply.headers['x-proxy-id']).toBe('traffic-proxy');
      expect(reply.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(s.headers['x-request-id']).toBe(reply.headers['x-request-id']);
      expect(reply.headers['x-upstream-addr']).toBe(`127.0.0.1:${ports[s.server]}`);
      expect(reply.headers['x-upstream-response-time']).toMatch(/^\d+$/);
    });

    it('balances across the endpoints of an upstream', async () => {
      const names = new Set<string>();
      for (let i = 0; i < 6; i++) names.add(seen(await request(httpPort, 'web.test', '/')).server);
      expect([...names].sort()).toEqual(['webA', 'webB']);
    });

    it('answers 503 with an HTML page for unknown hosts, with the info headers', async () => {
      const reply = await request(httpPort, 'unknown.test', '/');
      expect(reply.status).toBe(503);
      expect(reply.headers['content-type']).toBe('text/html');
      expect(reply.body).toContain('503 Service Unavailable');
      expect(reply.headers['x-server-info']).toBe('switchyard');
    });

    it('answers 503 for an upstream without endpoints', async () => {
      const reply = await request(httpPort, 'down.test', '/');
      expect(reply.status).toBe(503);
    });

    it('answers the 503 page for a known host when no route matches the path (as nginx)', async () => {
      const other = await request(httpPort, 'api-only.test', '/other');
      expect(other.status).toBe(503);
      expect(other.headers['content-type']).toBe('text/html');
      expect((await request(httpPort, 'api-only.test', '/api/v1')).status).toBe(200);
      expect((await request(httpPort, 'api-only.test', '/apiary')).status).toBe(503);
    });

    it('strips the context root for strip_prefix routes', async () => {
      const a = seen(await request(httpPort, 'web.test', '/app/x/y?q=1'));
      expect(a.server).toBe('app');
      expect(a.url).toBe('/x/y?q=1');
      const b = seen(await request(httpPort, 'web.test', '/app'));
      expect(b.server).toBe('app');
      expect(b.url).toBe('/');
      const c = seen(await request(httpPort, 'web.test', '/application'));
      expect(c.server).not.toBe('app');
    });

    it('matches context roots on the normalized path (as nginx), passing unstripped paths on as sent', async () => {
      for (const [path, url] of [['/%61pp/x?q=1', '/x?q=1'], ['//app/x', '/x'], ['/app%2Fx', '/x'], ['/app/a/./b/../c', '/a/c'], ['/x/../app/y', '/y']] as const) {
        const echo = seen(await request(httpPort, 'web.test', path));
        expect({ path, server: echo.server, url: echo.url }).toEqual({ path, server: 'app', url });
      }
      const up = seen(await request(httpPort, 'web.test', '/app/../other'));
      expect(up.server).not.toBe('app');
      expect(up.url).toBe('/app/../other');
      for (const path of ['/../x', '/app/%zz', '/app/%00', '/a/b/c/d/e/../../../../../x']) {
        expect({ path, status: (await request(httpPort, 'web.test', path)).status }).toEqual({ path, status: 400 });
      }
    });

    it('redirects requests under from_path to to_url plus the original URI', async () => {
      const reply = await request(httpPort, 'web.test', '/old/page?x=1');
      expect(reply.status).toBe(302);
      expect(reply.headers.location).toBe('http://new.test:8080/old/page?x=1');
    });

    it('fails over from a task that has gone (connects hang) to a live one within TaskConnectTimeout (1s)', async () => {
      let waited = 0;
      for (let i = 0; i < 4; i++) {
        const start = Date.now();
        const reply = await request(httpPort, 'failover.test', `/${i}`);
        const elapsed = Date.now() - start;
        expect(reply.status).toBe(200);
        expect(seen(reply).server).toBe('live');
        expect(elapsed).toBeLessThan(1500);
        // A request sent to the hole first waits for the connect timeout, then is redispatched.
        if (elapsed >= 900) waited++;
      }
      expect(waited).toBeGreaterThan(0);
    });

    it('pins clients by the value of the sticky cookie', async () => {
      const byValue = new Map<string, string>();
      for (let v = 0; v < 16; v++) {
        const names = new Set<string>();
        for (let i = 0; i < 3; i++) {
          names.add(seen(await request(httpPort, 'sticky.test', '/', { cookie: `other=1; SESSION=value-${v}` })).server);
        }
        expect(names.size).toBe(1);
        byValue.set(`value-${v}`, [...names][0]!);
      }
      expect(new Set(byValue.values()).size).toBe(2);
    });

    it('serves the stats page to loopback clients', async () => {
      const reply = await request(httpPort, 'anything.test', '/haproxy_status');
      expect(reply.status).toBe(200);
      expect(reply.body).toContain('Statistics Report');
    });
  });

  describe('TLS through haproxy', () => {
    it('redirects plain HTTP to HTTPS for ssl_only hosts (same host and URI, the TLS port by default)', async () => {
      const reply = await request(httpPort, 'Secure.Test:80', '/p?q=1');
      expect(reply.status).toBe(301);
      expect(reply.headers.location).toBe(`https://secure.test:${httpsPort}/p?q=1`);
    });

    it('terminates TLS for hosts with a certificate (SNI), forwarding X-Forwarded-Proto https', async () => {
      const reply = await httpsGet('secure.test', '/tls');
      expect(reply.status).toBe(200);
      const s = seen(reply);
      expect(s.server).toBe('secure');
      expect(s.headers['x-forwarded-proto']).toBe('https');
      expect(s.headers['x-forwarded-for']).toBe('127.0.0.1');
    });

    it('passes TLS through by SNI to the upstream, which presents its own certificate', async () => {
      const { subject, body } = await new Promise<{ subject: string; body: string }>((resolve, reject) => {
        const socket = tls.connect({ host: '127.0.0.1', port: httpsPort, servername: 'pass.test', ca: passPki.caPem }, () => {
          const subject = String(socket.getPeerCertificate().subject?.CN ?? '');
          socket.write('GET / HTTP/1.1\r\nHost: pass.test\r\nConnection: close\r\n\r\n');
          let body = '';
          socket.on('data', (c: Buffer) => (body += c.toString()));
          socket.on('end', () => resolve({ subject, body }));
        });
        socket.setTimeout(5000, () => socket.destroy(new Error('timeout')));
        socket.on('error', reject);
      });
      expect(subject).toBe('pass.test');
      expect(body).toContain('passthrough-ok');
    });
  });

  function httpsGet(host: string, path: string): Promise<Reply> {
    return new Promise<Reply>((resolve, reject) => {
      const req = https.request(
        { host: '127.0.0.1', port: httpsPort, servername: host, ca: pki.caPem, path, headers: { host }, agent: false, timeout: 5000 },
        (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        },
      );
      req.on('error', reject);
      req.end();
    });
  }

  describe('WebSocket through haproxy', () => {
    it('upgrades websocket routes and relays messages both ways', async () => {
      const message = await new Promise<string>((resolve, reject) => {
        const socket = new WebSocket(`ws://127.0.0.1:${httpPort}/ws`, { headers: { host: 'ws.test' }, handshakeTimeout: 5000 });
        socket.on('open', () => socket.send('ping'));
        socket.on('message', (data) => {
          resolve(String(data));
          socket.close();
        });
        socket.on('error', reject);
      });
      expect(message).toBe('echo:/ws:ping');
    });
  });

  describe('in-place reload (master-worker, SIGUSR2)', () => {
    it('keeps HTTP and the TLS hand-off over the abstract socket working', async () => {
      const before = haproxyLog.length;
      haproxy!.kill('SIGUSR2');
      const deadline = Date.now() + 10_000;
      while (!haproxyLog.slice(before).includes('Loading success') && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(haproxyLog.slice(before)).toContain('Loading success');
      expect((await request(httpPort, 'web.test', '/')).status).toBe(200);
      const reply = await httpsGet('secure.test', '/after-reload');
      expect(reply.status).toBe(200);
      expect(seen(reply).url).toBe('/after-reload');
    });
  });
}
