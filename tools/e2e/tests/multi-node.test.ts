/**
 * Switchyard on a 3-node swarm (1 manager, 2 workers) that the test builds itself in
 * docker-in-docker containers (tools/swarm/dind.sh) on a bridge network of its own. Core runs on
 * the manager (tools/swarm/up.sh against the manager's engine), one host-mode nginx proxy per worker
 * (`ProxyReplicas = 2`, `ProxyConstraints = ["node.role==worker"]`, ports 80/443), app tasks spread
 * over all three nodes. Traffic goes only to the worker containers' bridge addresses. Figures are
 * printed with console.log; there are no timing assertions.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { E2E_IMAGES, docker, dockerLines, httpGet, requireImages, sleep, waitFor, type DockerOptions, type HttpResponse } from '../../e2e-harness/index.js';
import { RouteLoad } from '../load.js';

const root = resolve(__dirname, '../../..');
const prefix = `sy-mn-${Date.now().toString(36).slice(-5)}`;
const dind = join(root, 'tools/swarm/dind.sh');

interface Node {
  name: string;
  address: string;
  socket: string;
}

/** Runs a script (bounded); rejects with its stderr. */
function run(file: string, args: string[], timeoutMs: number, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return new Promise((resolvePromise, reject) =>
    execFile('bash', [file, ...args], { timeout: timeoutMs, env, maxBuffer: 4 * 1024 * 1024 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${file} ${args.join(' ')}: ${stderr || err.message}`)) : resolvePromise(stdout),
    ),
  );
}

describe('Switchyard on a 3-node swarm (docker-in-docker)', () => {
  let dir: string;
  let manager: Node;
  let workers: Node[];
  const appNet = `${prefix}-app`;
  const proxy = `${prefix}-proxy`;
  const figures: Record<string, string | number> = {};

  /** `docker` against the manager's engine. */
  const mgr = (args: string[], options: DockerOptions = {}) => docker(args, { timeoutMs: 30_000, ...options, env: { ...process.env, DOCKER_HOST: `unix://${manager.socket}` } });
  const mgrLines = (args: string[]) => dockerLines(args, { timeoutMs: 30_000, env: { ...process.env, DOCKER_HOST: `unix://${manager.socket}` } });
  const get = (node: Node, host: string): Promise<HttpResponse> =>
    httpGet({ address: node.address, port: 80, host, timeoutMs: 5000 }).catch(() => ({ status: 0, headers: {}, body: '' }) as HttpResponse);
  const taskOf = (res: HttpResponse): string | undefined => {
    if (res.status !== 200) return undefined;
    try {
      return (JSON.parse(res.body) as { task?: string }).task;
    } catch {
      return undefined;
    }
  };
  const until200 = (node: Node, host: string, timeoutMs: number) =>
    waitFor(async () => taskOf(await get(node, host)), { timeoutMs, intervalMs: 200, description: `200 from ${host} through ${node.name}:80` });
  /** Running tasks of a service: task name → node hostname. */
  const running = async (service: string): Promise<Map<string, string>> => {
    const lines = await mgrLines(['service', 'ps', '--no-trunc', '--filter', 'desired-state=running', '--format', '{{.Name}}.{{.ID}} {{.Node}} {{.CurrentState}}', service]);
    return new Map(lines.filter((l) => / Running /.test(l)).map((l) => l.split(' ') as [string, string]));
  };
  const echoService = (name: string, host: string, network = appNet) =>
    mgr([
      'service', 'create', '--detach', '--no-resolve-image', '--name', name, '--network', network, '--replicas', '3',
      '--placement-pref', 'spread=node.id', '--env', 'ECHO_TASK={{.Task.Name}}',
      '--label', `com.docker.lb.hosts=${host}`, '--label', 'com.docker.lb.port=8080', E2E_IMAGES.echo,
    ]);

  beforeAll(async () => {
    const images = ['switchyard/core:latest', 'switchyard/extension:latest', E2E_IMAGES.proxyNginx, E2E_IMAGES.echo];
    await requireImages(images);
    dir = mkdtempSync(join(tmpdir(), 'switchyard-multi-node-'));
    let start = Date.now();
    const up = await run(dind, ['up', prefix, '2'], 180_000);
    const nodes = up
      .trim()
      .split('\n')
      .map((line) => {
        const [name = '', address = '', socket = ''] = line.split(' ');
        return { name, address, socket };
      });
    [manager] = nodes as [Node];
    workers = nodes.slice(1);
    expect(workers).toHaveLength(2);
    figures['swarm up (3 dind nodes, s)'] = (Date.now() - start) / 1000;

    // Only what each node runs: core and the extension on the manager, proxies on the workers,
    // app tasks everywhere. One node at a time: vfs unpacks every layer in full, in parallel the
    // three loads fight for the same two cores and disk.
    start = Date.now();
    for (const node of nodes) {
      const t = Date.now();
      await run(dind, ['load-images', node.name, ...(node === manager ? ['switchyard/core:latest', 'switchyard/extension:latest'] : [E2E_IMAGES.proxyNginx]), E2E_IMAGES.echo], 240_000);
      figures[`image load ${node.name} (s)`] = (Date.now() - t) / 1000;
    }
    figures['image load, all nodes (s)'] = (Date.now() - start) / 1000;

    start = Date.now();
    await mgr(['network', 'create', '--driver', 'overlay', '--attachable', appNet]);
    const config = join(dir, 'switchyard.toml');
    writeFileSync(
      config,
      `ListenAddr = ":8080"
PollInterval = "2s"
CoreAddress = "${prefix}-core:8080"
CoreNetwork = "${prefix}-core-net"

[Extensions.default]
ProxyKind = "nginx"
ServiceName = "${prefix}-ext"
ProxyServiceName = "${proxy}"
Constraints = ["node.role==manager"]
ProxyReplicas = 2
ProxyConstraints = ["node.role==worker"]
ProxyStopGracePeriod = "2s"
ProxyUpdateDelay = "0s"
PublishMode = "host"
PublishedPort = 80
PublishedSSLPort = 443
Networks = ["${appNet}"]
`,
    );
    await run(join(root, 'tools/swarm/up.sh'), [config, `${prefix}-core`, `${prefix}-core-net`], 60_000, { ...process.env, DOCKER_HOST: `unix://${manager.socket}` });
    // Both proxies answer (503: no routes yet).
    for (const w of workers) await waitFor(async () => (await get(w, 'nothing.test')).status === 503, { timeoutMs: 150_000, intervalMs: 500, description: `503 from the proxy on ${w.name}` });
    const placed = await running(proxy);
    expect(new Set(placed.values())).toEqual(new Set(workers.map((w) => w.name)));
    figures['core deployed → both proxies answer (s)'] = (Date.now() - start) / 1000;
  }, 600_000);

  afterAll(async () => {
    console.log(`multi-node figures:\n${Object.entries(figures).map(([k, v]) => `  ${k}: ${v}`).join('\n')}`);
    await run(dind, ['down', prefix], 120_000).catch((err: Error) => console.warn(err.message));
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 150_000);

  test('create → first 200 on each proxy, and the nested engine’s create → running', async () => {
    const t0 = Date.now();
    await echoService(`${prefix}-app1`, 'app1.test');
    const firsts = workers.map(async (w) => {
      await until200(w, 'app1.test', 120_000);
      figures[`create → first 200 via ${w.name} (s)`] = (Date.now() - t0) / 1000;
    });
    const allRunning = waitFor(async () => (await running(`${prefix}-app1`)).size === 3, { timeoutMs: 120_000, intervalMs: 300, description: '3 running tasks of app1' }).then(() => {
      figures['create → 3 tasks running, nested engine (s)'] = (Date.now() - t0) / 1000;
    });
    await Promise.all([...firsts, allRunning]);
  }, 150_000);

  test('either proxy routes to tasks on every node', async () => {
    const tasks = await running(`${prefix}-app1`);
    expect(new Set(tasks.values()).size).toBe(3);
    // The last task to start may reach the proxies' pools a moment after Docker reports it running
    // (the previous test returns as soon as both are true), so ask for up to 15 s, not a fixed count.
    for (const w of workers) {
      const seen = new Set<string>();
      const deadline = Date.now() + 15_000;
      while (seen.size < 3 && Date.now() < deadline) {
        const task = taskOf(await get(w, 'app1.test'));
        if (task) seen.add(task);
        else await sleep(100);
      }
      expect([...seen].sort()).toEqual([...tasks.keys()].sort());
    }
  }, 120_000);

  test('draining a worker that runs app tasks loses no request through the proxy on the other worker', async () => {
    const [serving, drained] = workers as [Node, Node];
    expect([...(await running(`${prefix}-app1`)).values()]).toContain(drained.name);
    const load = new RouteLoad({ address: serving.address, port: 80, host: 'app1.test', maxMs: 60_000, timeoutMs: 10_000 });
    await sleep(2000);
    const t0 = Date.now();
    await mgr(['node', 'update', '--availability', 'drain', drained.name]);
    // Bounded: the app's tasks leave the drained node and run elsewhere again.
    await waitFor(
      async () => {
        const tasks = await running(`${prefix}-app1`);
        return tasks.size === 3 && ![...tasks.values()].includes(drained.name);
      },
      { timeoutMs: 60_000, intervalMs: 300, description: `app1's tasks off ${drained.name}` },
    );
    figures['drain → app tasks rescheduled (s)'] = (Date.now() - t0) / 1000;
    await sleep(3000);
    await load.stop();
    figures['drain: requests via the other proxy'] = load.total;
    figures['drain: failed requests'] = load.failed;
    // The proxies are a global service on the workers: the drained node's proxy stops, nothing is
    // left pending there (a pending host-mode replica would hold every later update of the service).
    const proxyTasks = await mgrLines(['service', 'ps', '--filter', 'desired-state=running', '--format', '{{.Name}} {{.CurrentState}} {{.Error}}', proxy]);
    figures['drain: proxy tasks'] = proxyTasks.join(' | ');
    expect(proxyTasks.filter((t) => /Pending/.test(t))).toEqual([]);
    console.log(`drain: ${load.total} requests, ${load.failed} failed${load.failures.length ? `: ${load.failures.join('; ')}` : ''}`);
    expect(load.total).toBeGreaterThan(50);
    expect(load.failed).toBe(0);
    expect(await until200(serving, 'app1.test', 10_000)).toBeTruthy();

    // While the node is drained, a change that must update the proxy service (a service on a network
    // the proxies have not joined) completes and is served.
    const lateNet = `${prefix}-late-net`;
    await mgr(['network', 'create', '--driver', 'overlay', '--attachable', lateNet]);
    const t2 = Date.now();
    await echoService(`${prefix}-late`, 'late.test', lateNet);
    await until200(serving, 'late.test', 150_000);
    await waitFor(async () => /^(completed|)$/.test((await mgrLines(['service', 'inspect', proxy, '--format', '{{if .UpdateStatus}}{{.UpdateStatus.State}}{{end}}']))[0] ?? '') || undefined, {
      timeoutMs: 60_000,
      intervalMs: 1000,
      description: "the proxy service's update to finish while a worker is drained",
    });
    figures['drained: new network → served and proxy update done (s)'] = (Date.now() - t2) / 1000;

    // Back to active: the pending proxy replica is placed on the node again and serves.
    const t1 = Date.now();
    await mgr(['node', 'update', '--availability', 'active', drained.name]);
    await until200(drained, 'app1.test', 120_000);
    figures['undrain → proxy on the node serves again (s)'] = (Date.now() - t1) / 1000;
  }, 240_000);

  test('a worker whose node stops and starts again: the other proxy keeps serving, the restarted one comes back with current routes', async () => {
    const [serving, restarted] = workers as [Node, Node];
    expect([...(await running(`${prefix}-app1`)).values()]).not.toContain(restarted.name);
    const load = new RouteLoad({ address: serving.address, port: 80, host: 'app1.test', maxMs: 120_000, timeoutMs: 10_000 });
    const t0 = Date.now();
    await docker(['stop', '--time', '5', restarted.name], { timeoutMs: 60_000 });
    // A route created while the node is down: the restarted proxy must have it.
    await echoService(`${prefix}-app2`, 'app2.test');
    await until200(serving, 'app2.test', 120_000);
    figures['node down: app2 create → 200 via the other proxy (s)'] = (Date.now() - t0) / 1000;
    await load.stop();
    figures['node down: requests via the other proxy'] = load.total;
    figures['node down: failed requests'] = load.failed;
    console.log(`node down: ${load.total} requests, ${load.failed} failed${load.failures.length ? `: ${load.failures.join('; ')}` : ''}`);
    expect(load.total).toBeGreaterThan(20);
    // The stopped node runs no app1 task (it was drained above and Swarm does not rebalance), so
    // this is the proxies' independence: losing one worker's proxy costs the other nothing.
    expect(load.failed).toBe(0);

    const t1 = Date.now();
    await docker(['start', restarted.name], { timeoutMs: 60_000 });
    await waitFor(async () => (await mgrLines(['node', 'ls', '--filter', `name=${restarted.name}`, '--format', '{{.Status}}'])).includes('Ready'), {
      timeoutMs: 90_000,
      intervalMs: 500,
      description: `${restarted.name} Ready again`,
    });
    await until200(restarted, 'app2.test', 150_000);
    await until200(restarted, 'app1.test', 10_000);
    figures['node start → its proxy serves a route made while it was down (s)'] = (Date.now() - t1) / 1000;
    expect(await until200(serving, 'app2.test', 10_000)).toBeTruthy();
  }, 360_000);
});
