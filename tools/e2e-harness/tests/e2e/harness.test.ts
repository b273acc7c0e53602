// Proves the platform path the product depends on: locally built images, an overlay network,
// task IPs read from the swarm, a Docker Config as the proxy's nginx.conf, and a host-mode
// published port answering on 127.0.0.1.
import WebSocket from 'ws';
import { E2E_IMAGES, SwarmFixture, httpGet, isPortOpen, requireImages, waitFor } from '../../index.js';

const PORT = 18080;

interface EchoBody {
  task: string;
  hostname: string;
  path: string;
  headers: Record<string, string>;
}

function nginxConf(upstreams: readonly string[]): string {
  return `user nginx;
worker_processes 1;
pid /run/nginx.pid;
include /etc/nginx/modules-enabled/*.conf;
events { worker_connections 256; }
http {
  access_log /dev/stdout;
  map $http_upgrade $connection_upgrade { default upgrade; '' close; }
  upstream echo {
${upstreams.map((address) => `    server ${address}:8080;`).join('\n')}
  }
  server {
    listen 80;
    location / {
      proxy_pass http://echo;
      proxy_http_version 1.1;
      proxy_set_header Host $host;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
    }
  }
}
`;
}

function firstWebSocketMessage(url: string, host: string, timeoutMs: number): Promise<{ hello: EchoBody; echoed: string }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers: { host }, handshakeTimeout: timeoutMs });
    const timer = setTimeout(() => {
      socket.terminate();
      reject(new Error(`websocket ${url}: no echo within ${timeoutMs} ms`));
    }, timeoutMs);
    let hello: EchoBody | undefined;
    socket.on('message', (data) => {
      const text = String(data);
      if (hello === undefined) {
        hello = JSON.parse(text) as EchoBody;
        socket.send('ping-through-nginx');
        return;
      }
      clearTimeout(timer);
      socket.close();
      resolve({ hello, echoed: text });
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

const fixture = new SwarmFixture();

afterAll(async () => {
  await fixture.cleanup();
}, 120_000);

test('an nginx proxy service on an overlay network answers on a host-mode port from both echo tasks', async () => {
  await requireImages([E2E_IMAGES.echo, E2E_IMAGES.proxyNginx]);
  expect(await isPortOpen(PORT)).toBe(false);

  const network = await fixture.createNetwork({ suffix: 'net' });
  const echo = await fixture.createService({
    suffix: 'echo',
    image: E2E_IMAGES.echo,
    replicas: 2,
    networks: [network],
    env: { ECHO_TASK: '{{.Task.Name}}' },
  });
  const tasks = await fixture.waitForRunningTasks(echo, 2);
  const addresses = tasks.map((task) => task.addresses[network]?.[0]);
  expect(addresses).toEqual([expect.stringMatching(/^\d+\.\d+\.\d+\.\d+$/), expect.stringMatching(/^\d+\.\d+\.\d+\.\d+$/)]);

  const config = await fixture.createConfig(nginxConf(addresses as string[]), { suffix: 'nginx-conf' });
  const proxy = await fixture.createService({
    suffix: 'proxy',
    image: E2E_IMAGES.proxyNginx,
    networks: [network],
    publish: [{ published: PORT, target: 80, mode: 'host' }],
    configs: [{ source: config, target: '/etc/nginx/nginx.conf' }],
  });
  await fixture.waitForRunningTasks(proxy, 1);

  await waitFor(async () => (await httpGet({ port: PORT, path: '/ready', host: 'echo.test' })).status === 200, {
    timeoutMs: 30_000,
    description: `the proxy on 127.0.0.1:${PORT}`,
  }).catch(async (error: Error) => {
    throw new Error(`${error.message}\nproxy logs:\n${await fixture.logs(proxy)}`);
  });

  const seen = new Set<string>();
  for (let i = 0; i < 10; i++) {
    const response = await httpGet({ port: PORT, path: `/hello?i=${i}`, host: 'echo.test' });
    expect(response.status).toBe(200);
    const body = JSON.parse(response.body) as EchoBody;
    expect(body.path).toBe(`/hello?i=${i}`);
    expect(body.headers.host).toBe('echo.test');
    seen.add(body.task);
  }
  expect([...seen].sort()).toEqual(tasks.map((task) => task.name).sort());

  const ws = await firstWebSocketMessage(`ws://127.0.0.1:${PORT}/chat`, 'echo.test', 10_000);
  expect(tasks.map((task) => task.name)).toContain(ws.hello.task);
  expect(ws.hello.path).toBe('/chat');
  expect(ws.echoed).toBe('ping-through-nginx');
}, 180_000);
