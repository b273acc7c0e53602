// Real-engine test: the watcher against the running dockerd (single-node swarm).
// Runs unless SWITCHYARD_E2E=0; fails loudly when dockerd is not reachable.
import type { SwarmSnapshot } from '@switchyard/proto';
import { DockerodePort, SnapshotWatcher, noopLogger, type DockerServiceSpec } from '../src/index.js';
import { PAUSE_IMAGE, buildPauseImage, realEngine, retry, testName } from './real-helpers.js';

const describeReal = realEngine ? describe : describe.skip;
const WAIT_MS = 60_000;

describeReal('SnapshotWatcher on a real swarm', () => {
  const docker = new DockerodePort();
  const netName = testName('net');
  const svcName = testName('web');
  let networkId = '';
  let serviceId = '';
  let watcher: SnapshotWatcher;
  const snapshots: SwarmSnapshot[] = [];

  /** Resolves with the first snapshot (latest or future) that satisfies `predicate`, within WAIT_MS. */
  function waitForSnapshot(what: string, predicate: (s: SwarmSnapshot) => boolean): Promise<SwarmSnapshot> {
    return new Promise((resolve, reject) => {
      const latest = watcher.latest;
      if (latest && predicate(latest)) return resolve(latest);
      const timer = setTimeout(() => {
        off();
        reject(new Error(`timed out after ${WAIT_MS} ms waiting for: ${what}`));
      }, WAIT_MS);
      const off = watcher.onSnapshot((s) => {
        if (!predicate(s)) return;
        clearTimeout(timer);
        off();
        resolve(s);
      });
    });
  }

  const runningTasks = (s: SwarmSnapshot) => s.tasks.filter((t) => t.serviceId === serviceId && t.state === 'running' && t.desiredState === 'running');
  const addressOn = (s: SwarmSnapshot) =>
    runningTasks(s).map((t) => t.attachments.find((a) => a.networkId === networkId)?.addresses[0] ?? '');

  const spec = (replicas: number): DockerServiceSpec => ({
    Name: svcName,
    Labels: { 'com.docker.lb.hosts': 'web.sy-test.local', 'com.docker.lb.port': '8080', 'sy-test': 'reconciler' },
    TaskTemplate: {
      ContainerSpec: { Image: PAUSE_IMAGE, Command: ['/pause'], Init: true, StopGracePeriod: 1_000_000_000, Labels: { 'container.label': 'not-a-service-label' } },
      Networks: [{ Target: networkId }],
      RestartPolicy: { Condition: 'none' },
    },
    Mode: { Replicated: { Replicas: replicas } },
  });

  beforeAll(async () => {
    await docker.ping().catch((err: unknown) => {
      throw new Error(`dockerd is not reachable (set SWITCHYARD_E2E=0 to skip real-engine tests): ${String(err)}`);
    });
    buildPauseImage();
    const network = await docker.dockerode.createNetwork({ Name: netName, Driver: 'overlay', Attachable: true, Labels: { 'sy-test': 'reconciler' } });
    networkId = network.id;
    watcher = new SnapshotWatcher({ docker, logger: noopLogger, resyncIntervalMs: 1000, debounceMs: 100 });
    watcher.onSnapshot((s) => void snapshots.push(s));
    watcher.start();
  }, 60_000);

  afterAll(async () => {
    await watcher?.stop();
    if (serviceId) await docker.removeService(serviceId).catch(() => undefined);
    if (networkId) {
      // The network can only go once the tasks have left it.
      await retry(() => docker.dockerode.getNetwork(networkId).remove(), 30_000).catch(() => undefined);
    }
  }, 60_000);

  it('sees a labelled service with 2 running tasks and their addresses on its network', async () => {
    serviceId = await docker.createService(spec(2));
    const snap = await waitForSnapshot('2 running tasks with addresses', (s) => runningTasks(s).length === 2 && addressOn(s).every((a) => a !== ''));
    const service = snap.services.find((s) => s.id === serviceId);
    expect(service).toBeDefined();
    expect(service?.name).toBe(svcName);
    expect(service?.labels).toEqual({ 'com.docker.lb.hosts': 'web.sy-test.local', 'com.docker.lb.port': '8080', 'sy-test': 'reconciler' });
    expect(service?.networkIds).toEqual([networkId]);
    expect(service?.createdAtUnixMs).toBeGreaterThan(Date.now() - 10 * 60_000);
    expect(snap.networks.find((n) => n.id === networkId)).toEqual({ id: networkId, name: netName, driver: 'overlay', scope: 'swarm', ingress: false });
    const addresses = addressOn(snap);
    for (const a of addresses) expect(a).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(new Set(addresses).size).toBe(2);
    expect(runningTasks(snap).map((t) => t.slot).sort()).toEqual([1, 2]);
  }, WAIT_MS + 10_000);

  it('sees the service scaled to 3', async () => {
    const current = await docker.inspectService(serviceId);
    await docker.updateService(serviceId, current.Version?.Index ?? 0, spec(3));
    const snap = await waitForSnapshot('3 running tasks', (s) => runningTasks(s).length === 3 && addressOn(s).every((a) => a !== ''));
    expect(new Set(addressOn(snap)).size).toBe(3);
  }, WAIT_MS + 10_000);

  it('sees the service removed', async () => {
    await docker.removeService(serviceId);
    const removed = serviceId;
    const snap = await waitForSnapshot('service gone', (s) => !s.services.some((x) => x.id === removed));
    expect(snap.services.map((s) => s.name)).not.toContain(svcName);
    serviceId = '';
    // Every emitted snapshot differs from the one before it.
    const encoded = snapshots.map((s) => JSON.stringify(s));
    for (let i = 1; i < encoded.length; i++) expect(encoded[i]).not.toBe(encoded[i - 1]);
    const stats = watcher.stats();
    expect(stats.errors).toBe(0);
    expect(stats.listCalls).toBe(4 * stats.reconciles);
  }, WAIT_MS + 10_000);
});
