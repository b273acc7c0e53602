/**
 * A third-party proxy driven by core exactly like the built-in ones: the example extension
 * (examples/caddy, image switchyard/example-caddy-extension) renders Caddy's native JSON config, and
 * core delivers it to a stock Caddy (Debian's binary plus the proxy agent, switchyard/proxy-caddy)
 * that core itself deployed from two `[Extensions.<name>]` sections of kind "caddy":
 *
 *  - "edge" (cluster caddy, in-place updates): the agent runs `caddy run` on its live copy of the file,
 *    checks each new one with `caddy validate` and applies it with `caddy reload`; a labelled service is
 *    routed, scaled, relabelled and removed, and scaling and relabelling leave the proxy task as it is
 *    (joining the app's network, a spec change, replaces it once).
 *  - "edge-rolling" (cluster caddy-rolling, HitlessServiceUpdate = false): the file is a Docker Config
 *    mounted at ProxyConfigPath and Swarm replaces the proxy task for a change.
 */
import { E2E_IMAGES, SwarmFixture, dockerLines, requireImages, waitFor } from '../../e2e-harness/index.js';
import { deploySwitchyard, echoOf, until200, viaProxy, type Switchyard } from '../switchyard-fixture.js';

const GRPC_PORT = 19151;
const HITLESS = { name: 'edge', cluster: 'caddy', httpPort: 18151, httpsPort: 18451 };
const ROLLING = { name: 'edge-rolling', cluster: 'caddy-rolling', httpPort: 28151, httpsPort: 28451 };

/** The `[Extensions.<name>]` keys of a Caddy proxy (besides what the fixture writes). */
const caddySection = (hitless: boolean): string => `Image = "${E2E_IMAGES.caddyExtension}"
ProxyImage = "${E2E_IMAGES.proxyCaddy}"
ProxyConfigPath = "/etc/caddy/caddy.json"
ProxyArgs = ["caddy", "run", "--config", "/etc/caddy/caddy.json"]
ProxyCheckCommand = ["caddy", "validate", "--config", "/etc/caddy/caddy.json"]
ProxyReloadCommand = ["caddy", "reload", "--config", "/etc/caddy/caddy.json", "--force"]
HitlessServiceUpdate = ${hitless}
ProxyReplicas = 1
`;

describe('a Caddy proxy deployed and driven by core for the example third-party extension', () => {
  const fx = new SwarmFixture();
  let sy: Switchyard;
  let appNet: string;

  const proxyTasks = (proxyService: string): Promise<string[]> => dockerLines(['service', 'ps', '--quiet', '--filter', 'desired-state=running', proxyService]);
  /** The one running proxy task, once a rollout (e.g. attaching the app's network) has finished. */
  const oneProxyTask = (proxyService: string, not?: string): Promise<string> =>
    waitFor(
      async () => {
        const tasks = await proxyTasks(proxyService);
        const running = await dockerLines(['service', 'ps', '--filter', 'desired-state=running', '--format', '{{.CurrentState}}', proxyService]);
        return tasks.length === 1 && running.every((st) => st.startsWith('Running')) && tasks[0] !== not ? tasks[0] : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 500, description: `one running task of ${proxyService}${not ? ` other than ${not}` : ''}` },
    );
  const statusOf = async (port: number, host: string): Promise<number> => (await viaProxy(port, host)).status;
  const untilStatus = (port: number, host: string, status: number): Promise<boolean> =>
    waitFor(async () => (await statusOf(port, host)) === status, { timeoutMs: 60_000, intervalMs: 300, description: `${status} from ${host} on port ${port}` });

  /** An echo backend on the app network, labelled for `host` in `cluster`. */
  const echoApp = (suffix: string, host: string, cluster: string): Promise<string> =>
    fx.createService({
      image: E2E_IMAGES.echo,
      suffix,
      networks: [appNet],
      env: { ECHO_TASK: '{{.Task.Name}}' },
      labels: { 'com.docker.lb.hosts': host, 'com.docker.lb.port': '8080', 'com.docker.lb.service_cluster': cluster },
    });

  beforeAll(async () => {
    await requireImages([E2E_IMAGES.echo, 'switchyard/core:latest', E2E_IMAGES.caddyExtension, E2E_IMAGES.proxyCaddy]);
    appNet = await fx.createNetwork({ suffix: 'app-net' });
    sy = await deploySwitchyard(fx, GRPC_PORT, [
      { name: HITLESS.name, kind: 'caddy', httpPort: HITLESS.httpPort, httpsPort: HITLESS.httpsPort, serviceCluster: HITLESS.cluster, extra: caddySection(true) },
      { name: ROLLING.name, kind: 'caddy', httpPort: ROLLING.httpPort, httpsPort: ROLLING.httpsPort, serviceCluster: ROLLING.cluster, extra: caddySection(false) },
    ]);
  }, 120_000);

  afterAll(async () => {
    await fx.cleanup().catch((err: Error) => console.warn(err.message));
    await sy?.teardown();
  }, 180_000);

  it('1. in place: a labelled service is routed, scaled, relabelled and removed through Caddy, the proxy task unchanged by scaling and relabelling', async () => {
    // An empty model still gets a proxy: Caddy answers 404 for any host.
    await untilStatus(HITLESS.httpPort, 'nobody.caddy.local', 404);

    const app = await echoApp('app', 'shop.caddy.local', HITLESS.cluster);
    const first = await until200(HITLESS.httpPort, 'shop.caddy.local');
    expect(first.task.startsWith(`${app}.1.`)).toBe(true);
    expect(first.headers.host).toBe('shop.caddy.local');
    // Joining the app's network is a spec change (the one kind that replaces the task); from here on
    // every change is a route or endpoint change, applied in place.
    const proxyTask = await oneProxyTask(sy.proxy(HITLESS.name));
    await until200(HITLESS.httpPort, 'shop.caddy.local');

    // Scaled to 2: both tasks answer through Caddy.
    await fx.updateService(app, ['--replicas', '2']);
    const seen = await waitFor(
      async () => {
        const tasks = new Set<string>();
        for (let i = 0; i < 20; i++) {
          const echo = echoOf(await viaProxy(HITLESS.httpPort, 'shop.caddy.local'));
          if (echo) tasks.add(echo.task.split('.').slice(0, 2).join('.'));
        }
        return tasks.size === 2 ? [...tasks].sort() : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 500, description: 'both tasks answering through Caddy' },
    );
    expect(seen).toEqual([`${app}.1`, `${app}.2`]);

    // Relabelled: the new host is served, the old one is Caddy's 404.
    await fx.updateService(app, ['--label-add', 'com.docker.lb.hosts=store.caddy.local']);
    await until200(HITLESS.httpPort, 'store.caddy.local', '/', 90_000);
    await untilStatus(HITLESS.httpPort, 'shop.caddy.local', 404);

    // Scaling and relabelling were applied in place: the same proxy task throughout.
    expect(await proxyTasks(sy.proxy(HITLESS.name))).toEqual([proxyTask]);
    // Core knows the replica applied them with `caddy reload` and refused none.
    const status = await sy.grpc.client.getStatus({});
    const replicas = status.replicas.filter((r) => r.proxyService === sy.proxy(HITLESS.name) && r.connected);
    expect(replicas.map((r) => r.replica?.taskId)).toEqual([proxyTask]);
    expect(replicas[0]).toMatchObject({ rejectedError: '' });
    expect(replicas[0]!.reloads).toBeGreaterThanOrEqual(2);

    // Removed: its host is gone.
    await fx.removeService(app);
    await untilStatus(HITLESS.httpPort, 'store.caddy.local', 404);
  }, 400_000);

  it('2. rolling (HitlessServiceUpdate = false): the file is mounted at ProxyConfigPath and a route change replaces the Caddy task', async () => {
    await untilStatus(ROLLING.httpPort, 'nobody.caddy.local', 404);
    const app = await echoApp('rolling-app', 'old.caddy.local', ROLLING.cluster);
    const echo = await until200(ROLLING.httpPort, 'old.caddy.local', '/', 150_000);
    expect(echo.task.startsWith(`${app}.1.`)).toBe(true);
    const before = await oneProxyTask(sy.proxy(ROLLING.name));
    // A label change only: in rolling mode it is a new Docker Config in the spec, so a new task.
    await fx.updateService(app, ['--label-add', 'com.docker.lb.hosts=new.caddy.local']);
    await until200(ROLLING.httpPort, 'new.caddy.local', '/', 150_000);
    await oneProxyTask(sy.proxy(ROLLING.name), before);
    expect(await statusOf(ROLLING.httpPort, 'old.caddy.local')).toBe(404);
  }, 300_000);
});
