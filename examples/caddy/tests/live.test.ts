/**
 * The rendered config in the real `caddy` (2.6) on loopback: backends are HTTP servers in this
 * process on 127.0.0.1, requests carry a Host header, and what is asserted is what a client sees
 * (status, which backend answered, the path it got). Then a changed model is applied with
 * `caddy reload` and the new route answers.
 */
import type net from 'node:net';
import type { ProxyModel } from '@switchyard/proto';
import { freePort } from '../../../tools/testing/free-port.js';
import { closeAll, get, selfSignedCertificate, startBackend, startCaddy, type LiveCaddy, type Reply } from './helpers/caddy.js';
import { host, model, route, upstream } from '../../../tools/testing/model.js';

jest.setTimeout(60_000);

const servers: net.Server[] = [];
let caddy: LiveCaddy | undefined;
let v1: ProxyModel;
/** Backend ports by name. */
const port: Record<string, number> = {};

/** Retries `probe` until `accept` holds (bounded), returning the last reply. */
async function until(probe: () => Promise<Reply>, accept: (r: Reply) => boolean, timeoutMs = 5000): Promise<Reply> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const reply = await probe().catch((err: Error): Reply => ({ status: 0, body: err.message, echo: undefined }));
    if (accept(reply) || Date.now() > deadline) return reply;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

beforeAll(async () => {
  for (const name of ['web', 'api', 'v2', 'wild', 'spare']) port[name] = await startBackend(name, servers);
  port['secure'] = await startBackend('secure', servers, await selfSignedCertificate());
  // A port nothing listens on: an endpoint of a task that just died.
  const dead = await freePort();
  v1 = model({
    version: 1,
    hosts: [
      host('app.test', [route('/', 'web'), route('/api', 'api', { stripPrefix: true }), route('/v2', 'v2')]),
      host('*.wild.test', [route('/', 'wild')]),
      host('empty.test', [route('/', 'scaled-to-zero')]),
      host('partial.test', [route('/only', 'web')]),
      host('failover.test', [route('/', 'half-dead')]),
      host('tls-backend.test', [route('/', 'secure')]),
    ],
    upstreams: [
      upstream('api', [['127.0.0.1', port['api']!]]),
      upstream('half-dead', [['127.0.0.1', dead], ['127.0.0.1', port['spare']!]]),
      upstream('scaled-to-zero', []),
      upstream('secure', [['127.0.0.1', port['secure']!]], { tls: true }),
      upstream('v2', [['127.0.0.1', port['v2']!]]),
      upstream('web', [['127.0.0.1', port['web']!]]),
      upstream('wild', [['127.0.0.1', port['wild']!]]),
    ],
  });
  caddy = await startCaddy(v1);
});

afterAll(async () => {
  await caddy?.stop();
  await closeAll(servers);
});

const at = (hostName: string, path = '/'): Promise<Reply> => get(caddy!.httpPort, hostName, path);

describe('caddy run with the rendered caddy.json', () => {
  it('renders v1 with only the expected warning (the upstream scaled to zero)', () => {
    expect(caddy!.rendered.diagnostics.map((d) => d.code)).toEqual(['empty-upstream']);
  });

  it('routes a known host to its backend, passing the Host header and the path', async () => {
    const reply = await at('app.test', '/hello?x=1');
    expect(reply.status).toBe(200);
    expect(reply.echo).toEqual({ server: 'web', url: '/hello?x=1', host: 'app.test' });
    expect((await at(`APP.test:${caddy!.httpPort}`)).echo?.server).toBe('web');
  });

  it('routes by path prefix, longest first, and strips the prefix when the route says so', async () => {
    expect((await at('app.test', '/api/users?page=2')).echo).toMatchObject({ server: 'api', url: '/users?page=2' });
    expect((await at('app.test', '/api')).echo).toMatchObject({ server: 'api', url: '/' });
    expect((await at('app.test', '/v2/items')).echo).toMatchObject({ server: 'v2', url: '/v2/items' });
    // A prefix is a path segment: /apix is not under /api.
    expect((await at('app.test', '/apix')).echo).toMatchObject({ server: 'web', url: '/apix' });
  });

  it('matches a wildcard host on one or more labels, not on the bare suffix', async () => {
    expect((await at('a.wild.test')).echo?.server).toBe('wild');
    expect((await at('a.b.wild.test')).echo?.server).toBe('wild');
    expect((await at('wild.test')).status).toBe(404);
  });

  it('answers 404 for an unknown host', async () => {
    const reply = await at('nobody.test');
    expect(reply).toMatchObject({ status: 404, body: '404 Not Found\n' });
  });

  it('answers 503 for a host whose upstream has no endpoints, and for the unrouted paths of a host', async () => {
    expect(await at('empty.test')).toMatchObject({ status: 503, body: '503 Service Unavailable\n' });
    expect((await at('partial.test', '/only/x')).echo?.server).toBe('web');
    expect((await at('partial.test', '/other')).status).toBe(503);
  });

  it('fails over from an endpoint that refuses connections', async () => {
    for (let i = 0; i < 6; i++) {
      const reply = await at('failover.test', `/${i}`);
      expect([reply.status, reply.echo?.server]).toEqual([200, 'spare']);
    }
  });

  it('speaks TLS to an ssl_backend upstream', async () => {
    expect((await at('tls-backend.test', '/s')).echo).toMatchObject({ server: 'secure', url: '/s' });
  });
});

describe('caddy reload with a changed model', () => {
  it('serves the new route and drops the removed one', async () => {
    const v2: ProxyModel = {
      ...v1,
      version: 2,
      hosts: [...v1.hosts.filter((h) => h.host !== 'empty.test'), host('new.test', [route('/', 'api')])],
    };
    await caddy!.apply(v2);
    const fresh = await until(() => at('new.test'), (r) => r.status === 200);
    expect(fresh.echo).toMatchObject({ server: 'api', host: 'new.test' });
    expect((await until(() => at('empty.test'), (r) => r.status === 404)).status).toBe(404);
    expect((await at('app.test')).echo?.server).toBe('web');
    expect(caddy!.log()).not.toMatch(/"level":"(error|fatal)"/);
  });
});
