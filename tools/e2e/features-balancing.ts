/**
 * Balancing features on a real swarm: WebSockets (`websocket_endpoints`), sticky sessions
 * (`sticky_session_cookie`, `ip_hash`) and canaries (two services sharing one host, split by replica
 * count or by Switchyard's `com.switchyard.lb.weight`). One suite, run once per proxy kind: core is
 * deployed as a user would (tools/swarm/up.sh) and every assertion is made with a real client
 * (HTTP or WebSocket) against the proxy's host-mode port on 127.0.0.1.
 *
 * Isolation: the suite's extension routes one service cluster of its own, and every service it
 * creates carries `com.docker.lb.service_cluster=<that cluster>`, so proxies of other suites running
 * on the same swarm neither route these services nor roll out when they change (and ours ignores
 * theirs).
 */
import WebSocket from 'ws';
import { E2E_IMAGES, SwarmFixture, docker, dockerLines, requireImages, waitFor } from '../e2e-harness/index.js';
import { deploySwitchyard, echoOf, runningProxyConfig, viaProxy, type Echo, type Switchyard } from './switchyard-fixture.js';

/** Host ports of one deployment. */
export interface BalancingPorts {
  http: number;
  https: number;
  grpc: number;
}

/** What a WebSocket session through the proxy saw. */
interface WsSession {
  /** Status of the upgrade response (101 on success). */
  status: number;
  /** The echo backend's first message (JSON description of the upgrade request). */
  hello: Echo;
  /** Replies to the messages sent, in order. */
  replies: { data: Buffer; binary: boolean }[];
}

/**
 * Opens a WebSocket to `ws://127.0.0.1:<port><path>` with a Host header, reads the first message,
 * sends `messages` one at a time (waiting for each echo) and closes. Bounded by `timeoutMs`.
 */
function wsSession(port: number, host: string, path: string, messages: (string | Buffer)[], timeoutMs = 10_000): Promise<WsSession> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`ws://127.0.0.1:${port}${path}`, { headers: { host }, handshakeTimeout: timeoutMs, perMessageDeflate: false });
    const timer = setTimeout(() => {
      socket.terminate();
      reject(new Error(`websocket ${host}${path}: session not complete within ${timeoutMs} ms`));
    }, timeoutMs);
    let status = 0;
    let hello: Echo | undefined;
    const replies: { data: Buffer; binary: boolean }[] = [];
    const sendNext = () => {
      const next = messages[replies.length];
      if (next === undefined) {
        clearTimeout(timer);
        socket.close(1000);
        resolve({ status, hello: hello!, replies });
      } else {
        socket.send(next, { binary: Buffer.isBuffer(next) });
      }
    };
    socket.on('upgrade', (res) => {
      status = res.statusCode ?? 0;
    });
    socket.on('message', (data, isBinary) => {
      const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      if (hello === undefined) {
        try {
          hello = JSON.parse(buf.toString('utf8')) as Echo;
        } catch (error) {
          clearTimeout(timer);
          socket.terminate();
          reject(error as Error);
          return;
        }
      } else {
        replies.push({ data: buf, binary: isBinary });
      }
      sendNext();
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      socket.terminate();
      reject(error);
    });
  });
}

/** Percentage with one decimal, for reports. */
const pct = (part: number, whole: number): string => `${((100 * part) / whole).toFixed(1)}%`;

/** Registers the balancing suite for one proxy kind. */
export function balancingSuite(kind: 'nginx' | 'haproxy', ports: BalancingPorts): void {
  const fx = new SwarmFixture();
  const cluster = `balancing-${kind}`;
  let sy: Switchyard;
  let proxyService: string;
  let appNet: string;
  /** Requests that had to be retried because the proxy was rolling out (status 0/502/503/504). */
  let transient = 0;

  /** Creates an echo service routed by this suite's cluster with the given `com.docker.lb.*` labels. */
  const echoService = (suffix: string, replicas: number, labels: Record<string, string>) =>
    fx.createService({
      image: E2E_IMAGES.echo,
      suffix,
      replicas,
      networks: [appNet],
      env: { ECHO_TASK: '{{.Task.Name}}' },
      labels: { 'com.docker.lb.port': '8080', 'com.docker.lb.service_cluster': cluster, ...labels },
    });

  /**
   * One request answered by the echo backend. A proxy rollout (stop-first) closes the port for a
   * moment: such answers (no connection, 502/503/504) are retried, bounded, and counted.
   */
  const answer = async (host: string, headers: Record<string, string> = {}): Promise<Echo> => {
    let first = true;
    return waitFor(
      async () => {
        if (!first) transient += 1;
        first = false;
        return echoOf(await viaProxy(ports.http, host, '/', headers));
      },
      { timeoutMs: 60_000, intervalMs: 200, description: `200 from ${host} through the ${kind} proxy` },
    );
  };

  /** The configuration the running proxy serves (its agent's live files, or the mounted ones). */
  const proxyConfigText = async (): Promise<string> => (await runningProxyConfig(proxyService, kind)) ?? '';

  /**
   * Waits until the proxy runs a config that lists exactly the tasks of `services` (each task IP
   * at :8080) and its rollout has finished, then until `host` answers. Returns the config's server
   * lines for those addresses (e.g. `server 10.0.3.4:8080 weight=27;`), for reports.
   */
  const settled = async (host: string, services: { name: string; replicas: number }[]): Promise<string[]> => {
    const ips: string[] = [];
    for (const s of services) {
      await fx.waitForRunningTasks(s.name, s.replicas, { timeoutMs: 90_000 });
      ips.push(...(await fx.taskAddresses(s.name, appNet)));
    }
    const lines = await waitFor(
      async () => {
        const text = await proxyConfigText();
        const found = ips.map((ip) => text.split('\n').find((l) => new RegExp(`(^|[^0-9.])${ip.replace(/\./g, '\\.')}:8080([^0-9]|$)`).test(l)));
        if (found.some((l) => l === undefined)) return undefined;
        const state = (await docker(['service', 'inspect', proxyService, '--format', '{{if .UpdateStatus}}{{.UpdateStatus.State}}{{end}}'])).stdout.trim();
        if (state === 'updating' || state === 'rollback_started') return undefined;
        const running = await fx.tasks(proxyService).then((ts) => ts.filter((t) => t.desiredState === 'running'));
        if (running.length !== 1 || running[0]!.state !== 'running') return undefined;
        return found.map((l) => l!.trim());
      },
      { timeoutMs: 150_000, intervalMs: 1000, description: `the ${kind} proxy to run a config with ${ips.join(', ')}` },
    );
    await answer(host);
    return lines;
  };

  /** `n` answers for `host` (fresh connection each), counted by task name. */
  const tally = async (host: string, n: number, headers: Record<string, string> = {}): Promise<Map<string, number>> => {
    const counts = new Map<string, number>();
    for (let i = 0; i < n; i++) {
      const e = await answer(host, headers);
      counts.set(e.task, (counts.get(e.task) ?? 0) + 1);
    }
    return counts;
  };

  /** Answers per service (task names are `<service>.<slot>.<id>`). */
  const byService = (counts: Map<string, number>, services: string[]): number[] =>
    services.map((s) => [...counts].filter(([task]) => task.startsWith(`${s}.`)).reduce((sum, [, c]) => sum + c, 0));

  beforeAll(async () => {
    await requireImages([E2E_IMAGES.echo, 'switchyard/core:latest', 'switchyard/extension:latest', `switchyard/proxy-${kind}:latest`]);
    appNet = await fx.createNetwork({ suffix: 'app-net' });
    sy = await deploySwitchyard(fx, ports.grpc, [{ name: 'bal', kind, httpPort: ports.http, httpsPort: ports.https, serviceCluster: cluster }]);
    proxyService = sy.proxy('bal');
  }, 120_000);

  afterAll(async () => {
    console.log(`[${kind}] requests retried during proxy rollouts: ${transient}`);
    await fx.cleanup().catch((err: Error) => console.warn(err.message));
    await sy?.teardown();
  }, 180_000);

  it('6. websocket_endpoints=/ws: a ws client is upgraded through the proxy, gets the first message and its own messages back', async () => {
    const svc = await echoService('ws', 1, { 'com.docker.lb.hosts': 'ws.balancing.local', 'com.docker.lb.websocket_endpoints': '/ws' });
    await settled('ws.balancing.local', [{ name: svc, replicas: 1 }]);
    const big = Buffer.alloc(100_000, 0x61);
    const binary = Buffer.from([0, 1, 2, 253, 254, 255]);
    const session = await waitFor(() => wsSession(ports.http, 'ws.balancing.local', '/ws', ['hello through the proxy', binary, big.toString('latin1')]), {
      timeoutMs: 60_000,
      intervalMs: 500,
      description: `a websocket session on ws.balancing.local/ws through ${kind}`,
    });
    expect(session.status).toBe(101);
    // The first message is the echo's description of the upgrade request it received.
    expect(session.hello.task.startsWith(`${svc}.1.`)).toBe(true);
    expect(session.hello.path).toBe('/ws');
    expect(session.hello.headers['upgrade']?.toLowerCase()).toBe('websocket');
    expect(session.replies.map((r) => r.binary)).toEqual([false, true, false]);
    expect(session.replies[0]!.data.toString('utf8')).toBe('hello through the proxy');
    expect(session.replies[1]!.data.equals(binary)).toBe(true);
    expect(session.replies[2]!.data.length).toBe(big.length);
    expect(session.replies[2]!.data.equals(big)).toBe(true);
    // The same service also answers plain HTTP on that host.
    expect((await answer('ws.balancing.local')).task.startsWith(`${svc}.1.`)).toBe(true);
    // Off the listed endpoints: nginx upgrades only the websocket_endpoints paths (elsewhere the
    // Upgrade header is not passed on and the backend answers a plain 200, which a ws client
    // rejects); HAProxy passes Upgrade through on every route.
    const elsewhere = await wsSession(ports.http, 'ws.balancing.local', '/other', ['x']).then(
      (s) => `upgraded ${s.status}`,
      (err: Error) => err.message,
    );
    if (kind === 'nginx') expect(elsewhere).toMatch(/Unexpected server response: 200/);
    else expect(elsewhere).toBe('upgraded 101');
  }, 240_000);

  it('7a. sticky_session_cookie=session with 3 replicas: one cookie value always reaches one task, different values spread', async () => {
    const svc = await echoService('sticky', 3, { 'com.docker.lb.hosts': 'sticky.balancing.local', 'com.docker.lb.sticky_session_cookie': 'session' });
    await settled('sticky.balancing.local', [{ name: svc, replicas: 3 }]);
    const tasks = (await fx.tasks(svc)).filter((t) => t.desiredState === 'running').map((t) => t.name);
    const pinned = new Map<string, string>();
    for (const value of ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', 'ivan', 'judy']) {
      const counts = await tally('sticky.balancing.local', 20, { cookie: `theme=dark; session=${value}` });
      // 20 requests with the same cookie value: one task answered all of them.
      expect([...counts.values()]).toEqual([20]);
      const [task] = [...counts.keys()];
      expect(tasks).toContain(task);
      pinned.set(value, task!);
    }
    const spread = new Set(pinned.values());
    console.log(`[${kind}] sticky cookie: 10 values x 20 requests, each value pinned; values per task: ${tasks.map((t) => [...pinned.values()].filter((p) => p === t).length).join('/')}`);
    expect(spread.size).toBeGreaterThan(1);
    // The pinning is stable: the first value still reaches its task after all the other traffic.
    const again = await tally('sticky.balancing.local', 5, { cookie: 'session=alice' });
    expect([...again.keys()]).toEqual([pinned.get('alice')]);
  }, 240_000);

  it('7b. ip_hash=true with 3 replicas: every request from the one client address reaches the same task', async () => {
    const svc = await echoService('iphash', 3, { 'com.docker.lb.hosts': 'iphash.balancing.local', 'com.docker.lb.ip_hash': 'true' });
    await settled('iphash.balancing.local', [{ name: svc, replicas: 3 }]);
    const seen = new Set<string>();
    const tasks = new Map<string, number>();
    for (let i = 0; i < 30; i++) {
      const e = await answer('iphash.balancing.local');
      seen.add(e.headers['x-real-ip'] ?? '(none)');
      tasks.set(e.task, (tasks.get(e.task) ?? 0) + 1);
    }
    // Under host-mode publishing, a connection to 127.0.0.1:<port> reaches the proxy through
    // Docker's port forwarding from the docker_gwbridge gateway: the proxy sees that address, not
    // 127.0.0.1, for every local client.
    const gateway = (await dockerLines(['network', 'inspect', 'docker_gwbridge', '--format', '{{range .IPAM.Config}}{{.Gateway}} {{end}}']))[0]?.trim().split(' ')[0];
    console.log(`[${kind}] ip_hash: client address seen by the proxy ${[...seen].join(', ')} (docker_gwbridge gateway ${gateway}); tasks answering: ${[...tasks].map(([t, c]) => `${t.split('.')[1]}:${c}`).join(', ')}`);
    expect([...seen]).toEqual([gateway]);
    expect([...tasks.values()]).toEqual([30]);
    // The control: without ip_hash the same client spreads over the tasks (round robin), so the
    // pinning above is the label's doing.
    await fx.updateService(svc, ['--label-rm', 'com.docker.lb.ip_hash']);
    const spread = await waitFor(
      async () => {
        const counts = await tally('iphash.balancing.local', 9);
        return counts.size === 3 ? counts : undefined;
      },
      { timeoutMs: 150_000, intervalMs: 1000, description: 'round robin over 3 tasks once ip_hash is removed' },
    );
    expect(spread.size).toBe(3);
  }, 300_000);

  it('9a. canary by replica count: two services sharing one host with 3 and 1 replicas split ~75/25 over 400 requests', async () => {
    const stable = await echoService('canary-v1', 3, { 'com.docker.lb.hosts': 'canary.balancing.local' });
    const canary = await echoService('canary-v2', 1, { 'com.docker.lb.hosts': 'canary.balancing.local' });
    const lines = await settled('canary.balancing.local', [
      { name: stable, replicas: 3 },
      { name: canary, replicas: 1 },
    ]);
    const n = 400;
    const counts = await tally('canary.balancing.local', n);
    const [v1, v2] = byService(counts, [stable, canary]);
    console.log(`[${kind}] canary by replicas (3 vs 1): v1 ${v1} (${pct(v1!, n)}), v2 ${v2} (${pct(v2!, n)}) of ${n}; servers: ${lines.join(' | ')}`);
    expect(v1! + v2!).toBe(n);
    expect(counts.size).toBe(4);
    expect(v1! / n).toBeGreaterThanOrEqual(0.68);
    expect(v1! / n).toBeLessThanOrEqual(0.82);
  }, 300_000);

  it('9b. weighted canary: com.switchyard.lb.weight 90/10 with 1 and 3 replicas splits ~90/10 whatever the replica counts', async () => {
    const stable = await echoService('weighted-v1', 1, { 'com.docker.lb.hosts': 'weighted.balancing.local', 'com.switchyard.lb.weight': '90' });
    const canary = await echoService('weighted-v2', 3, { 'com.docker.lb.hosts': 'weighted.balancing.local', 'com.switchyard.lb.weight': '10' });
    const lines = await settled('weighted.balancing.local', [
      { name: stable, replicas: 1 },
      { name: canary, replicas: 3 },
    ]);
    const n = 400;
    const counts = await tally('weighted.balancing.local', n);
    const [v1, v2] = byService(counts, [stable, canary]);
    console.log(`[${kind}] weighted canary (90 on 1 task vs 10 on 3 tasks): v1 ${v1} (${pct(v1!, n)}), v2 ${v2} (${pct(v2!, n)}) of ${n}; servers: ${lines.join(' | ')}`);
    expect(v1! + v2!).toBe(n);
    // Replica counts alone would give v1 25%; the weights give 90%.
    expect(v1! / n).toBeGreaterThanOrEqual(0.85);
    expect(v1! / n).toBeLessThanOrEqual(0.95);
    // Every canary task takes part.
    expect([...counts.keys()].filter((t) => t.startsWith(`${canary}.`)).length).toBe(3);
  }, 300_000);
}
