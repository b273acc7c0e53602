/**
 * Interlock stacks, unchanged, on a real swarm: compose files written as Interlock's docs scenarios
 * have them (routing labels under deploy.labels, the stack's own overlay networks, stack secrets
 * for TLS, service clusters) are deployed with `docker stack deploy` and must route through
 * Switchyard without edits. core runs three Interlock-style extensions: the default cluster (nginx),
 * "us-east" (nginx) and "us-west" (HAProxy). Interlock lets any service use any secret, so this
 * core runs with `SecretPolicy = "any"` (the documented switch; Switchyard's default asks the secret
 * to allow the service).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { E2E_IMAGES, SwarmFixture, docker, dockerLines, requireImages, waitFor } from '../../e2e-harness/index.js';
import { TestPki, tlsGet } from '../features-tls.js';
import { deploySwitchyard, echoOf, until200, viaProxy, type Switchyard } from '../switchyard-fixture.js';

const root = resolve(__dirname, '../../..');
const GRPC_PORT = 19131;
const DEFAULT = { name: 'default', kind: 'nginx' as const, httpPort: 18131, httpsPort: 18431 };
const EAST = { name: 'us-east', kind: 'nginx' as const, httpPort: 18132, httpsPort: 18432, serviceCluster: 'us-east' };
const WEST = { name: 'us-west', kind: 'haproxy' as const, httpPort: 28132, httpsPort: 28432, serviceCluster: 'us-west' };

describe('Interlock stack files deploy and route unchanged', () => {
  const fx = new SwarmFixture();
  let sy: Switchyard;
  let pki: TestPki;
  const stacks: string[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-e2e-stacks-'));

  /** `docker stack deploy` of one of tools/e2e/stacks/*.yml, as its author would (offline: no image resolution). */
  const deployStack = async (file: string, suffix: string): Promise<string> => {
    const stack = `${fx.id}-${suffix}`;
    stacks.push(stack);
    await docker(['stack', 'deploy', '--resolve-image', 'never', '-c', join(root, 'tools/e2e/stacks', file), stack], {
      env: { ...process.env, STACK: stack, CERT_DIR: dir },
      timeoutMs: 120_000,
    });
    return stack;
  };
  const running = (service: string, n: number) =>
    waitFor(async () => (await dockerLines(['service', 'ps', service, '--filter', 'desired-state=running', '--format', '{{.CurrentState}}'])).filter((s) => s.startsWith('Running')).length >= n || undefined, {
      timeoutMs: 120_000,
      intervalMs: 1000,
      description: `${n} running task(s) of ${service}`,
    });

  beforeAll(async () => {
    await requireImages([E2E_IMAGES.echo, 'switchyard/core:latest', 'switchyard/extension:latest', 'switchyard/proxy-nginx:latest', 'switchyard/proxy-haproxy:latest']);
    pki = new TestPki();
    const c = pki.issue('tls.stack.local');
    writeFileSync(join(dir, 'tls.stack.local.crt'), c.cert);
    writeFileSync(join(dir, 'tls.stack.local.key'), c.key);
    sy = await deploySwitchyard(fx, GRPC_PORT, [DEFAULT, EAST, WEST], undefined, 'SecretPolicy = "any"');
  }, 240_000);

  afterAll(async () => {
    for (const stack of stacks) await docker(['stack', 'rm', stack], { allowFailure: true, timeoutMs: 60_000 });
    // The stacks' networks go once their tasks are gone.
    await waitFor(async () => (await dockerLines(['ps', '--all', '--quiet', '--filter', `label=com.docker.stack.namespace=${stacks[0] ?? 'none'}`])).length === 0 || undefined, {
      timeoutMs: 60_000,
      intervalMs: 1000,
      description: 'stack containers to go away',
    }).catch(() => undefined);
    await fx.cleanup().catch((err: Error) => console.warn(err.message));
    await sy?.teardown();
    // `docker stack rm` leaves the secrets and networks its tasks still used while it ran.
    for (const stack of stacks) {
      for (const kind of ['secret', 'network']) {
        for (const id of await dockerLines([kind, 'ls', '--quiet', '--filter', `label=com.docker.stack.namespace=${stack}`]).catch(() => [])) {
          await docker([kind, 'rm', id], { allowFailure: true });
        }
      }
    }
    pki?.remove();
    rmSync(dir, { recursive: true, force: true });
  }, 240_000);

  it('1. the simple application: both tasks answer through the default proxy, on the stack network its label names', async () => {
    const stack = await deployStack('simple-app.yml', 'simple');
    await running(`${stack}_demo`, 2);
    await until200(DEFAULT.httpPort, 'app.stack.local');
    const tasks = await waitFor(async () => {
      const seen = new Set<string>();
      for (let i = 0; i < 12; i++) {
        const e = echoOf(await viaProxy(DEFAULT.httpPort, 'app.stack.local'));
        if (e) seen.add(e.task);
      }
      return seen.size === 2 ? seen : undefined;
    }, { timeoutMs: 60_000, intervalMs: 500, description: 'both tasks of the demo service answering' });
    expect([...tasks].every((t) => t.startsWith(`${stack}_demo.`))).toBe(true);
    // Not routed by the other clusters' proxies (once the east proxy answers at all).
    const east = await waitFor(async () => {
      const r = await viaProxy(EAST.httpPort, 'app.stack.local');
      return r.status !== 0 ? r : undefined;
    }, { timeoutMs: 120_000, intervalMs: 500, description: 'an answer from the us-east proxy' });
    expect(east.status).toBe(503);
  }, 240_000);

  it('2. TLS termination with stack secrets: HTTPS with the stack certificate, plain HTTP redirected', async () => {
    const stack = await deployStack('tls-termination.yml', 'tls');
    await running(`${stack}_demo`, 1);
    const res = await waitFor(async () => {
      const r = await tlsGet({ port: DEFAULT.httpsPort, servername: 'tls.stack.local', ca: pki.caCert }).catch(() => undefined);
      return r?.status === 200 ? r : undefined;
    }, { timeoutMs: 150_000, intervalMs: 1000, description: 'HTTPS 200 from tls.stack.local' });
    expect(res.subject).toBe('tls.stack.local');
    expect(JSON.parse(res.body).task.startsWith(`${stack}_demo.`)).toBe(true);
    const plain = await viaProxy(DEFAULT.httpPort, 'tls.stack.local', '/x');
    expect(plain.status).toBe(301);
    expect(plain.headers.location).toMatch(/^https:\/\/tls\.stack\.local/);
  }, 240_000);

  it('3. service clusters: each application is routed by its own cluster\'s proxy only', async () => {
    const stack = await deployStack('service-clusters.yml', 'clusters');
    await running(`${stack}_demo-east`, 1);
    await running(`${stack}_demo-west`, 1);
    const east = await until200(EAST.httpPort, 'east.stack.local');
    const west = await until200(WEST.httpPort, 'west.stack.local');
    expect(east.task.startsWith(`${stack}_demo-east.`)).toBe(true);
    expect(west.task.startsWith(`${stack}_demo-west.`)).toBe(true);
    expect((await viaProxy(WEST.httpPort, 'east.stack.local')).status).toBe(503);
    expect((await viaProxy(EAST.httpPort, 'west.stack.local')).status).toBe(503);
    expect((await viaProxy(DEFAULT.httpPort, 'east.stack.local')).status).toBe(503);
  }, 240_000);
});
