/**
 * A third-party extension on a real swarm: core is deployed as a user would (tools/swarm/up.sh) with
 * a config that has no [Extensions] at all, so core deploys no extension and no proxy of its own.
 * The example extension (examples/json-routes, built here and run with `node` on the host, as its
 * author would) connects to core's published gRPC port, registers for service cluster "json", and
 * must produce a route table listing the labelled service's task IPs; core must list it and accept
 * its submissions (with nothing to deliver, since no proxy is configured).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ProxyKind } from '@switchyard/proto';
import { connectExtensionClient, loadCredentials, type ExtensionConnection } from '@switchyard/proto/client';
import { E2E_IMAGES, SwarmFixture, docker, requireImages, waitFor } from '../../e2e-harness/index.js';

const root = resolve(__dirname, '../../..');
const GRPC_PORT = 39091;
const CLUSTER = 'json';
const HOST = 'json.e2e.local';
const EXTENSION_NAME = 'json-routes-e2e';

interface RouteTable {
  modelVersion: number;
  hosts: { host: string; routes: { path: string; upstream: string; endpoints: string[] }[] }[];
}

interface LogLine {
  level?: string;
  message?: string;
  modelVersion?: number;
  configName?: string;
}

describe('a third-party extension (examples/json-routes) against core on a real swarm', () => {
  const fx = new SwarmFixture();
  const core = `${fx.id}-core`;
  const coreNet = `${fx.id}-core-net`;
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-e2e-json-'));
  const out = join(dir, 'routes.json');
  let grpc: ExtensionConnection | undefined;
  let child: ChildProcess | undefined;
  let childOutput = '';
  let appNet: string;
  let web: string;

  const table = (): RouteTable | undefined => {
    if (!existsSync(out)) return undefined;
    try {
      return JSON.parse(readFileSync(out, 'utf8')) as RouteTable;
    } catch {
      return undefined;
    }
  };
  const endpointsOf = (t: RouteTable | undefined, host: string): string[] | undefined =>
    t?.hosts.find((h) => h.host === host)?.routes.flatMap((r) => r.endpoints);
  const logLines = (): LogLine[] =>
    childOutput.split('\n').flatMap((line) => {
      try {
        return [JSON.parse(line) as LogLine];
      } catch {
        return [];
      }
    });
  /** waitFor, with the extension's recent output in the timeout message. */
  const waitWithLogs = async <T>(probe: () => T | undefined | false | Promise<T | undefined | false>, description: string, timeoutMs = 120_000): Promise<T> => {
    try {
      return await waitFor(probe, { timeoutMs, intervalMs: 500, description });
    } catch (err) {
      throw new Error(`${(err as Error).message}\nextension output (tail):\n${childOutput.slice(-3000)}\nroutes.json: ${JSON.stringify(table())}`, { cause: err });
    }
  };

  beforeAll(async () => {
    await requireImages([E2E_IMAGES.echo, 'switchyard/core:latest']);
    // Build the example (and the proto package it references) as its author would.
    execFileSync('npx', ['tsc', '-b', 'examples/json-routes/tsconfig.lib.json'], { cwd: root, stdio: 'pipe' });
    appNet = await fx.createNetwork({ suffix: 'app-net' });
    const config = `
ListenAddr = ":8080"
PollInterval = "2s"
CoreAddress = "${core}:8080"
CoreNetwork = "${coreNet}"
`;
    const file = join(dir, 'switchyard.toml');
    writeFileSync(file, config);
    execFileSync('bash', [join(root, 'tools/swarm/up.sh'), file, core, coreNet], {
      env: { ...process.env, SWITCHYARD_CORE_PUBLISH: String(GRPC_PORT) },
      stdio: 'pipe',
    });
    // Credentials as the docs tell a third-party author to get them: issued by core's CA, one for
    // the extension (its name and cluster) and one for an operator.
    const credentials = join(dir, 'extension.pem');
    const operator = join(dir, 'operator.pem');
    execFileSync('bash', [join(root, 'tools/swarm/credentials.sh'), core, credentials, EXTENSION_NAME, 'extension', CLUSTER], { stdio: 'pipe', timeout: 150_000 });
    execFileSync('bash', [join(root, 'tools/swarm/credentials.sh'), core, operator, 'e2e'], { stdio: 'pipe', timeout: 150_000 });
    grpc = connectExtensionClient(`127.0.0.1:${GRPC_PORT}`, { tls: loadCredentials({ bundle: operator }) });
    await waitFor(() => grpc!.client.getStatus({}).then(() => true), { timeoutMs: 90_000, intervalMs: 500, description: "core's gRPC port to answer" });

    child = spawn(
      process.execPath,
      [join(root, 'examples/json-routes/dist/main.js'), '--core', `127.0.0.1:${GRPC_PORT}`, '--cluster', CLUSTER, '--out', out, '--name', EXTENSION_NAME, '--credentials', credentials],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stdout?.on('data', (chunk: Buffer) => (childOutput += chunk.toString('utf8')));
    child.stderr?.on('data', (chunk: Buffer) => (childOutput += chunk.toString('utf8')));
  }, 240_000);

  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise<void>((done) => child!.once('exit', () => done()));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((done) => setTimeout(done, 5000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    grpc?.close();
    await fx.cleanup().catch((err: Error) => console.warn(err.message));
    try {
      execFileSync('bash', [join(root, 'tools/swarm/down.sh'), core, coreNet], { stdio: 'pipe' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);

  it("1. a service labelled for cluster json appears in the extension's routes.json with its task IP:8080", async () => {
    // A service of another cluster must stay out of the json table. (Not the default cluster: other
    // e2e suites may run a core routing that one at the same time.)
    await fx.createService({
      image: E2E_IMAGES.echo,
      suffix: 'other',
      networks: [appNet],
      labels: { 'com.docker.lb.hosts': 'other.e2e.local', 'com.docker.lb.port': '8080', 'com.docker.lb.service_cluster': 'not-json' },
    });
    web = await fx.createService({
      image: E2E_IMAGES.echo,
      suffix: 'json',
      networks: [appNet],
      labels: { 'com.docker.lb.hosts': HOST, 'com.docker.lb.port': '8080', 'com.docker.lb.service_cluster': CLUSTER },
    });
    await fx.waitForRunningTasks(web, 1, { timeoutMs: 90_000 });
    const [ip] = await fx.taskAddresses(web, appNet);
    expect(ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    const t = await waitWithLogs(() => {
      const current = table();
      return endpointsOf(current, HOST)?.includes(`${ip}:8080`) ? current : undefined;
    }, `${HOST} -> ${ip}:8080 in routes.json`);
    expect(t.hosts.map((h) => h.host)).toEqual([HOST]);
    expect(t.hosts[0]?.routes).toEqual([{ path: '/', upstream: expect.any(String), endpoints: [`${ip}:8080`] }]);
  }, 200_000);

  it('2. core lists the registered extension and its model, and accepted the submission (no proxy, so no delivery)', async () => {
    const status = await grpc!.client.getStatus({});
    expect(status.extensions).toContainEqual(expect.objectContaining({ name: EXTENSION_NAME, serviceCluster: CLUSTER, proxyKind: ProxyKind.PROXY_KIND_OTHER }));
    const model = status.models.find((m) => m.serviceCluster === CLUSTER);
    expect(model?.hosts.map((h) => h.host)).toEqual([HOST]);
    expect(status.deliveries.filter((d) => d.serviceCluster === CLUSTER)).toEqual([]);

    // What the extension's author sees: core accepted the routes.json rendered from the model on disk.
    const onDisk = table();
    expect(onDisk).toBeDefined();
    const accepted = await waitWithLogs(
      () => logLines().find((l) => l.message === 'config accepted' && l.modelVersion === onDisk!.modelVersion),
      `"config accepted" for model version ${onDisk!.modelVersion} in the extension's log`,
      30_000,
    );
    expect(accepted.level).toBe('info');
    expect(accepted.configName).toBe('');
    expect(logLines().filter((l) => l.message === 'config rejected by core')).toEqual([]);
    // And what an operator sees in core's log.
    const coreLog = await waitFor(
      async () => {
        const { stdout } = await docker(['service', 'logs', '--raw', '--tail', '500', core], { allowFailure: true, timeoutMs: 20_000 });
        return stdout.includes('no configured proxy; nothing to deliver') ? stdout : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 1000, description: "core's log to note the accepted config with nothing to deliver" },
    );
    expect(coreLog).toContain(EXTENSION_NAME);
  }, 120_000);

  it('3. scaling to 2 lists both task IPs; removing the service drops its host from the table', async () => {
    await fx.updateService(web, ['--replicas', '2']);
    await fx.waitForRunningTasks(web, 2, { timeoutMs: 90_000 });
    const ips = (await fx.taskAddresses(web, appNet)).map((ip) => `${ip}:8080`).sort();
    expect(ips).toHaveLength(2);
    await waitWithLogs(() => {
      const eps = endpointsOf(table(), HOST);
      return eps !== undefined && JSON.stringify([...eps].sort()) === JSON.stringify(ips);
    }, `both tasks (${ips.join(', ')}) in routes.json`);
    await fx.removeService(web);
    const after = await waitWithLogs(() => {
      const current = table();
      return current && !current.hosts.some((h) => h.host === HOST) ? current : undefined;
    }, `${HOST} to leave routes.json`);
    expect(after.hosts).toEqual([]);
  }, 200_000);
});
