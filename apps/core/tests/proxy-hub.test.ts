import { ApplyResult, type ProxyConfigBundle, type ProxyReplica } from '@switchyard/proto';
import { FORGET_DISCONNECTED_MS, ProxyConfigHub } from '../src/proxy-hub.js';

const bundle = (v: number, checksum = `c${v}`): ProxyConfigBundle => ({ modelVersion: v, checksum, files: [{ path: 'nginx.conf', content: `# ${v}\n` }], acceptedAtUnixMs: v });
const replica = (taskId: string): ProxyReplica => ({ taskId, nodeId: 'n1', hostname: 'h', agentVersion: '0' });
const report = (task: string, v: number, result = ApplyResult.APPLY_RESULT_APPLIED, error = '') => ({
  proxyService: 'p',
  replica: replica(task),
  modelVersion: v,
  checksum: `c${v}`,
  result,
  error,
  atUnixMs: 1000 + v,
  reloads: v,
  draining: 0,
});

async function take<T>(it: AsyncGenerator<T>, n: number): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < n; i++) out.push((await it.next()).value as T);
  return out;
}

describe('ProxyConfigHub', () => {
  it('streams the current bundle at once, then newer ones; a slow watcher gets only the newest', async () => {
    const hub = new ProxyConfigHub();
    hub.publish('p', bundle(1));
    const ac = new AbortController();
    const w = hub.watch('p', replica('t1'), ac.signal);
    expect((await take(w, 1))[0]!.modelVersion).toBe(1);
    hub.publish('p', bundle(2));
    hub.publish('p', bundle(3));
    expect((await take(w, 1))[0]!.modelVersion).toBe(3);
    ac.abort();
    await w.return(undefined);
  });

  it('tracks connection, applied and rejected state per replica', async () => {
    let now = 0;
    const hub = new ProxyConfigHub(() => now);
    hub.publish('p', bundle(1));
    const ac = new AbortController();
    const w = hub.watch('p', replica('t1'), ac.signal);
    await take(w, 1);
    expect(hub.replicas().replicas).toEqual([expect.objectContaining({ proxyService: 'p', connected: true, appliedChecksum: '' })]);
    hub.report(report('t1', 1));
    hub.publish('p', bundle(2));
    hub.report(report('t1', 2, ApplyResult.APPLY_RESULT_REJECTED, 'nginx: [emerg] bad'));
    const r = hub.replicas().replicas[0]!;
    expect(r).toMatchObject({ appliedModelVersion: 1, appliedChecksum: 'c1', rejectedModelVersion: 2, rejectedError: 'nginx: [emerg] bad', reloads: 2 });
    hub.publish('p', bundle(3));
    hub.report(report('t1', 3));
    expect(hub.replicas().replicas[0]).toMatchObject({ appliedModelVersion: 3, rejectedChecksum: 'c2' });
    ac.abort();
    await w.next();
    expect(hub.replicas().replicas[0]!.connected).toBe(false);
    now += FORGET_DISCONNECTED_MS + 1;
    const { replicas, forgotten } = hub.replicas();
    expect(replicas).toEqual([]);
    expect(forgotten.map((f) => f.replica?.taskId)).toEqual(['t1']);
  });

  it('announces "applied everywhere" once, when the last connected replica reports the current bundle', async () => {
    const hub = new ProxyConfigHub();
    hub.publish('p', bundle(1));
    const acs = [new AbortController(), new AbortController()];
    const ws = [hub.watch('p', replica('t1'), acs[0]!.signal), hub.watch('p', replica('t2'), acs[1]!.signal)];
    await take(ws[0]!, 1);
    await take(ws[1]!, 1);
    expect(hub.report(report('t1', 1)).allApplied).toBeUndefined();
    expect(hub.report(report('t2', 1)).allApplied?.bundle.modelVersion).toBe(1);
    expect(hub.report(report('t2', 1)).allApplied).toBeUndefined();
    for (const ac of acs) ac.abort();
    for (const w of ws) await w.next();
  });
});
