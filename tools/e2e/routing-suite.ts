/**
 * The routing layer on a real swarm (issue: reconciler, core, extension, proxy), in Interlock's
 * rolling delivery mode (`HitlessServiceUpdate = false`). One suite, run once per proxy kind: core is deployed as a swarm service exactly as a user would (tools/swarm/up.sh),
 * core deploys the extension and the proxy by itself, and every assertion is an HTTP request to
 * the proxy's host-mode port on 127.0.0.1 (or what a user can read from Docker and core's gRPC API).
 */
import { Severity } from '@switchyard/proto';
import { E2E_IMAGES, SwarmFixture, docker, dockerLines, requireImages, sleep, waitFor } from '../e2e-harness/index.js';
import { cli, deploySwitchyard, echoOf, runningProxyConfig, viaProxy, type Switchyard } from './switchyard-fixture.js';

export interface SuitePorts {
  http: number;
  https: number;
  grpc: number;
}

/** Registers the routing suite for one proxy kind. */
export function routingSuite(kind: 'nginx' | 'haproxy', ports: SuitePorts): void {
  const fx = new SwarmFixture();
  let sy: Switchyard;
  let core: string;
  let proxyService: string;
  let appNet: string;

  const get = (host: string, path = '/') => viaProxy(ports.http, host, path);
  /** An echo service routed at `host` on `network` (its tasks answer with their own name). */
  const echoService = (suffix: string, host: string, network: string) =>
    fx.createService({
      image: E2E_IMAGES.echo,
      suffix,
      networks: [network],
      env: { ECHO_TASK: '{{.Task.Name}}' },
      labels: { 'com.docker.lb.hosts': host, 'com.docker.lb.port': '8080' },
    });
  /** Tasks answering for `host` over `n` requests (fresh connection each). */
  const sample = async (host: string, n: number): Promise<{ tasks: Set<string>; statuses: number[] }> => {
    const tasks = new Set<string>();
    const statuses: number[] = [];
    for (let i = 0; i < n; i++) {
      const res = await get(host);
      statuses.push(res.status);
      const e = echoOf(res);
      if (e) tasks.add(e.task);
    }
    return { tasks, statuses };
  };
  const until200 = (host: string, timeoutMs = 90_000) =>
    waitFor(async () => echoOf(await get(host)), { timeoutMs, intervalMs: 300, description: `200 from ${host} through the ${kind} proxy` });
  const untilStatus = (host: string, status: number, timeoutMs = 90_000) =>
    waitFor(async () => (await get(host)).status === status, { timeoutMs, intervalMs: 300, description: `${status} for ${host}` });
  const proxyConfigs = async (): Promise<string[]> =>
    dockerLines(['config', 'ls', '--filter', `label=com.switchyard.proxy-service=${proxyService}`, '--format', '{{.Name}}']);
  const proxySpecConfigs = async (): Promise<string> =>
    (await docker(['service', 'inspect', proxyService, '--format', '{{range .Spec.TaskTemplate.ContainerSpec.Configs}}{{.ConfigName}} {{end}}'])).stdout.trim();

  beforeAll(async () => {
    await requireImages([E2E_IMAGES.echo, 'switchyard/core:latest', 'switchyard/extension:latest', `switchyard/proxy-${kind}:latest`]);
    appNet = await fx.createNetwork({ suffix: 'app-net' });
    // Interlock's rolling mode: every change replaces the proxy task (the hitless suites cover the default);
    // one replica, as host-mode ports allow one proxy per node on this single-node swarm.
    sy = await deploySwitchyard(fx, ports.grpc, [{ name: 'e2e', kind, httpPort: ports.http, httpsPort: ports.https, extra: 'HitlessServiceUpdate = false\nProxyReplicas = 1' }]);
    core = sy.core;
    proxyService = sy.proxy('e2e');
  }, 120_000);

  afterAll(async () => {
    await fx.cleanup().catch((err: Error) => console.warn(err.message));
    await sy?.teardown();
  }, 180_000);

  let web: string;

  it('1. a service labelled with hosts + port is reachable through the proxy with no other step', async () => {
    web = await echoService('web', 'web.e2e.local', appNet);
    const first = await until200('web.e2e.local', 150_000);
    expect(first.task.startsWith(`${web}.1.`)).toBe(true);
    // Unknown hosts get the 503 page, not the app.
    expect((await get('nobody.e2e.local')).status).toBe(503);
  }, 200_000);

  it('2. scaling 1 → 3 → 1: answers come from 3 distinct tasks, then only from the one left', async () => {
    await fx.updateService(web, ['--replicas', '3']);
    await fx.waitForRunningTasks(web, 3);
    const three = await waitFor(async () => {
      const s = await sample('web.e2e.local', 12);
      return s.tasks.size === 3 ? s : undefined;
    }, { timeoutMs: 90_000, intervalMs: 500, description: '3 distinct tasks answering' });
    expect(three.tasks.size).toBe(3);
    await fx.updateService(web, ['--replicas', '1']);
    await fx.waitForRunningTasks(web, 1);
    const [left] = await fx.tasks(web).then((ts) => ts.filter((t) => t.desiredState === 'running'));
    // The proxy retries a stopped task on the next one, so answers alone can look settled while the
    // config still lists the stopped tasks and one more rollout is on its way: wait until the config
    // the proxy runs names exactly one backend address.
    let seen: string[] | undefined;
    await waitFor(async () => {
      const config = await runningProxyConfig(proxyService, kind);
      seen = config === undefined ? undefined : [...new Set(config.match(/\b\d+\.\d+\.\d+\.\d+:8080\b/g) ?? [])];
      return seen?.length === 1 ? true : undefined;
    }, { timeoutMs: 90_000, intervalMs: 500, description: 'the running proxy config to list only the remaining task' }).catch((err: Error) => {
      throw new Error(`${err.message}; last seen backend addresses: ${seen === undefined ? 'no single proxy container' : seen.join(', ')}`);
    });
    await waitFor(async () => {
      const s = await sample('web.e2e.local', 10);
      return s.tasks.size === 1 && s.statuses.every((c) => c === 200) ? s : undefined;
    }, { timeoutMs: 90_000, intervalMs: 500, description: 'only the remaining task answering' });
    // No stale upstream: 20 more requests, every one 200 from the remaining task.
    const after = await sample('web.e2e.local', 20);
    expect(after.statuses.every((c) => c === 200)).toBe(true);
    expect([...after.tasks]).toEqual([left!.name]);
  }, 240_000);

  it('3. changing the hosts label moves the route; removing the service gives the 503 page', async () => {
    await fx.updateService(web, ['--label-add', 'com.docker.lb.hosts=moved.e2e.local']);
    await until200('moved.e2e.local');
    await untilStatus('web.e2e.local', 503);
    await fx.removeService(web);
    await untilStatus('moved.e2e.local', 503);
    const page = await get('moved.e2e.local');
    expect(page.status).toBe(503);
    expect(page.body.toLowerCase()).toContain('503');
  }, 200_000);

  it('4. a service on a new overlay network: core attaches the proxy to it and the route works', async () => {
    const net = await fx.createNetwork({ suffix: 'other-net' });
    const netId = (await docker(['network', 'inspect', net, '--format', '{{.Id}}'])).stdout.trim();
    await echoService('other', 'other.e2e.local', net);
    await until200('other.e2e.local', 150_000);
    const nets = (await docker(['service', 'inspect', proxyService, '--format', '{{range .Spec.TaskTemplate.Networks}}{{.Target}} {{end}}'])).stdout;
    expect(nets.split(' ')).toContain(netId);
  }, 200_000);

  it('5. an invalid label: visible diagnostic (gRPC, CLI and log), every other route keeps serving throughout', async () => {
    const good = await echoService('good', 'good.e2e.local', appNet);
    await until200('good.e2e.local', 150_000);
    // Let any rollout the new service caused finish before measuring "throughout".
    await waitFor(async () => (await sample('good.e2e.local', 5)).statuses.every((c) => c === 200), { timeoutMs: 60_000, intervalMs: 500 });
    let stop = false;
    const statuses: number[] = [];
    const load = (async () => {
      for (let i = 0; i < 2000 && !stop; i++) {
        statuses.push((await get('good.e2e.local')).status);
        await sleep(50);
      }
    })();
    const bad = await fx.createService({
      image: E2E_IMAGES.echo,
      suffix: 'bad',
      networks: [appNet],
      labels: { 'com.docker.lb.hosts': 'bad.e2e.local;return 200', 'com.docker.lb.port': '80 80' },
    });
    const diag = await waitFor(async () => {
      const status = await sy.grpc.client.getStatus({});
      return status.models.flatMap((m) => m.diagnostics).find((d) => d.service === bad && d.severity === Severity.SEVERITY_ERROR);
    }, { timeoutMs: 60_000, intervalMs: 500, description: 'a diagnostic for the bad service in GetStatus' });
    expect(diag.label).toMatch(/^com\.docker\.lb\.(hosts|port)$/);
    // The operator CLI shows the same, talking to the live core over gRPC.
    const status = await cli(['status', '--core', `127.0.0.1:${ports.grpc}`]);
    expect(status.code).toBe(0);
    expect(status.out).toMatch(new RegExp(`NOT ROUTED +${bad}`));
    expect(status.out).toMatch(new RegExp(`routed +${good}`));
    const explained = await cli(['explain', 'good.e2e.local/', '--core', `127.0.0.1:${ports.grpc}`]);
    expect(explained.code).toBe(0);
    expect(explained.out).toContain(good);
    expect((await cli(['explain', 'nobody.e2e.local', '--core', `127.0.0.1:${ports.grpc}`])).code).toBe(1);
    const rendered = await cli(['render', '--proxy', kind, '--core', `127.0.0.1:${ports.grpc}`]);
    expect(rendered.code).toBe(0);
    expect(rendered.out).toContain('good.e2e.local');
    await sleep(3000);
    stop = true;
    await load;
    expect(statuses.length).toBeGreaterThan(20);
    expect(statuses.filter((c) => c !== 200)).toEqual([]);
    expect((await get('bad.e2e.local')).status).toBe(503);
    const logs = await waitFor(async () => {
      const text = await sy.coreLogs();
      return text.includes(`service ${bad} not routed`) ? text : undefined;
    }, { timeoutMs: 30_000, intervalMs: 1000, description: "the bad service's diagnostic in core's log" });
    expect(logs).toContain(bad);
    await fx.removeService(good);
  }, 200_000);

  it("6. core's task killed: the proxy keeps serving the last config; core comes back and reconverges", async () => {
    const coreTask = (await dockerLines(['ps', '--quiet', '--filter', `label=com.docker.swarm.service.name=${core}`]))[0];
    expect(coreTask).toBeTruthy();
    await docker(['kill', coreTask!]);
    // Proxy keeps serving while core is down or restarting.
    const during = await sample('other.e2e.local', 15);
    expect(during.statuses.every((c) => c === 200)).toBe(true);
    // Core comes back (swarm restarts it) and reconverges: a new route appears.
    await echoService('late', 'late.e2e.local', appNet);
    await until200('late.e2e.local', 150_000);
    expect((await sample('other.e2e.local', 5)).statuses.every((c) => c === 200)).toBe(true);
  }, 220_000);

  it("7. the proxy's Docker Config rotates on change and old configs are garbage-collected", async () => {
    const before = await proxySpecConfigs();
    await echoService('rotate', 'rotate.e2e.local', appNet);
    await until200('rotate.e2e.local', 150_000);
    const after = await proxySpecConfigs();
    expect(after).not.toBe(before);
    // Only the current config and the previous one (the rollback target) survive.
    const configs = await waitFor(async () => {
      const names = await proxyConfigs();
      return names.length <= 2 ? names : undefined;
    }, { timeoutMs: 60_000, intervalMs: 1000, description: 'old proxy configs to be removed' });
    expect(configs).toContain(after.split(' ')[0]);
  }, 200_000);
}
