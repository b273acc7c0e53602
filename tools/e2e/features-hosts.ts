/**
 * Interlock routing features on a real swarm: several hosts on one service, several services on one
 * host under different context roots, `context_root` with and without `context_root_rewrite`,
 * `redirects` and `default_backend`. One suite, run once per proxy kind (nginx, HAProxy): core is
 * deployed as a user would (tools/swarm/up.sh), core deploys the extension and the proxy, each test
 * creates its services with the real `com.docker.lb.*` labels and asserts with plain HTTP requests to
 * the proxy's host-mode port on 127.0.0.1 what a user would see.
 *
 * The docs pages docs/routing/hosts-and-paths.md, redirects.md and default-backend.md show the same
 * labels and requests: keep them in step with this file.
 */
import { E2E_IMAGES, SwarmFixture, requireImages, waitFor, type HttpResponse } from '../e2e-harness/index.js';
import { deploySwitchyard, echoOf, viaProxy, type Echo, type Switchyard } from './switchyard-fixture.js';

/** Host ports of one suite run (each proxy kind has its own). */
export interface FeaturePorts {
  http: number;
  https: number;
  grpc: number;
}

/** How long a route may take to appear: service start + model + render + proxy rollout. */
const ROUTE_TIMEOUT_MS = 120_000;
/** Per-test timeout. */
const TEST_TIMEOUT_MS = 180_000;

/** Registers the hosts / paths / redirects / default-backend suite for one proxy kind. */
export function featuresHostsSuite(kind: 'nginx' | 'haproxy', ports: FeaturePorts): void {
  const fx = new SwarmFixture();
  /**
   * Every service of this suite is labelled for a service cluster of its own, routed only by this
   * suite's extension + proxy. Without it, every Switchyard deployed on this swarm (other suites run
   * in parallel) would route these services too, and ours theirs: same host names would be shared
   * as a canary pool, and our `default_backend` service would answer their unknown hosts.
   */
  const cluster = fx.id;
  let sy: Switchyard | undefined;
  let appNet: string;
  /** The service of test 10a; test 10b checks that its host keeps its own route. */
  let anchor = '';

  const get = (host: string, path = '/'): Promise<HttpResponse> => viaProxy(ports.http, host, path);

  /** Creates an echo service on the app network with the given `com.docker.lb.*` labels. */
  const echoService = (suffix: string, labels: Record<string, string>): Promise<string> =>
    fx.createService({
      image: E2E_IMAGES.echo,
      suffix,
      networks: [appNet],
      env: { ECHO_TASK: '{{.Task.Name}}' },
      labels: { 'com.docker.lb.port': '8080', 'com.docker.lb.service_cluster': cluster, ...labels },
    });

  /**
   * Waits (bounded) until `host` + `path` answers 200 from a task of `service` three times in a row,
   * and every replica of the proxy reports the cluster's current model applied. Right after a
   * reload, workers of the previous configuration may still take a new connection for a moment
   * (nginx signals them after starting the new ones); the agent reports a config applied only once
   * they stopped accepting, so only then does one answer mean the route is settled.
   */
  const untilServedBy = async (service: string, host: string, path = '/'): Promise<Echo> => {
    const echo = await untilServed(service, host, path);
    await waitFor(
      async () => {
        const status = await sy!.grpc.client.getStatus({});
        const current = status.models.find((m) => m.serviceCluster === cluster)?.version ?? 0;
        const replicas = status.replicas.filter((r) => r.connected && r.proxyService === sy!.proxy('hosts'));
        return current > 0 && replicas.length > 0 && replicas.every((r) => r.appliedModelVersion >= current);
      },
      { timeoutMs: ROUTE_TIMEOUT_MS, intervalMs: 100, description: `every ${kind} proxy replica to report the current model applied` },
    );
    return echo;
  };
  const untilServed = (service: string, host: string, path: string): Promise<Echo> =>
    waitFor(
      async () => {
        let echo: Echo | undefined;
        for (let i = 0; i < 3; i++) {
          echo = echoOf(await get(host, path));
          if (!echo?.task.startsWith(`${service}.`)) return undefined;
        }
        return echo;
      },
      { timeoutMs: ROUTE_TIMEOUT_MS, intervalMs: 300, description: `${host}${path} answered by ${service} through the ${kind} proxy` },
    );

  /** One request that must be answered 200 by `service`; resolves with what the app saw. */
  const servedBy = async (service: string, host: string, path = '/'): Promise<Echo> => {
    const res = await get(host, path);
    const echo = echoOf(res);
    // Compared as one object so that a failure shows which task (if any) answered instead.
    const answeredBy = echo?.task.startsWith(`${service}.`) ? service : (echo?.task ?? `status ${res.status}`);
    expect({ host, path, answeredBy }).toEqual({ host, path, answeredBy: service });
    return echo!;
  };

  beforeAll(async () => {
    await requireImages([E2E_IMAGES.echo, 'switchyard/core:latest', 'switchyard/extension:latest', `switchyard/proxy-${kind}:latest`]);
    appNet = await fx.createNetwork({ suffix: 'app-net' });
    sy = await deploySwitchyard(fx, ports.grpc, [{ name: 'hosts', kind, httpPort: ports.http, httpsPort: ports.https, serviceCluster: cluster }]);
  }, 120_000);

  afterAll(async () => {
    await fx.cleanup().catch((err: Error) => console.warn(err.message));
    await sy?.teardown();
  }, 180_000);

  it('10a. before any default_backend service exists, an unknown host gets the 503 page', async () => {
    // Any routed service makes core deploy the proxy; until then the port is closed (status 0).
    anchor = await echoService('anchor', { 'com.docker.lb.hosts': 'anchor.hosts.e2e.local' });
    await untilServedBy(anchor, 'anchor.hosts.e2e.local');
    const page = await get('nobody.hosts.e2e.local', '/some/page');
    expect(page.status).toBe(503);
    expect(page.body.toLowerCase()).toContain('503');
  }, TEST_TIMEOUT_MS);

  it('1a. hosts=a,b: both host names reach the same service, the path unchanged', async () => {
    const multi = await echoService('multi', { 'com.docker.lb.hosts': 'a.hosts.e2e.local,b.hosts.e2e.local' });
    const a = await untilServedBy(multi, 'a.hosts.e2e.local', '/hello?x=1');
    const b = await untilServedBy(multi, 'b.hosts.e2e.local', '/hello?x=1');
    expect(a.task).toBe(b.task); // one replica: the very same task answers both names
    expect(a.path).toBe('/hello?x=1');
    expect(b.path).toBe('/hello?x=1');
    // The Host header reaches the app as sent, so it can tell the names apart.
    expect(a.headers.host).toBe('a.hosts.e2e.local');
    expect(b.headers.host).toBe('b.hosts.e2e.local');
    // Host matching ignores case and the port in the Host header.
    await servedBy(multi, 'A.Hosts.E2E.Local');
    await servedBy(multi, `b.hosts.e2e.local:${ports.http}`);
    // A name the service does not list is not routed to it.
    expect((await get('c.hosts.e2e.local')).status).toBe(503);
  }, TEST_TIMEOUT_MS);

  it('1b. two services on one host with context_root=/app1 and /app2 reach different services', async () => {
    const host = 'shared.hosts.e2e.local';
    const [app1, app2] = await Promise.all([
      echoService('app1', { 'com.docker.lb.hosts': host, 'com.docker.lb.context_root': '/app1' }),
      echoService('app2', { 'com.docker.lb.hosts': host, 'com.docker.lb.context_root': '/app2' }),
    ]);
    await untilServedBy(app1, host, '/app1/');
    await untilServedBy(app2, host, '/app2/');
    for (const path of ['/app1', '/app1/', '/app1/deep/page?q=1']) await servedBy(app1, host, path);
    for (const path of ['/app2', '/app2/', '/app2/deep/page?q=1']) await servedBy(app2, host, path);
    // Prefixes match whole path segments only, and nothing claims the rest of the host.
    for (const path of ['/app10', '/app1x/y', '/', '/other']) {
      const res = await get(host, path);
      expect({ path, status: res.status }).toEqual({ path, status: 503 });
    }
  }, TEST_TIMEOUT_MS);

  it('2a. context_root without rewrite: the app sees the full path /app1/...', async () => {
    const host = 'plain.hosts.e2e.local';
    const plain = await echoService('plain', { 'com.docker.lb.hosts': host, 'com.docker.lb.context_root': '/app1' });
    // A new host reaches every proxy worker within a reload: wait on both location kinds (prefix and exact).
    await untilServedBy(plain, host, '/app1/x');
    await untilServedBy(plain, host, '/app1');
    const seen: Record<string, string> = {};
    for (const path of ['/app1', '/app1/', '/app1/x', '/app1/x/y?q=1&r=2']) seen[path] = (await servedBy(plain, host, path)).path;
    expect(seen).toEqual({ '/app1': '/app1', '/app1/': '/app1/', '/app1/x': '/app1/x', '/app1/x/y?q=1&r=2': '/app1/x/y?q=1&r=2' });
  }, TEST_TIMEOUT_MS);

  it('2b. context_root_rewrite=true: the app sees the path without the prefix (/app1/x → /x, /app1 → /)', async () => {
    const host = 'rewrite.hosts.e2e.local';
    const rewrite = await echoService('rewrite', {
      'com.docker.lb.hosts': host,
      'com.docker.lb.context_root': '/app1',
      'com.docker.lb.context_root_rewrite': 'true',
    });
    await untilServedBy(rewrite, host, '/app1/x');
    const seen: Record<string, string> = {};
    for (const path of ['/app1', '/app1/', '/app1/x', '/app1/x/y?q=1&r=2', '/app1?q=1']) seen[path] = (await servedBy(rewrite, host, path)).path;
    expect(seen).toEqual({ '/app1': '/', '/app1/': '/', '/app1/x': '/x', '/app1/x/y?q=1&r=2': '/x/y?q=1&r=2', '/app1?q=1': '/?q=1' });
  }, TEST_TIMEOUT_MS);

  it('8. redirects=http://old,http://new: old answers a 302 to the new host + original URI', async () => {
    const oldHost = 'old.hosts.e2e.local';
    const newHost = 'new.hosts.e2e.local';
    const site = await echoService('redirect', {
      'com.docker.lb.hosts': `${oldHost},${newHost}`,
      'com.docker.lb.redirects': `http://${oldHost},http://${newHost}`,
    });
    await untilServedBy(site, newHost, '/');
    const redirect = await waitFor(
      async () => {
        const res = await get(oldHost, '/some/page?x=1');
        return res.status >= 300 && res.status < 400 ? res : undefined;
      },
      { timeoutMs: ROUTE_TIMEOUT_MS, intervalMs: 300, description: `a redirect for ${oldHost} through the ${kind} proxy` },
    );
    expect(redirect.status).toBe(302);
    expect(redirect.headers.location).toBe(`http://${newHost}/some/page?x=1`);
    // Every path of the old host redirects, the root included.
    const root = await get(oldHost, '/');
    expect([root.status, root.headers.location]).toEqual([302, `http://${newHost}/`]);
    // Following the Location (to this proxy, since the target names no port) reaches the service.
    const target = new URL(redirect.headers.location!);
    const followed = await servedBy(site, target.hostname, `${target.pathname}${target.search}`);
    expect(followed.path).toBe('/some/page?x=1');
    expect(followed.headers.host).toBe(newHost);
  }, TEST_TIMEOUT_MS);

  it('10b. default_backend=true: an unknown host reaches that service instead of the 503 page', async () => {
    expect((await get('unknown.hosts.e2e.local')).status).toBe(503);
    const fallback = await echoService('fallback', { 'com.docker.lb.default_backend': 'true' });
    const echo = await untilServedBy(fallback, 'unknown.hosts.e2e.local', '/any/path?z=9');
    expect(echo.path).toBe('/any/path?z=9');
    expect(echo.headers.host).toBe('unknown.hosts.e2e.local');
    // Any other unclaimed name (or a bare IP Host header) goes there too...
    await servedBy(fallback, 'elsewhere.example.test');
    await servedBy(fallback, `127.0.0.1:${ports.http}`);
    // ...while hosts claimed by other services keep their own routes.
    await servedBy(anchor, 'anchor.hosts.e2e.local');
    // A known host with no route for the path is not handed to the default backend (test 1b's host).
    expect((await get('shared.hosts.e2e.local', '/other')).status).toBe(503);
    // Without the default backend, unknown hosts get the 503 page again.
    await fx.removeService(fallback);
    await waitFor(async () => (await get('unknown.hosts.e2e.local')).status === 503, {
      timeoutMs: ROUTE_TIMEOUT_MS,
      intervalMs: 300,
      description: `the 503 page again for unknown hosts through the ${kind} proxy`,
    });
    await servedBy(anchor, 'anchor.hosts.e2e.local');
  }, TEST_TIMEOUT_MS);
}
