/**
 * The control plane on a real swarm (issue: mutual TLS, scoped identities, leases). core is
 * deployed as a user would (tools/swarm/up.sh) with one nginx extension in hitless mode; every
 * assertion is made from outside: a throwaway container on core's network playing intruder, the
 * CLI on the host, core's /metrics and log, `docker service inspect`, and HTTP through the proxy.
 *
 *  1. A container on core's network with no certificate, a self-signed one (claiming the default
 *     extension's identity), or a valid certificate of another extension and cluster cannot
 *     register, read the model, or submit; each refusal is logged with its peer and counted; the
 *     proxy keeps serving the real routes.
 *  2. The CLI works with an operator certificate and is refused without one; an operator
 *     certificate cannot register or submit.
 *  3. Restarting core keeps the CA: the extension and the proxy agent reconnect without being
 *     redeployed, and a new route is served.
 *  4. Only core mounts the Docker socket.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ProxyKind, configChecksum } from '@switchyard/proto';
import { connectExtensionClient, loadCredentials } from '@switchyard/proto/client';
import { E2E_IMAGES, SwarmFixture, docker, dockerLines, httpGet, requireImages, waitFor } from '../../e2e-harness/index.js';
import { cli, deploySwitchyard, until200, type Switchyard } from '../switchyard-fixture.js';

const root = resolve(__dirname, '../../..');
const PORTS = { http: 18121, https: 18421, grpc: 19121, metrics: 19221 };

interface ProbeLine {
  attempt: 'plaintext' | 'no-certificate' | 'self-signed' | 'other-cluster';
  call: string;
  ok: boolean;
  code?: number;
  details?: string;
}

describe('control plane: mutual TLS and scoped identities on a real swarm', () => {
  const fx = new SwarmFixture();
  let sy: Switchyard;
  let proxyService: string;
  let extService: string;
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-e2e-cp-'));

  const metrics = async (): Promise<string> => (await httpGet({ port: PORTS.metrics, host: 'localhost', path: '/metrics', timeoutMs: 5000 })).body;
  const refusals = async (): Promise<Record<string, number>> =>
    Object.fromEntries([...(await metrics()).matchAll(/^switchyard_control_plane_refused_total\{reason="([a-z-]+)"\} (\d+)/gm)].map((m) => [m[1]!, Number(m[2])]));
  const echo = (suffix: string, host: string) =>
    fx.createService({ image: E2E_IMAGES.echo, suffix, env: { ECHO_TASK: '{{.Task.Name}}' }, labels: { 'com.docker.lb.hosts': host, 'com.docker.lb.port': '8080' }, networks: [sy.coreNetwork] });

  beforeAll(async () => {
    await requireImages([E2E_IMAGES.echo, 'switchyard/core:latest', 'switchyard/extension:latest', 'switchyard/proxy-nginx:latest']);
    sy = await deploySwitchyard(fx, PORTS.grpc, [{ name: 'cp', kind: 'nginx', httpPort: PORTS.http, httpsPort: PORTS.https }], PORTS.metrics);
    proxyService = sy.proxy('cp');
    extService = `${fx.id}-cp-ext`;
  }, 240_000);

  afterAll(async () => {
    await fx.cleanup().catch((err: Error) => console.warn(err.message));
    await sy?.teardown();
    rmSync(dir, { recursive: true, force: true });
  }, 180_000);

  it('1. an intruder on core\'s network (no certificate, self-signed, another cluster\'s) cannot register, read or submit; the proxy keeps serving', async () => {
    await echo('web', 'web.cp.local');
    await until200(PORTS.http, 'web.cp.local');
    const before = await refusals();
    // A valid certificate, issued by core for another extension in another cluster.
    const other = join(dir, 'other.pem');
    execFileSync('bash', [join(root, 'tools/swarm/credentials.sh'), sy.core, other, 'intruder', 'extension', 'elsewhere'], { stdio: 'pipe', timeout: 150_000 });
    const out = execFileSync(
      'docker',
      [
        'run', '--rm', '--network', sy.coreNetwork, '--entrypoint', 'node',
        '-v', `${join(root, 'tools/e2e/probes/control-plane-probe.cjs')}:/opt/switchyard/probe.cjs:ro`,
        '-v', `${other}:/other.pem:ro`,
        'switchyard/core:latest', '/opt/switchyard/probe.cjs', `${sy.core}:8080`, '/other.pem',
      ],
      { encoding: 'utf8', timeout: 120_000 },
    );
    const lines = out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as ProbeLine);
    console.log(`intruder attempts:\n${lines.map((l) => `${l.attempt} ${l.call}: ${l.ok ? 'ALLOWED' : `refused (${l.code}) ${l.details}`}`).join('\n')}`);
    expect(lines).toHaveLength(12);
    expect(lines.filter((l) => l.ok)).toEqual([]);
    // The other cluster's certificate gets in, and is refused per call: PERMISSION_DENIED, also when
    // it submits under the real extension's registration id (which it read from the status).
    expect(lines.filter((l) => l.attempt === 'other-cluster').map((l) => l.code)).toEqual([7, 7, 7]);
    const after = await waitFor(async () => {
      const r = await refusals();
      return (r.plaintext ?? 0) > (before.plaintext ?? 0) && (r['no-certificate'] ?? 0) > (before['no-certificate'] ?? 0) && (r['untrusted-certificate'] ?? 0) > (before['untrusted-certificate'] ?? 0) && (r['permission-denied'] ?? 0) > (before['permission-denied'] ?? 0) ? r : undefined;
    }, { timeoutMs: 20_000, intervalMs: 500, description: 'refusals counted in /metrics' });
    console.log(`refusals counted: ${JSON.stringify(after)}`);
    const log = await sy.coreLogs();
    expect(log).toMatch(/control-plane connection refused.*"peer":"\d+\.\d+\.\d+\.\d+"/);
    expect(log).toMatch(/"reason":"plaintext"/);
    expect(log).toMatch(/extension \\"intruder\\" \(service cluster \\"elsewhere\\"\) may not register as extension \\"default\\"/);
    // The real route still works, from the same proxy task.
    expect((await until200(PORTS.http, 'web.cp.local')).task).toMatch(/^.*web/);
  }, 300_000);

  it('2. the CLI works with an operator certificate and is refused without one; an operator cannot register or submit', async () => {
    const ok = await cli(['status', '--core', `127.0.0.1:${PORTS.grpc}`]);
    expect(ok.code).toBe(0);
    expect(ok.out).toContain(proxyService);
    const refused = await cli(['status', '--core', `127.0.0.1:${PORTS.grpc}`, '--insecure', '--timeout', '3000']);
    expect(refused.code).toBe(3);
    expect(refused.err).toContain('No operator credentials were found');
    // The operator identity the fixture uses reads, and only reads.
    await expect(sy.grpc.client.register({ name: 'cp', serviceCluster: '', proxyKind: ProxyKind.PROXY_KIND_NGINX, version: 'x' })).rejects.toMatchObject({ code: 7 });
    const files = [{ path: 'nginx.conf', content: 'x' }];
    const status = await sy.grpc.client.getStatus({});
    const ext = status.extensions.find((e) => e.name === 'cp');
    expect(ext).toBeDefined();
    expect(ext!.watches).toBeGreaterThanOrEqual(1);
    await expect(sy.grpc.client.submitConfig({ extensionId: ext!.extensionId, modelVersion: 1, files, checksum: configChecksum(files) })).rejects.toMatchObject({ code: 7 });
  }, 120_000);

  it('3. restarting core keeps its CA: the extension and the proxy reconnect without redeployment, and new routes are served', async () => {
    const specVersion = async (name: string) => (await docker(['service', 'inspect', name, '--format', '{{.Version.Index}} {{range .Spec.TaskTemplate.ContainerSpec.Secrets}}{{.SecretName}} {{end}}'])).stdout.trim();
    const running = async (name: string) => dockerLines(['service', 'ps', name, '--filter', 'desired-state=running', '--format', '{{.ID}}']);
    const before = { ext: await specVersion(extService), proxy: await specVersion(proxyService), extTasks: await running(extService), proxyTasks: await running(proxyService) };
    const coreTasks = await running(sy.core);
    await docker(['service', 'update', '--force', '--detach', sy.core]);
    await waitFor(async () => {
      const now = await running(sy.core);
      return now.length === 1 && !coreTasks.includes(now[0]!) || undefined;
    }, { timeoutMs: 120_000, intervalMs: 1000, description: 'a new core task' });
    // Once core is back, the extension is registered again (its old certificate still valid).
    const conn = connectExtensionClient(`127.0.0.1:${PORTS.grpc}`, { tls: loadCredentials({ bundle: join(sy.dir, 'operator.pem') }) });
    try {
      await waitFor(async () => (await conn.client.getStatus({}).catch(() => undefined))?.extensions.some((e) => e.name === 'cp' && e.watches > 0) || undefined, {
        timeoutMs: 90_000,
        intervalMs: 1000,
        description: 'the extension to reconnect to the restarted core',
      });
      await echo('late', 'late.cp.local');
      await until200(PORTS.http, 'late.cp.local');
      const status = await conn.client.getStatus({});
      expect(status.replicas.filter((r) => r.proxyService === proxyService && r.connected)).toHaveLength(1);
    } finally {
      conn.close();
    }
    const after = { ext: await specVersion(extService), proxy: await specVersion(proxyService), extTasks: await running(extService), proxyTasks: await running(proxyService) };
    expect(after.ext).toBe(before.ext);
    expect(after.extTasks).toEqual(before.extTasks);
    expect(after.proxyTasks).toEqual(before.proxyTasks);
  }, 300_000);

  it('4. only core mounts the Docker socket', async () => {
    const services = await dockerLines(['service', 'ls', '--format', '{{.Name}}', '--filter', `label=com.switchyard.core-network=${sy.coreNetwork}`]);
    const all = [...new Set([sy.core, ...services])];
    expect(all).toEqual(expect.arrayContaining([sy.core, extService, proxyService]));
    const mounts: Record<string, string> = {};
    for (const s of all) mounts[s] = (await docker(['service', 'inspect', s, '--format', '{{range .Spec.TaskTemplate.ContainerSpec.Mounts}}{{.Source}} {{end}}'])).stdout.trim();
    const withSocket = Object.entries(mounts).filter(([, m]) => m.includes('docker.sock')).map(([s]) => s);
    expect(withSocket).toEqual([sy.core]);
  }, 60_000);
});
