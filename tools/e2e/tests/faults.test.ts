/**
 * Faults on a single-node swarm (issue 11): core killed, the extension killed, the Docker API
 * stalled, dockerd restarted. Bounded loopback load runs on a route nothing changes during each
 * fault; a change made while the faulty part is down must be routed once it is back, and the time
 * it takes is printed (docs/deploy.md, "Failures", keeps the figures).
 *
 * Core, extension and proxy are deployed as a user would (tools/swarm/up.sh), in the default
 * hitless mode, with an extension and service cluster of their own (`faults`) on ports no other
 * suite uses. Every wait is bounded and every request goes to 127.0.0.1.
 *
 * The dockerd restart (test 4) stops every container on the host, not only this suite's: Swarm
 * mode forbids live-restore. It runs only with SWITCHYARD_E2E_DOCKERD_RESTART=1, on a machine where
 * nothing else uses the engine; afterAll starts dockerd again (as tools/setup.sh does) if it is not
 * answering, so later suites find a running engine and an active swarm.
 */
import { spawn } from 'node:child_process';
import { readFileSync, readlinkSync } from 'node:fs';
import { E2E_IMAGES, SwarmFixture, docker, dockerLines, httpGet, requireImages, sleep, waitFor } from '../../e2e-harness/index.js';
import { RouteLoad } from '../load.js';
import { deploySwitchyard, echoOf, viaProxy, type Switchyard } from '../switchyard-fixture.js';

const PORTS = { http: 18141, https: 18441, grpc: 19142, metrics: 19242 } as const;
const CLUSTER = 'faults';
const STEADY = 'steady.faults.local';
const DOCKERD_RESTART = process.env.SWITCHYARD_E2E_DOCKERD_RESTART === '1';


/** The host engine's dockerd (its pid file), checked to be the host's and not a docker-in-docker node's. */
function hostDockerdPid(): number {
  const pid = Number(readFileSync('/var/run/docker.pid', 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 1 || readlinkSync(`/proc/${pid}/root`) !== '/') throw new Error(`/var/run/docker.pid (${pid}) is not the host's dockerd`);
  return pid;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** True when the engine answers and its swarm is active (bounded by `timeoutMs` per call). */
async function engineHealthy(timeoutMs = 5000): Promise<boolean> {
  const { stdout, exitCode } = await docker(['info', '--format', '{{.Swarm.LocalNodeState}}'], { allowFailure: true, timeoutMs }).catch(() => ({ stdout: '', exitCode: 1 }));
  return exitCode === 0 && stdout.trim() === 'active';
}

/** Starts dockerd exactly as tools/setup.sh does (detached, log appended to /var/log/dockerd.log). */
function startDockerd(): void {
  spawn('sh', ['-c', 'setsid nohup dockerd >>/var/log/dockerd.log 2>&1 </dev/null &'], { stdio: 'ignore', detached: true }).unref();
}

/** Makes sure dockerd runs and the swarm is active again (for afterAll: later suites need both). */
async function ensureEngine(): Promise<void> {
  if (await engineHealthy()) return;
  const running = (() => {
    try {
      return alive(hostDockerdPid());
    } catch {
      return false;
    }
  })();
  if (!running) startDockerd();
  await waitFor(() => engineHealthy(), { timeoutMs: 90_000, intervalMs: 1000, description: 'dockerd answering with an active swarm' });
}

describe('faults on a single-node swarm: the proxy keeps serving, changes made meanwhile are routed afterwards', () => {
  const fx = new SwarmFixture();
  let sy: Switchyard;
  let appNet: string;
  let proxyService: string;
  let extService: string;
  /** Set while dockerd is SIGSTOPped, so afterAll can always SIGCONT it. */
  let stoppedPid: number | undefined;

  const get = (host: string) => viaProxy(PORTS.http, host);
  const until200 = (host: string, timeoutMs = 90_000) =>
    waitFor(async () => echoOf(await get(host)), { timeoutMs, intervalMs: 100, description: `200 from ${host} through the proxy` });
  const echo = (suffix: string, host: string) =>
    fx.createService({
      image: E2E_IMAGES.echo,
      suffix,
      networks: [appNet],
      env: { ECHO_TASK: '{{.Task.Name}}' },
      labels: { 'com.docker.lb.hosts': host, 'com.docker.lb.port': '8080', 'com.docker.lb.service_cluster': CLUSTER },
    });
  /** The one running container of a service, if any. */
  const containerOf = async (service: string): Promise<string | undefined> =>
    (await dockerLines(['ps', '--quiet', '--filter', `label=com.docker.swarm.service.name=${service}`], { timeoutMs: 15_000 }))[0];
  const runningTaskOf = async (service: string): Promise<string | undefined> =>
    (await dockerLines(['service', 'ps', '--no-trunc', '--quiet', '--filter', 'desired-state=running', service], { timeoutMs: 15_000 }))[0];
  const replicas = (service: string) => (flag: string) => docker(['service', 'update', '--detach', '--replicas', flag, service]);
  const metrics = async (): Promise<string> => (await httpGet({ port: PORTS.metrics, host: 'localhost', path: '/metrics', timeoutMs: 3000 })).body;
  /** Sum of `switchyard_docker_api_calls_total` over all methods. */
  const dockerCalls = async (): Promise<number> =>
    [...(await metrics()).matchAll(/^switchyard_docker_api_calls_total\{[^}]*\} (\d+(?:\.\d+)?)$/gm)].reduce((sum, m) => sum + Number(m[1]), 0);

  beforeAll(async () => {
    await requireImages([E2E_IMAGES.echo, 'switchyard/core:latest', 'switchyard/extension:latest', 'switchyard/proxy-nginx:latest']);
    appNet = await fx.createNetwork({ suffix: 'faults-net' });
    // The proxy joins the app network at deploy time, so no test below changes the proxy's spec.
    sy = await deploySwitchyard(
      fx,
      PORTS.grpc,
      [{ name: 'faults', kind: 'nginx', httpPort: PORTS.http, httpsPort: PORTS.https, serviceCluster: CLUSTER, extra: `Networks = ["${appNet}"]` }],
      PORTS.metrics,
    );
    proxyService = sy.proxy('faults');
    extService = `${fx.id}-faults-ext`;
    await echo('steady', STEADY);
    await until200(STEADY, 150_000);
    // Let the proxy settle: one task, serving.
    await waitFor(async () => (await dockerLines(['service', 'ps', '--quiet', proxyService])).length === 1 || undefined, { timeoutMs: 60_000, intervalMs: 500, description: 'one proxy task' });
  }, 200_000);

  afterAll(async () => {
    if (stoppedPid !== undefined) process.kill(stoppedPid, 'SIGCONT');
    await ensureEngine().catch((err: Error) => console.warn(`faults: engine not healthy after the suite: ${err.message}`));
    await sy?.teardown().catch((err: Error) => console.warn(err.message));
    await fx.cleanup().catch((err: Error) => console.warn(err.message));
  }, 240_000);

  it("1. core killed, then held down: the proxy keeps serving (0 failed); a service created while core is down is routed once it is back", async () => {
    const load = new RouteLoad({ port: PORTS.http, host: STEADY, workers: 2, maxMs: 150_000 });
    try {
      load.mark('core killed');
      const killed = await containerOf(sy.core);
      expect(killed).toBeTruthy();
      const killedAt = Date.now();
      await docker(['kill', killed!]);
      // Swarm starts a new core task; core answers /healthz again.
      await waitFor(async () => ((await containerOf(sy.core)) ?? killed) !== killed || undefined, { timeoutMs: 60_000, intervalMs: 250, description: 'a new core container' });
      await waitFor(async () => (await httpGet({ port: PORTS.metrics, host: 'localhost', path: '/healthz', timeoutMs: 2000 }).catch(() => ({ status: 0 }))).status === 200 || undefined, {
        timeoutMs: 60_000,
        intervalMs: 250,
        description: "core's /healthz after the kill",
      });
      const coreBackMs = Date.now() - killedAt;

      load.mark('core held down');
      await replicas(sy.core)('0');
      await waitFor(async () => (await containerOf(sy.core)) === undefined || undefined, { timeoutMs: 60_000, intervalMs: 250, description: 'no core container' });
      const late = await echo('late-core', 'late-core.faults.local');
      await fx.waitForRunningTasks(late, 1);
      await sleep(3000);
      // Nothing routes it while core is down: the proxy still serves the last configuration it had.
      expect((await get('late-core.faults.local')).status).toBe(503);

      load.mark('core back');
      const upAt = Date.now();
      await replicas(sy.core)('1');
      await waitFor(() => containerOf(sy.core), { timeoutMs: 60_000, intervalMs: 250, description: 'a core container' });
      const coreRunningMs = Date.now() - upAt;
      await until200('late-core.faults.local', 90_000);
      const reconvergedMs = Date.now() - upAt;
      await sleep(1000);
      await load.stop();
      console.log(
        `faults/core: killed -> new core healthy in ${coreBackMs} ms; held down, service created; scaled back -> core container in ${coreRunningMs} ms, ` +
          `new route served ${reconvergedMs} ms after scale-up; steady route: ${load.summary()}`,
      );
      expect(load.total).toBeGreaterThan(100);
      expect(load.failed).toBe(0);
      expect(reconvergedMs).toBeLessThan(60_000);
    } finally {
      await load.stop();
    }
  }, 300_000);

  it('2. extension killed, then held down: the proxy keeps serving (0 failed); a service created while it is down is routed once it is back', async () => {
    const load = new RouteLoad({ port: PORTS.http, host: STEADY, workers: 2, maxMs: 150_000 });
    try {
      load.mark('extension killed');
      const killed = await containerOf(extService);
      expect(killed).toBeTruthy();
      await docker(['kill', killed!]);
      // A change made right away, while Swarm has not restarted the extension yet.
      const changedAt = Date.now();
      await echo('late-ext1', 'late-ext1.faults.local');
      await until200('late-ext1.faults.local', 90_000);
      const afterKillMs = Date.now() - changedAt;
      expect((await containerOf(extService)) ?? killed).not.toBe(killed);

      // Held down: scaled to 0 by hand. Core's deploy loop sees the drift and restores it by itself.
      load.mark('extension held down');
      const running = await containerOf(extService);
      await replicas(extService)('0');
      // Its container goes; core's deploy loop may already have started the next one by the time
      // this sees it (then the change below lands while that one starts).
      await waitFor(async () => (await containerOf(extService)) !== running || undefined, { timeoutMs: 60_000, intervalMs: 250, description: 'the extension container to stop' });
      const downAt = Date.now();
      await echo('late-ext2', 'late-ext2.faults.local');
      await until200('late-ext2.faults.local', 90_000);
      const heldDownMs = Date.now() - downAt;
      const spec = (await docker(['service', 'inspect', extService, '--format', '{{.Spec.Mode.Replicated.Replicas}}'])).stdout.trim();
      expect(spec).toBe('1');
      await sleep(1000);
      await load.stop();
      console.log(
        `faults/extension: killed -> service created at once served in ${afterKillMs} ms; scaled to 0 -> core restored it and the service created meanwhile was served in ${heldDownMs} ms; ` +
          `steady route: ${load.summary()}`,
      );
      expect(load.total).toBeGreaterThan(100);
      expect(load.failed).toBe(0);
      expect(afterKillMs).toBeLessThan(60_000);
      expect(heldDownMs).toBeLessThan(60_000);
    } finally {
      await load.stop();
    }
  }, 300_000);

  it('3. the Docker API stalled (dockerd SIGSTOPped for 5 s): the proxy keeps serving, core is not restarted and makes no retry storm, changes are routed afterwards', async () => {
    const coreTask = await runningTaskOf(sy.core);
    const coreContainer = await containerOf(sy.core);
    expect(coreTask).toBeTruthy();
    const pid = hostDockerdPid();
    const load = new RouteLoad({ port: PORTS.http, host: STEADY, workers: 2, maxMs: 120_000 });
    const calls: number[] = [];
    try {
      calls.push(await dockerCalls());
      load.mark('dockerd stopped');
      process.kill(pid, 'SIGSTOP');
      stoppedPid = pid;
      const stoppedAt = Date.now();
      try {
        // Core's /metrics is served by core itself: sample Docker API calls while the engine is stopped.
        while (Date.now() - stoppedAt < 5000) {
          calls.push(await dockerCalls().catch(() => Number.NaN));
          await sleep(500);
        }
      } finally {
        process.kill(pid, 'SIGCONT');
        stoppedPid = undefined;
      }
      load.mark('dockerd continued');
      await waitFor(() => engineHealthy(), { timeoutMs: 30_000, intervalMs: 500, description: 'dockerd answering after SIGCONT' });
      const contAt = Date.now();
      await echo('after-stall', 'after-stall.faults.local');
      await until200('after-stall.faults.local', 90_000);
      const routedMs = Date.now() - contAt;
      await sleep(1000);
      await load.stop();
      const during = calls.filter((n) => !Number.isNaN(n));
      const stalledCalls = Math.max(...during) - calls[0]!;
      const after = await dockerCalls();
      const logs = await sy.coreLogs();
      const failedRounds = logs.split('\n').filter((l) => l.includes('reconcile round failed')).length;
      console.log(
        `faults/docker-stall: Docker API calls by core during the 5 s stop: ${stalledCalls} (samples ${JSON.stringify(calls)}), after: +${after - Math.max(...during)}; ` +
          `failed reconcile rounds in core's log: ${failedRounds}; service created after SIGCONT served in ${routedMs} ms; steady route: ${load.summary()}`,
      );
      expect(load.failed).toBe(0);
      // Calls block on the stopped engine; none is retried in a loop (a round is 4 list calls, plus
      // the deploy loop's 2 and what was in flight).
      expect(stalledCalls).toBeLessThanOrEqual(12);
      expect(after).toBeGreaterThan(Math.max(...during));
      // Same core task and container: no crash, no restart.
      expect(await runningTaskOf(sy.core)).toBe(coreTask);
      expect(await containerOf(sy.core)).toBe(coreContainer);
      expect(routedMs).toBeLessThan(30_000);
    } finally {
      if (stoppedPid !== undefined) process.kill(stoppedPid, 'SIGCONT');
      stoppedPid = undefined;
      await load.stop();
    }
  }, 200_000);

  /**
   * dockerd restarted. Swarm mode forbids live-restore, so every container dies with dockerd,
   * the proxy's too: requests fail (connection refused) from the moment dockerd stops until Swarm
   * has started the proxy again and core has given it the current configuration. That outage is
   * the engine's, not Switchyard's, and it has no bound Switchyard controls (dockerd's own stop and
   * start, Swarm's restart of every task), so it is measured and printed, not asserted to be 0.
   * What is asserted: everything reconverges — the routes created before the restart and one
   * created after it are served — within a bounded time after dockerd answers again.
   */
  (DOCKERD_RESTART ? it : it.skip)('4. dockerd restarted: routes are unavailable while it restarts, then everything reconverges (SWITCHYARD_E2E_DOCKERD_RESTART=1)', async () => {
    await echo('before-restart', 'before-restart.faults.local');
    await until200('before-restart.faults.local', 90_000);
    const load = new RouteLoad({ port: PORTS.http, host: STEADY, workers: 2, maxMs: 240_000, timeoutMs: 2000 });
    try {
      load.mark('dockerd stopping');
      const pid = hostDockerdPid();
      const stopAt = Date.now();
      process.kill(pid, 'SIGTERM');
      await waitFor(() => !alive(pid), { timeoutMs: 60_000, intervalMs: 250, description: `dockerd (pid ${pid}) to exit` });
      const stoppedMs = Date.now() - stopAt;
      load.mark('dockerd starting');
      const startAt = Date.now();
      startDockerd();
      await waitFor(() => engineHealthy(), { timeoutMs: 60_000, intervalMs: 500, description: 'dockerd answering with an active swarm' });
      const backAt = Date.now();
      load.mark('reconverging');
      await until200(STEADY, 120_000);
      const steadyMs = Date.now() - backAt;
      await until200('before-restart.faults.local', 60_000);
      await echo('after-restart', 'after-restart.faults.local');
      await until200('after-restart.faults.local', 90_000);
      const reconvergedMs = Date.now() - backAt;
      await sleep(2000);
      await load.stop();
      const outageMs = load.firstFailAt !== undefined && load.lastFailAt !== undefined ? load.lastFailAt - load.firstFailAt : 0;
      console.log(
        `faults/dockerd-restart: dockerd stopped in ${stoppedMs} ms, answering again ${backAt - startAt} ms after start; steady route unavailable for ${outageMs} ms ` +
          `(${load.failed} failed requests), served again ${steadyMs} ms after dockerd answered; every route incl. a new one served ${reconvergedMs} ms after it answered; ${load.summary()}`,
      );
      expect(reconvergedMs).toBeLessThan(120_000);
      // After reconverging, the steady route serves without failure again.
      const after = await Promise.all(Array.from({ length: 10 }, () => get(STEADY)));
      expect(after.map((r) => r.status)).toEqual(Array(10).fill(200));
    } finally {
      await load.stop();
      await ensureEngine();
    }
  }, 300_000);
});
