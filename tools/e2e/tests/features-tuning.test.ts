/**
 * Proxy tuning on a real swarm: `[Extensions.<name>.Config]` options reach the running proxy and
 * change what a client sees. One core deploys two pairs: an nginx pair (service cluster
 * "tuned-nginx") with a 1 KB body limit and a 2 s keep-alive timeout, and an HAProxy pair (service
 * cluster "tuned-haproxy") with the info headers hidden, a 3 s client timeout, a 42 s server timeout
 * and 512 connections.
 */
import http from 'node:http';
import net from 'node:net';
import { E2E_IMAGES, SwarmFixture, docker, requireImages, waitFor, type HttpResponse } from '../../e2e-harness/index.js';
import { deploySwitchyard, echoOf, until200, viaProxy, type Switchyard } from '../switchyard-fixture.js';

const GRPC_PORT = 19105;
const NGINX = { name: 'nginx', cluster: 'tuned-nginx', httpPort: 18105, httpsPort: 18405, host: 'upload.tuned.local' } as const;
const HAPROXY = { name: 'haproxy', cluster: 'tuned-haproxy', httpPort: 28105, httpsPort: 28405, host: 'quiet.tuned.local' } as const;
const INFO_HEADERS = ['x-request-id', 'x-proxy-id', 'x-server-info', 'x-upstream-addr', 'x-upstream-response-time'];

/** One POST to 127.0.0.1:<port> with a Host header and `body`, on a fresh connection. */
function post(port: number, host: string, body: Buffer, timeoutMs = 5000): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: '/upload',
        method: 'POST',
        agent: false,
        headers: { host, connection: 'close', 'content-type': 'application/octet-stream', 'content-length': body.length },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') });
        });
        res.on('error', reject);
      },
    );
    const timer = setTimeout(() => req.destroy(new Error(`POST 127.0.0.1:${port}: no response within ${timeoutMs} ms`)), timeoutMs);
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.end(body);
  });
}

/** What {@link idleClose} saw. */
interface IdleClose {
  /** ms from the connect until the server closed the connection. */
  sinceConnect: number;
  /** ms from the end of the server's first reply until it closed the connection. */
  sinceFirstReply: number;
  /** Everything the server sent. */
  received: string;
}

/**
 * Opens a TCP connection to 127.0.0.1:<port>, optionally sends `request`, then stays idle and
 * measures when the server closes the connection. Bounded: gives up (Infinity) after `limitMs`.
 */
function idleClose(port: number, request: string | undefined, limitMs = 30_000): Promise<IdleClose> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let connected = Date.now();
    let replied: number | undefined;
    let received = '';
    const limit = setTimeout(() => {
      socket.destroy();
      resolve({ sinceConnect: Infinity, sinceFirstReply: Infinity, received });
    }, limitMs);
    socket.on('connect', () => {
      connected = Date.now();
      if (request !== undefined) socket.write(request);
    });
    socket.on('data', (chunk: Buffer) => {
      // A reply fits in one read here (small echo body); later data would be another reply.
      replied ??= Date.now();
      received += chunk.toString('utf8');
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(limit);
      const now = Date.now();
      resolve({ sinceConnect: now - connected, sinceFirstReply: replied === undefined ? Infinity : now - replied, received });
    });
  });
}

describe('proxy tuning through [Extensions.*.Config] on a real swarm (nginx and HAProxy)', () => {
  const fx = new SwarmFixture();
  let sy: Switchyard;
  let appNet: string;

  /** The text of the proxy's current config (`docker config inspect` of what its spec mounts). */
  const deliveredConfig = async (proxyService: string): Promise<string> => {
    const names = (await docker(['service', 'inspect', proxyService, '--format', '{{range .Spec.TaskTemplate.ContainerSpec.Configs}}{{.ConfigName}} {{end}}'])).stdout.trim();
    const [name] = names.split(' ');
    if (!name) throw new Error(`${proxyService} mounts no config`);
    const data = (await docker(['config', 'inspect', name, '--format', '{{json .Spec.Data}}'])).stdout;
    return Buffer.from(JSON.parse(data) as string, 'base64').toString('utf8');
  };
  const echoService = (suffix: string, labels: Record<string, string>) =>
    fx.createService({ image: E2E_IMAGES.echo, suffix, networks: [appNet], env: { ECHO_TASK: '{{.Task.Name}}' }, labels });

  beforeAll(async () => {
    await requireImages([E2E_IMAGES.echo, 'switchyard/core:latest', 'switchyard/extension:latest', E2E_IMAGES.proxyNginx, E2E_IMAGES.proxyHaproxy]);
    appNet = await fx.createNetwork({ suffix: 'app-net' });
    sy = await deploySwitchyard(fx, GRPC_PORT, [
      {
        name: NGINX.name,
        kind: 'nginx',
        httpPort: NGINX.httpPort,
        httpsPort: NGINX.httpsPort,
        serviceCluster: NGINX.cluster,
        config: 'ClientMaxBodySize = "1k"\nKeepaliveTimeout = "2s"',
      },
      {
        name: HAPROXY.name,
        kind: 'haproxy',
        httpPort: HAPROXY.httpPort,
        httpsPort: HAPROXY.httpsPort,
        serviceCluster: HAPROXY.cluster,
        config: 'HideInfoHeaders = true\nClientTimeout = 3\nServerTimeout = 42\nMaxConnections = 512',
      },
    ]);
    // Create both services up front, so both proxies roll once and stay put for the measurements.
    await echoService('upload', { 'com.docker.lb.hosts': NGINX.host, 'com.docker.lb.port': '8080', 'com.docker.lb.service_cluster': NGINX.cluster });
    await echoService('quiet', { 'com.docker.lb.hosts': HAPROXY.host, 'com.docker.lb.port': '8080', 'com.docker.lb.service_cluster': HAPROXY.cluster });
  }, 120_000);

  afterAll(async () => {
    await fx.cleanup().catch((err: Error) => console.warn(err.message));
    await sy?.teardown();
  }, 180_000);

  it('13a. nginx ClientMaxBodySize = "1k": a 4 KB POST answers 413 from the proxy, a 512-byte POST reaches the service', async () => {
    await until200(NGINX.httpPort, NGINX.host, '/', 180_000);
    const small = await waitFor(async () => {
      const res = await post(NGINX.httpPort, NGINX.host, Buffer.alloc(512, 'a')).catch(() => undefined);
      return res?.status === 200 ? res : undefined;
    }, { timeoutMs: 60_000, intervalMs: 500, description: 'a 512-byte POST answered 200' });
    const echo = JSON.parse(small.body) as { method: string; body: string };
    expect(echo.method).toBe('POST');
    expect(echo.body).toBe('a'.repeat(512));

    const big = await post(NGINX.httpPort, NGINX.host, Buffer.alloc(4096, 'b'));
    expect(big.status).toBe(413);
    expect(big.headers['x-echo-task']).toBeUndefined(); // the proxy refused it; the service never saw it
    // The default HideInfoHeaders = false: nginx adds its info headers.
    expect(small.headers['x-server-info']).toBe('switchyard');
    expect(small.headers['x-upstream-addr']).toMatch(/^\d+\.\d+\.\d+\.\d+:8080$/);

    expect(await deliveredConfig(sy.proxy(NGINX.name))).toMatch(/^\s*client_max_body_size 1k;$/m);
  }, 240_000);

  it('13b. nginx KeepaliveTimeout = "2s": the proxy closes an idle keep-alive connection about 2 s after its response', async () => {
    await until200(NGINX.httpPort, NGINX.host);
    const { sinceFirstReply, received } = await idleClose(NGINX.httpPort, `GET / HTTP/1.1\r\nHost: ${NGINX.host}\r\nConnection: keep-alive\r\n\r\n`);
    expect(received).toMatch(/^HTTP\/1\.1 200 /);
    expect(sinceFirstReply).toBeGreaterThanOrEqual(1500);
    expect(sinceFirstReply).toBeLessThan(6000); // nginx's default (75 s) would hit the 30 s bound
    console.info(`nginx KeepaliveTimeout 2s: idle keep-alive connection closed ${sinceFirstReply} ms after the response`);
    expect(await deliveredConfig(sy.proxy(NGINX.name))).toMatch(/^\s*keepalive_timeout 2s;$/m);
  }, 120_000);

  it('13c. HAProxy HideInfoHeaders = true: responses carry none of the x-* info headers', async () => {
    const res = await waitFor(async () => {
      const r = await viaProxy(HAPROXY.httpPort, HAPROXY.host);
      return echoOf(r) ? r : undefined;
    }, { timeoutMs: 180_000, intervalMs: 300, description: `200 from ${HAPROXY.host}` });
    for (const h of INFO_HEADERS) expect({ header: h, value: res.headers[h] }).toEqual({ header: h, value: undefined });
    // The service still got its request id (only the response headers are hidden).
    expect(echoOf(res)?.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    // Unknown hosts: the 503 page, also without them.
    const unknown = await viaProxy(HAPROXY.httpPort, 'nobody.tuned.local');
    expect(unknown.status).toBe(503);
    for (const h of INFO_HEADERS) expect(unknown.headers[h]).toBeUndefined();

    const cfg = await deliveredConfig(sy.proxy(HAPROXY.name));
    expect(cfg).not.toContain('x-server-info');
    expect(cfg).toMatch(/^\s*maxconn 512$/m);
    expect(cfg).toMatch(/^\s*timeout server 42s$/m);
  }, 240_000);

  it('13d. HAProxy ClientTimeout = 3: the proxy closes a connection that sends nothing after about 3 s', async () => {
    await until200(HAPROXY.httpPort, HAPROXY.host);
    const { sinceConnect, received } = await idleClose(HAPROXY.httpPort, undefined);
    expect(sinceConnect).toBeGreaterThanOrEqual(2500);
    expect(sinceConnect).toBeLessThan(8000); // the default (600 s) would hit the 30 s bound
    // What the client gets when the timeout strikes: HAProxy's 408 page (or nothing), then the close.
    expect(received === '' || /^HTTP\/1\.[01] 408 /.test(received)).toBe(true);
    console.info(`HAProxy ClientTimeout 3: idle connection closed ${sinceConnect} ms after connect (${received.split('\r\n')[0] || 'no reply'})`);
    expect(await deliveredConfig(sy.proxy(HAPROXY.name))).toMatch(/^\s*timeout client 3s$/m);
  }, 120_000);
});
