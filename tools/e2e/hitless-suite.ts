/**
 * Hitless data plane on a real swarm (Switchyard's default delivery mode): route and endpoint
 * changes reach the running proxy through its agent, which validates and reloads in place, so the
 * proxy task is never replaced and nothing in flight is lost. One suite, run once per proxy kind.
 * Every assertion is what a user sees: HTTP and WebSocket traffic on 127.0.0.1 through the proxy's
 * host-mode port, `docker service ps`, the `switchyard status` CLI and core's /metrics.
 */
import WebSocket from 'ws';
import { E2E_IMAGES, SwarmFixture, docker, dockerLines, httpGet, requireImages, sleep, waitFor } from '../e2e-harness/index.js';
import { RouteLoad } from './load.js';
import { cli, deploySwitchyard, echoOf, viaProxy, type Switchyard } from './switchyard-fixture.js';

export interface HitlessPorts {
  http: number;
  https: number;
  grpc: number;
  metrics: number;
}


/** A WebSocket kept open through the proxy, exchanging one message every `everyMs`. */
class WsPing {
  sent = 0;
  echoed = 0;
  closed: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly socket: WebSocket;
  readonly opened: Promise<void>;

  constructor(port: number, host: string, path: string, everyMs: number) {
    this.socket = new WebSocket(`ws://127.0.0.1:${port}${path}`, { headers: { host }, handshakeTimeout: 10_000, perMessageDeflate: false });
    let hello = false;
    this.opened = new Promise((resolve, reject) => {
      this.socket.once('error', reject);
      this.socket.on('message', (data) => {
        if (!hello) {
          hello = true;
          resolve();
          this.timer = setInterval(() => {
            if (this.socket.readyState !== WebSocket.OPEN) return;
            this.sent += 1;
            this.socket.send(`ping ${this.sent}`);
          }, everyMs);
          return;
        }
        if (String(data) === `ping ${this.echoed + 1}`) this.echoed += 1;
      });
    });
    this.socket.on('close', (code) => {
      this.closed ??= `closed with code ${code} after ${this.echoed} echoes`;
      if (this.timer) clearInterval(this.timer);
    });
    this.socket.on('error', (err) => (this.closed ??= `error: ${err.message}`));
  }

  /** Waits (bounded) until every ping sent so far has come back, or the socket closed. */
  async caughtUp(timeoutMs = 5000): Promise<void> {
    const target = this.sent;
    const deadline = Date.now() + timeoutMs;
    while (this.echoed < target && this.closed === undefined && Date.now() < deadline) await sleep(50);
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.socket.terminate();
  }
}

/** Registers the hitless suite for one proxy kind. */
export function hitlessSuite(kind: 'nginx' | 'haproxy', ports: HitlessPorts): void {
  const fx = new SwarmFixture();
  let sy: Switchyard;
  let proxyService: string;
  let appNet: string;
  let appA: string;

  const get = (host: string, path = '/') => viaProxy(ports.http, host, path);
  const until200 = (host: string, timeoutMs = 90_000) =>
    waitFor(async () => echoOf(await get(host)), { timeoutMs, intervalMs: 100, description: `200 from ${host} through the ${kind} proxy` });
  const untilStatus = (host: string, status: number, timeoutMs = 90_000) =>
    waitFor(async () => (await get(host)).status === status, { timeoutMs, intervalMs: 200, description: `${status} for ${host}` });
  /** Every task the proxy service ever had (IDs), so a replacement shows up as a new one. */
  const proxyTasks = async (): Promise<string[]> => (await dockerLines(['service', 'ps', '--no-trunc', '--quiet', proxyService])).sort();
  const echo = (suffix: string, labels: Record<string, string>, extraFlags: string[] = [], env: Record<string, string> = {}) =>
    fx.createService({ image: E2E_IMAGES.echo, suffix, networks: [appNet], env: { ECHO_TASK: '{{.Task.Name}}', ...env }, labels: { 'com.docker.lb.port': '8080', ...labels }, extraFlags });
  const metrics = async (): Promise<string> => (await httpGet({ port: ports.metrics, host: 'localhost', path: '/metrics', timeoutMs: 5000 })).body;

  beforeAll(async () => {
    await requireImages([E2E_IMAGES.echo, 'switchyard/core:latest', 'switchyard/extension:latest', `switchyard/proxy-${kind}:latest`]);
    appNet = await fx.createNetwork({ suffix: 'hitless-net' });
    sy = await deploySwitchyard(fx, ports.grpc, [{ name: 'hl', kind, httpPort: ports.http, httpsPort: ports.https, extra: `Networks = ["${appNet}"]` }], ports.metrics);
    proxyService = sy.proxy('hl');
  }, 120_000);

  afterAll(async () => {
    // The proxy joined the test network through `Networks`: remove Switchyard first.
    await sy?.teardown().catch((err: Error) => console.warn(err.message));
    await fx.cleanup().catch((err: Error) => console.warn(err.message));
  }, 180_000);

  it('1+2. under constant load and open WebSockets: 20 services created, relabelled and removed, A scaled 1 → 10 → 1 and force-updated start-first: 0 failed requests, WebSockets stay open, no proxy task replaced', async () => {
    // A: health-checked, start-first updates (so Swarm itself never leaves A without a ready task),
    // and a backend that keeps serving for 1.5 s after SIGTERM, as one behind any load balancer must:
    // Swarm stops a replaced or scaled-down task the moment it decides to, and every proxy learns it
    // only afterwards (through core). An app that exits at once fails the requests of that moment.
    appA = await echo(
      'a',
      { 'com.docker.lb.hosts': 'a.hitless.local', 'com.docker.lb.websocket_endpoints': '/ws' },
      [
        '--health-cmd', `node -e "require('http').get('http://127.0.0.1:8080/',r=>process.exit(r.statusCode===200?0:1)).on('error',()=>process.exit(1))"`,
        '--health-interval', '1s', '--health-start-period', '1s', '--health-retries', '2',
        '--update-order', 'start-first',
      ],
      { ECHO_DRAIN_MS: '1500' },
    );
    // B: another WebSocket route whose backend nothing touches.
    await echo('b', { 'com.docker.lb.hosts': 'b.hitless.local', 'com.docker.lb.websocket_endpoints': '/ws' });
    await until200('a.hitless.local', 150_000);
    await until200('b.hitless.local', 150_000);
    // Let the proxy settle (its first task, attached to every network it needs).
    await waitFor(async () => (await proxyTasks()).length === 1 || undefined, { timeoutMs: 60_000, intervalMs: 500, description: 'one proxy task' });
    const tasksBefore = await proxyTasks();

    const load = new RouteLoad({ port: ports.http, host: 'a.hitless.local', workers: 2, maxMs: 240_000, timeoutMs: 15_000 });
    const ws = new WsPing(ports.http, 'a.hitless.local', '/ws', 250);
    const wsB = new WsPing(ports.http, 'b.hitless.local', '/ws', 250);
    await ws.opened;
    await wsB.opened;

    load.mark('create 20');
    // 20 unrelated services: created, then relabelled, then removed (5 at a time).
    const names: string[] = [];
    for (let i = 0; i < 20; i += 5) {
      names.push(...(await Promise.all([0, 1, 2, 3, 4].map((j) => echo(`c${i + j}`, { 'com.docker.lb.hosts': `c${i + j}.hitless.local` })))));
    }
    await until200('c19.hitless.local', 120_000);
    await until200('c0.hitless.local', 60_000);
    load.mark('relabel 20');
    for (let i = 0; i < 20; i += 5) {
      await Promise.all(names.slice(i, i + 5).map((n, j) => fx.updateService(n, ['--label-add', `com.docker.lb.hosts=r${i + j}.hitless.local`])));
    }
    await until200('r19.hitless.local', 120_000);
    await untilStatus('c19.hitless.local', 503);
    load.mark('remove 20');
    for (let i = 0; i < 20; i += 5) await Promise.all(names.slice(i, i + 5).map((n) => fx.removeService(n)));
    await untilStatus('r19.hitless.local', 503);

    // A's endpoints: scale 1 → 10 → 1, then a start-first forced update.
    load.mark('scale A to 10');
    await fx.updateService(appA, ['--replicas', '10']);
    await fx.waitForRunningTasks(appA, 10, { timeoutMs: 120_000 });
    await waitFor(async () => {
      const seen = new Set<string>();
      for (let i = 0; i < 40; i++) {
        const e = echoOf(await get('a.hitless.local'));
        if (e) seen.add(e.task);
      }
      return seen.size >= 8 || undefined;
    }, { timeoutMs: 60_000, intervalMs: 200, description: 'answers from the new tasks of A' });
    load.mark('scale A to 1');
    await fx.updateService(appA, ['--replicas', '1']);
    await fx.waitForRunningTasks(appA, 1, { timeoutMs: 120_000 });
    load.mark('force-update A');
    const before = (await fx.tasks(appA)).filter((t) => t.desiredState === 'running').map((t) => t.name);
    // Every change so far left A's WebSocket open; the forced update replaces the very task it is
    // connected to, which must end it (the backend process goes away), so it is checked here.
    // A ping may be in flight at any moment: let the ones already sent come back first.
    await ws.caughtUp();
    const wsBeforeForce = { sent: ws.sent, echoed: ws.echoed, closed: ws.closed };
    await docker(['service', 'update', '--force', '--quiet', appA], { timeoutMs: 180_000 });
    const after = await waitFor(async () => {
      const running = (await fx.tasks(appA)).filter((t) => t.desiredState === 'running' && t.state === 'running');
      return running.length === 1 && !before.includes(running[0]!.name) ? running[0]! : undefined;
    }, { timeoutMs: 120_000, intervalMs: 500, description: 'the forced update of A to finish' });
    await waitFor(async () => echoOf(await get('a.hitless.local'))?.task === after.name || undefined, { timeoutMs: 30_000, intervalMs: 200, description: 'A answered by its new task' });
    await sleep(2000);

    await load.stop();
    await wsB.caughtUp();
    const wsState = { sent: wsB.sent, echoed: wsB.echoed, closed: wsB.closed };
    ws.close();
    wsB.close();
    const tasksAfter = await proxyTasks();
    if (load.failed > 0 || tasksAfter.length !== tasksBefore.length) {
      const history = (await docker(['service', 'ps', '--no-trunc', '--format', '{{.ID}} {{.CurrentState}} {{.Error}}', proxyService], { allowFailure: true })).stdout;
      const logs = (await docker(['service', 'logs', '--raw', '--tail', '60', proxyService], { allowFailure: true, timeoutMs: 20_000 })).stdout;
      // What core did to the proxy service (an update replaces its tasks): its warnings and Docker changes.
      const coreSays = (await sy.coreLogs())
        .split('\n')
        .filter((l) => /"level":"(warn|error)"|proxy service|re-apply|retrying/.test(l))
        .slice(-40)
        .join('\n');
      console.log(`hitless ${kind} failures:\n${load.failures.join('\n')}\nproxy tasks:\n${history}\nproxy log:\n${logs}\ncore log (proxy service changes, warnings):\n${coreSays}`);
    }
    console.log(
      `hitless ${kind}: ${load.total} requests to A, statuses ${JSON.stringify(Object.fromEntries(load.statuses))}; ` +
        `websocket A until its task was replaced ${JSON.stringify(wsBeforeForce)}, websocket B ${JSON.stringify(wsState)}; proxy tasks ${tasksBefore.length} -> ${tasksAfter.length}`,
    );
    expect(load.total).toBeGreaterThan(200);
    expect(Object.fromEntries(load.statuses)).toEqual({ 200: load.total });
    expect(wsBeforeForce.closed).toBeUndefined();
    expect(wsBeforeForce.echoed).toBeGreaterThan(20);
    expect(wsBeforeForce.echoed).toBeGreaterThanOrEqual(wsBeforeForce.sent - 1);
    expect(wsState.closed).toBeUndefined();
    expect(wsState.echoed).toBeGreaterThan(50);
    expect(wsState.echoed).toBeGreaterThanOrEqual(wsState.sent - 1);
    expect(tasksAfter).toEqual(tasksBefore);

    // Per-replica truth: the replica is connected and on the current config; the metrics say so too.
    const status = await cli(['status', '--core', `127.0.0.1:${ports.grpc}`]);
    expect(status.out).toContain(`replicas     ${proxyService}: 1 connected, 1 on the current config`);
    const text = await metrics();
    expect(text).toMatch(new RegExp(`switchyard_proxy_replica_model_version\\{proxy="${proxyService}",task="[a-z0-9]+"\\} [1-9]`));
    expect(text).toMatch(new RegExp(`switchyard_model_applied_seconds_count\\{proxy="${proxyService}"\\} [1-9]`));
  }, 600_000);

  it('3. a certificate the proxy refuses (not PEM): no proxy task replaced, every route keeps serving and updating, the refusal is in status and the log', async () => {
    const tasksBefore = await proxyTasks();
    const load = new RouteLoad({ port: ports.http, host: 'a.hitless.local', maxMs: 120_000, timeoutMs: 15_000 });
    const bad = await fx.createSecret('this is not a certificate\n', { suffix: 'bad-pem', labels: { 'com.switchyard.lb.allowed-hosts': 'tls.hitless.local' } });
    const tls = await echo('tls', { 'com.docker.lb.hosts': 'tls.hitless.local', 'com.docker.lb.ssl_cert': bad, 'com.docker.lb.ssl_key': bad });
    // The proxy's own check (run before any rollout) refuses it; core leaves that service out.
    const refused = await waitFor(async () => {
      const status = await sy.grpc.client.getStatus({});
      return status.models.flatMap((m) => m.diagnostics).find((d) => d.service === tls && d.code === 'certificate-refused');
    }, { timeoutMs: 90_000, intervalMs: 500, description: 'a certificate-refused diagnostic for the TLS service' });
    expect(refused.message).toContain(bad);
    const { out } = await cli(['status', '--core', `127.0.0.1:${ports.grpc}`]);
    expect(out).toMatch(new RegExp(`NOT ROUTED +${tls}`));
    expect(out).toContain('certificate-refused');
    const logs = await waitFor(async () => {
      const text = await sy.coreLogs();
      return text.includes('proxy check refused the configuration') ? text : undefined;
    }, { timeoutMs: 30_000, intervalMs: 1000, description: "the refusal in core's log" });
    expect(logs).toContain(proxyService);
    // Other routes keep updating while the bad service exists: a new one is served.
    await echo('next', { 'com.docker.lb.hosts': 'next.hitless.local' });
    await until200('next.hitless.local', 90_000);
    expect((await get('tls.hitless.local')).status).toBe(503);
    await load.stop();
    expect(Object.fromEntries(load.statuses)).toEqual({ 200: load.total });
    // The proxy was never touched.
    expect(await proxyTasks()).toEqual(tasksBefore);
    await fx.removeService(tls);
  }, 300_000);

  it('4. a proxy task killed by hand is replaced by Swarm and serves the current routes within 10 s', async () => {
    // A route that exists only in the agents' configuration (added after the proxy spec last changed).
    await echo('fresh', { 'com.docker.lb.hosts': 'fresh.hitless.local' });
    await until200('fresh.hitless.local', 90_000);
    const container = (await dockerLines(['ps', '--quiet', '--filter', `label=com.docker.swarm.service.name=${proxyService}`]))[0];
    expect(container).toBeTruthy();
    const killedAt = Date.now();
    await docker(['kill', container!]);
    await waitFor(async () => echoOf(await get('fresh.hitless.local')), { timeoutMs: 30_000, intervalMs: 100, description: 'the replaced proxy serving fresh.hitless.local' });
    const ms = Date.now() - killedAt;
    console.log(`hitless ${kind}: proxy killed -> current routes served again in ${ms} ms`);
    expect(ms).toBeLessThan(10_000);
    expect(echoOf(await get('a.hitless.local'))).toBeDefined();
  }, 120_000);
}
