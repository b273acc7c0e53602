/**
 * Interlock features on a real swarm, with both proxies at once: one core deploys two
 * `[Extensions.*]` sections, an nginx pair for service cluster "east" and an HAProxy pair for
 * service cluster "west", each published in host mode on its own ports.
 *
 *  11. service_cluster: a service is reachable through its own cluster's proxy and never through the
 *      other one (which answers 503 for that host), and vice versa.
 *  12. backend_mode=vip: the model's endpoint is the service's VIP, the proxy receives a config that
 *      targets the VIP, and the real nginx / HAProxy binaries accept that config. (Traffic through a
 *      VIP cannot be exercised here: the kernel has no IPVS.)
 *  14. host-mode publishing with configurable ports: each proxy service publishes exactly its
 *      configured HTTP and HTTPS ports in host mode, and answers on them.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BackendMode, type ProxyModel } from '@switchyard/proto';
import { E2E_IMAGES, SwarmFixture, docker, dockerLines, isPortOpen, requireImages, sleep, waitFor } from '../../e2e-harness/index.js';
import { deploySwitchyard, echoOf, until200, viaProxy, type Switchyard } from '../switchyard-fixture.js';

const GRPC_PORT = 19104;

interface Pair {
  /** Extension name in `[Extensions.<name>]` and service cluster it routes. */
  cluster: 'east' | 'west';
  kind: 'nginx' | 'haproxy';
  httpPort: number;
  httpsPort: number;
  /** Where the running proxy reads its main file (the proxy agent's live directory, hitless mode). */
  configPath: string;
}

const EAST: Pair = { cluster: 'east', kind: 'nginx', httpPort: 18104, httpsPort: 18404, configPath: '/run/switchyard/live/nginx.conf' };
const WEST: Pair = { cluster: 'west', kind: 'haproxy', httpPort: 28104, httpsPort: 28404, configPath: '/run/switchyard/live/haproxy.cfg' };

interface PublishedPort {
  Protocol?: string;
  TargetPort?: number;
  PublishedPort?: number;
  PublishMode?: string;
}

describe('service clusters and backend_mode=vip on a real swarm (nginx pair "east" + HAProxy pair "west")', () => {
  const fx = new SwarmFixture();
  let sy: Switchyard;
  let appNet: string;
  let appNetId: string;

  /**
   * Names of the Docker Configs of the proxy's current delivery, as core reports it (in hitless mode
   * the running proxies get them through their agent; the spec keeps the ones its tasks booted from).
   */
  const deliveredConfigNames = async (proxyService: string): Promise<string[]> => {
    const status = await sy.grpc.client.getStatus({});
    return (status.deliveries.find((d) => d.proxyService === proxyService)?.configName ?? '').split(',').filter((s) => s !== '');
  };
  /** The text of the proxy's current main config, read with `docker config inspect`. */
  const deliveredConfig = async (proxyService: string): Promise<string> => {
    const [name] = await deliveredConfigNames(proxyService);
    if (name === undefined) throw new Error(`nothing delivered to ${proxyService} yet`);
    const data = (await docker(['config', 'inspect', name, '--format', '{{json .Spec.Data}}'])).stdout;
    return Buffer.from(JSON.parse(data) as string, 'base64').toString('utf8');
  };
  /** The main file inside the proxy's one running container, or undefined while it rolls. */
  const runningConfig = async (proxyService: string, path: string): Promise<string | undefined> => {
    const ids = await dockerLines(['ps', '--quiet', '--filter', `label=com.docker.swarm.service.name=${proxyService}`]);
    if (ids.length !== 1) return undefined;
    const { stdout, exitCode } = await docker(['exec', ids[0]!, 'cat', path], { allowFailure: true, timeoutMs: 15_000 });
    return exitCode === 0 ? stdout : undefined;
  };
  const proxyNetworks = async (proxyService: string): Promise<string[]> =>
    (await docker(['service', 'inspect', proxyService, '--format', '{{range .Spec.TaskTemplate.Networks}}{{.Target}} {{end}}'])).stdout
      .trim()
      .split(' ')
      .filter((s) => s !== '');
  const modelOf = async (cluster: string): Promise<ProxyModel | undefined> => (await sy.grpc.client.getModel({ serviceCluster: cluster })).model;
  const echoService = (suffix: string, labels: Record<string, string>) =>
    fx.createService({ image: E2E_IMAGES.echo, suffix, networks: [appNet], env: { ECHO_TASK: '{{.Task.Name}}' }, labels });

  beforeAll(async () => {
    await requireImages([E2E_IMAGES.echo, 'switchyard/core:latest', 'switchyard/extension:latest', E2E_IMAGES.proxyNginx, E2E_IMAGES.proxyHaproxy]);
    appNet = await fx.createNetwork({ suffix: 'app-net' });
    appNetId = (await docker(['network', 'inspect', appNet, '--format', '{{.Id}}'])).stdout.trim();
    sy = await deploySwitchyard(
      fx,
      GRPC_PORT,
      [EAST, WEST].map((p) => ({ name: p.cluster, kind: p.kind, httpPort: p.httpPort, httpsPort: p.httpsPort, serviceCluster: p.cluster })),
    );
  }, 120_000);

  afterAll(async () => {
    await fx.cleanup().catch((err: Error) => console.warn(err.message));
    await sy?.teardown();
  }, 180_000);

  it('11. service_cluster: a service is reachable only through its own cluster\'s proxy; the other answers 503 for its host', async () => {
    // Both pairs come up on their own (an empty model still gets a proxy): 503 for any host.
    for (const p of [EAST, WEST]) {
      await waitFor(async () => (await viaProxy(p.httpPort, 'nobody.local')).status === 503, {
        timeoutMs: 150_000,
        intervalMs: 500,
        description: `the ${p.kind} proxy of cluster ${p.cluster} answering 503 on port ${p.httpPort}`,
      });
    }

    // From now until the end of the test, ask each proxy for the other cluster's host: never a 200.
    let stop = false;
    const crossStatuses: { port: number; host: string; status: number; task?: string }[] = [];
    const sampler = (async () => {
      for (let i = 0; i < 3000 && !stop; i++) {
        for (const [port, host] of [
          [WEST.httpPort, 'shop.east.local'],
          [EAST.httpPort, 'shop.west.local'],
        ] as const) {
          const res = await viaProxy(port, host);
          crossStatuses.push({ port, host, status: res.status, task: echoOf(res)?.task });
        }
        await sleep(200);
      }
    })();

    try {
      const westConfigsBefore = await deliveredConfigNames(sy.proxy('west'));

      // A service of cluster east: reachable through east's nginx.
      const eastApp = await echoService('east-app', {
        'com.docker.lb.hosts': 'shop.east.local',
        'com.docker.lb.port': '8080',
        'com.docker.lb.service_cluster': 'east',
      });
      const viaEast = await until200(EAST.httpPort, 'shop.east.local');
      expect(viaEast.task.startsWith(`${eastApp}.1.`)).toBe(true);
      // The west pair did not even notice: same config, and it was not attached to the app's network.
      expect(await deliveredConfigNames(sy.proxy('west'))).toEqual(westConfigsBefore);
      expect(await proxyNetworks(sy.proxy('west'))).not.toContain(appNetId);
      expect(await proxyNetworks(sy.proxy('east'))).toContain(appNetId);

      // A service of cluster west: reachable through west's HAProxy.
      const westApp = await echoService('west-app', {
        'com.docker.lb.hosts': 'shop.west.local',
        'com.docker.lb.port': '8080',
        'com.docker.lb.service_cluster': 'west',
      });
      const viaWest = await until200(WEST.httpPort, 'shop.west.local');
      expect(viaWest.task.startsWith(`${westApp}.1.`)).toBe(true);
      // Each proxy still serves its own host (the other pair's rollout did not disturb it).
      expect(echoOf(await viaProxy(EAST.httpPort, 'shop.east.local'))?.task).toBe(viaEast.task);

      // Each cluster's model (core's gRPC API) holds its own service only.
      expect((await modelOf('east'))?.hosts.map((h) => h.host)).toEqual(['shop.east.local']);
      expect((await modelOf('west'))?.hosts.map((h) => h.host)).toEqual(['shop.west.local']);

      // Now each proxy answers the other cluster's host with its 503 page.
      for (const [port, host] of [
        [WEST.httpPort, 'shop.east.local'],
        [EAST.httpPort, 'shop.west.local'],
      ] as const) {
        const res = await waitFor(async () => {
          const r = await viaProxy(port, host);
          return r.status === 503 ? r : undefined;
        }, { timeoutMs: 60_000, intervalMs: 300, description: `503 for ${host} on port ${port}` });
        expect(res.body.toLowerCase()).toContain('503');
      }
      await sleep(2000);
    } finally {
      stop = true;
      await sampler;
    }
    // Never a 200 across clusters (0 = connection refused while a proxy rolled, 503 = not routed there).
    expect(crossStatuses.length).toBeGreaterThan(20);
    expect(crossStatuses.filter((s) => s.status === 200)).toEqual([]);
    expect(new Set(crossStatuses.map((s) => s.status))).toContain(503);
    const counts = crossStatuses.reduce<Record<number, number>>((acc, s) => ({ ...acc, [s.status]: (acc[s.status] ?? 0) + 1 }), {});
    console.info(`cross-cluster requests: ${crossStatuses.length}, by status: ${JSON.stringify(counts)}`);
  }, 300_000);

  it('14. host-mode publishing: each pair publishes exactly its configured HTTP/HTTPS ports in host mode, and answers there', async () => {
    for (const p of [EAST, WEST]) {
      const proxy = sy.proxy(p.cluster);
      const ports = JSON.parse((await docker(['service', 'inspect', proxy, '--format', '{{json .Spec.EndpointSpec.Ports}}'])).stdout) as PublishedPort[];
      expect(ports.map((x) => ({ Protocol: x.Protocol, TargetPort: x.TargetPort, PublishedPort: x.PublishedPort, PublishMode: x.PublishMode }))).toEqual([
        { Protocol: 'tcp', TargetPort: 80, PublishedPort: p.httpPort, PublishMode: 'host' },
        { Protocol: 'tcp', TargetPort: 443, PublishedPort: p.httpsPort, PublishMode: 'host' },
      ]);
      const image = (await docker(['service', 'inspect', proxy, '--format', '{{.Spec.TaskTemplate.ContainerSpec.Image}}'])).stdout.trim();
      expect(image).toMatch(new RegExp(`^switchyard/proxy-${p.kind}:`));
      // The running task really holds the host ports (host mode: published by the node, not the mesh).
      const [task] = (await fx.tasks(proxy)).filter((t) => t.desiredState === 'running' && t.state === 'running');
      expect(task).toBeDefined();
      const taskPorts = JSON.parse((await docker(['inspect', '--type', 'task', task!.id, '--format', '{{json .Status.PortStatus.Ports}}'])).stdout) as PublishedPort[];
      // (Docker may list a port more than once in a task's status: compare the distinct entries.)
      expect([...new Set(taskPorts.map((x) => `${x.TargetPort}->${x.PublishedPort}/${x.PublishMode}`))].sort()).toEqual([
        `443->${p.httpsPort}/host`,
        `80->${p.httpPort}/host`,
      ]);
      expect(await isPortOpen(p.httpPort)).toBe(true);
    }
    // The HTTP ports answer for their own cluster's host only (11 proved "never" for the other).
    expect(echoOf(await viaProxy(EAST.httpPort, 'shop.east.local'))).toBeDefined();
    expect(echoOf(await viaProxy(WEST.httpPort, 'shop.west.local'))).toBeDefined();
  }, 60_000);

  for (const p of [EAST, WEST]) {
    it(`12. backend_mode=vip (${p.kind}, cluster ${p.cluster}): the model's endpoint is the service VIP, the proxy receives it, and ${p.kind} accepts the config`, async () => {
      const host = `vip.${p.cluster}.local`;
      const svc = await echoService(`vip-${p.cluster}`, {
        'com.docker.lb.hosts': host,
        'com.docker.lb.port': '8080',
        'com.docker.lb.backend_mode': 'vip',
        'com.docker.lb.service_cluster': p.cluster,
      });
      // The service's virtual IP on the app network, as Docker reports it.
      const vip = await waitFor(async () => {
        const raw = (await docker(['service', 'inspect', svc, '--format', '{{json .Endpoint.VirtualIPs}}'])).stdout;
        const vips = (JSON.parse(raw) ?? []) as { NetworkID?: string; Addr?: string }[];
        return vips.find((v) => v.NetworkID === appNetId)?.Addr?.split('/')[0];
      }, { timeoutMs: 30_000, intervalMs: 500, description: `the VIP of ${svc} on ${appNet}` });
      expect(vip).toMatch(/^\d+\.\d+\.\d+\.\d+$/);

      // core's model (gRPC GetModel): one endpoint, the VIP, in vip mode, with no task.
      const upstream = await waitFor(async () => (await modelOf(p.cluster))?.upstreams.find((u) => u.services.includes(svc)), {
        timeoutMs: 60_000,
        intervalMs: 500,
        description: `an upstream for ${svc} in the model of cluster ${p.cluster}`,
      });
      expect(upstream.mode).toBe(BackendMode.BACKEND_MODE_VIP);
      expect(upstream.endpoints).toEqual([{ address: vip, port: 8080, weight: 1, service: svc, taskId: '' }]);
      const tasks = await fx.waitForRunningTasks(svc, 1, { timeoutMs: 60_000 });
      expect(upstream.endpoints.map((e) => e.address)).not.toContain(tasks[0]!.addresses[appNet]?.[0]);

      // The config core delivered (docker config inspect) targets the VIP...
      const proxy = sy.proxy(p.cluster);
      const delivered = await waitFor(async () => {
        const text = await deliveredConfig(proxy);
        return text.includes(`${vip}:8080`) ? text : undefined;
      }, { timeoutMs: 90_000, intervalMs: 1000, description: `${vip}:8080 in the config delivered to ${proxy}` });
      expect(delivered).toContain(host);
      // ...and it is the file the running proxy container actually has.
      await waitFor(async () => (await runningConfig(proxy, p.configPath)) === delivered, {
        timeoutMs: 90_000,
        intervalMs: 1000,
        description: `the running ${proxy} container to have the delivered config`,
      });

      // The real binary on this host accepts it (only the pid file's path is changed, to a temp dir).
      const dir = mkdtempSync(join(tmpdir(), 'switchyard-vip-'));
      try {
        const file = join(dir, p.kind === 'nginx' ? 'nginx.conf' : 'haproxy.cfg');
        writeFileSync(file, delivered.split('/var/run/proxy.pid').join(join(dir, 'proxy.pid')));
        const bin = p.kind === 'nginx' ? 'nginx' : 'haproxy';
        const args = p.kind === 'nginx' ? ['-t', '-c', file] : ['-dW', '-c', '-f', file];
        // stdout goes to a file: the config logs to /dev/stdout, which nginx cannot open on a socket pair.
        const out = openSync(join(dir, 'stdout'), 'w');
        const check = spawnSync(bin, args, { encoding: 'utf8', timeout: 30_000, stdio: ['ignore', out, 'pipe'] });
        closeSync(out);
        const output = `${readFileSync(join(dir, 'stdout'), 'utf8')}${check.stderr}`;
        if (check.status !== 0) throw new Error(`${bin} rejected the config delivered to ${proxy} (exit ${check.status}):\n${output}`);
        expect(output).toMatch(p.kind === 'nginx' ? /test is successful/ : /Configuration file is valid/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }

      // Other routes of the same proxy keep serving (the VIP upstream does not break the config).
      await until200(p.httpPort, `shop.${p.cluster}.local`, '/', 90_000);

      // As in Interlock, scaling a vip-mode service needs no proxy reconfiguration: core sees the new
      // task, but the rendered config (one VIP endpoint) is the same, so nothing new is delivered.
      const configsBefore = await deliveredConfigNames(proxy);
      await fx.updateService(svc, ['--replicas', '2']);
      await fx.waitForRunningTasks(svc, 2, { timeoutMs: 60_000 });
      const scaled = await waitFor(async () => {
        const m = await modelOf(p.cluster);
        return m?.services.find((st) => st.name === svc)?.runningTasks === 2 ? m : undefined;
      }, { timeoutMs: 60_000, intervalMs: 500, description: `the model of ${p.cluster} to count 2 running tasks of ${svc}` });
      expect(scaled.upstreams.find((u) => u.services.includes(svc))?.endpoints.map((e) => `${e.address}:${e.port}`)).toEqual([`${vip}:8080`]);
      await sleep(3000); // give core time to (wrongly) deliver
      expect(await deliveredConfigNames(proxy)).toEqual(configsBefore);
    }, 240_000);
  }
});
