import { type DockerEvent } from '../src/index.js';
import { FakeDockerError, FakeDockerPort } from '../src/testing.js';

async function take(iterable: AsyncIterable<DockerEvent>, n: number): Promise<DockerEvent[]> {
  const out: DockerEvent[] = [];
  if (n === 0) return out;
  for await (const ev of iterable) {
    out.push(ev);
    if (out.length >= n) break;
  }
  return out;
}

describe('FakeDockerPort', () => {
  it('creates, inspects, updates (with version check) and removes services', async () => {
    const fake = new FakeDockerPort({ now: () => Date.UTC(2024, 0, 1) });
    const id = await fake.createService({ Name: 'web', Labels: { a: '1' } });
    const svc = await fake.inspectService(id);
    expect(svc).toMatchObject({ ID: id, CreatedAt: '2024-01-01T00:00:00.000Z', Spec: { Name: 'web' } });
    await expect(fake.updateService(id, (svc.Version?.Index ?? 0) + 5, { Name: 'web' })).rejects.toThrow('update out of sequence');
    await fake.updateService(id, svc.Version?.Index ?? 0, { Name: 'web', Labels: { a: '2' } });
    expect((await fake.inspectService('web')).Spec?.Labels).toEqual({ a: '2' });
    await expect(fake.createService({ Name: 'web' })).rejects.toMatchObject({ statusCode: 409 });
    fake.addTask(id);
    await fake.removeService(id);
    expect(await fake.listServices()).toEqual([]);
    expect(await fake.listTasks()).toEqual([]);
    await expect(fake.removeService(id)).rejects.toMatchObject({ statusCode: 404 });
  });

  it('filters lists like the Engine (label, name, service, desired-state)', async () => {
    const fake = new FakeDockerPort();
    const a = await fake.createService({ Name: 'alpha', Labels: { 'com.docker.lb.hosts': 'a.local' } });
    const b = await fake.createService({ Name: 'beta', Labels: {} });
    fake.addTask(a);
    fake.addTask(b, {}, { DesiredState: 'shutdown' });
    expect((await fake.listServices({ label: ['com.docker.lb.hosts'] })).map((s) => s.ID)).toEqual([a]);
    expect((await fake.listServices({ label: ['com.docker.lb.hosts=b.local'] })).map((s) => s.ID)).toEqual([]);
    expect((await fake.listServices({ name: ['be'] })).map((s) => s.ID)).toEqual([b]);
    expect((await fake.listTasks({ service: ['alpha'] })).map((t) => t.ServiceID)).toEqual([a]);
    expect((await fake.listTasks({ 'desired-state': ['running'] })).map((t) => t.ServiceID)).toEqual([a]);
    await expect(fake.listTasks({ service: ['gamma'] })).rejects.toMatchObject({ statusCode: 404 });
    await fake.createConfig({ Name: 'proxy-1', Data: Buffer.from('x').toString('base64'), Labels: { k: 'v' } });
    expect(await fake.listConfigs({ label: ['k=v'] })).toHaveLength(1);
    expect(await fake.listConfigs({ label: ['k=w'] })).toHaveLength(0);
  });

  it('returns copies, so callers cannot change its state by accident', async () => {
    const fake = new FakeDockerPort();
    fake.addNetwork({ Name: 'front' });
    const [net] = await fake.listNetworks();
    if (net) net.Name = 'changed';
    expect((await fake.listNetworks())[0]?.Name).toBe('front');
  });

  it('counts calls and fails on demand', async () => {
    const fake = new FakeDockerPort();
    fake.failNext('listTasks', new FakeDockerError('nope', 503), 2);
    await expect(fake.listTasks()).rejects.toMatchObject({ statusCode: 503 });
    await expect(fake.listTasks()).rejects.toThrow('nope');
    await expect(fake.listTasks()).resolves.toEqual([]);
    fake.failAlways('ping');
    await expect(fake.ping()).rejects.toThrow('ping failed');
    await expect(fake.ping()).rejects.toThrow('ping failed');
    fake.clearFailures();
    await expect(fake.ping()).resolves.toEqual({ ok: true });
    expect(fake.callCount('listTasks')).toBe(3);
    expect(fake.calls.ping).toBe(3);
    expect(fake.listCallCount).toBe(3);
    fake.resetCalls();
    expect(fake.listCallCount).toBe(0);
  });

  it('holds list calls until released', async () => {
    const fake = new FakeDockerPort();
    fake.holdLists();
    let done = false;
    const p = fake.listServices().then(() => (done = true));
    await new Promise((r) => setImmediate(r));
    expect(done).toBe(false);
    expect(fake.listsInFlight).toBe(1);
    fake.releaseLists();
    await p;
    expect(fake.listsInFlight).toBe(0);
    expect(fake.maxListsInFlight).toBe(1);
  });

  it('streams emitted events, filters by type, ends on abort', async () => {
    const fake = new FakeDockerPort();
    const abort = new AbortController();
    const received = take(fake.events({ signal: abort.signal, filters: { type: ['service'] } }), 2);
    await new Promise((r) => setImmediate(r));
    expect(fake.subscriberCount).toBe(1);
    fake.emitEvent('container', 'start', 'c1');
    const id = await fake.createService({ Name: 'web' });
    fake.emitEvent('service', 'update', id);
    expect((await received).map((e) => `${e.Type}:${e.Action}:${e.Actor.ID}`)).toEqual([`service:create:${id}`, `service:update:${id}`]);
    expect(fake.subscriberCount).toBe(0);

    const all: DockerEvent[] = [];
    const running = (async () => {
      for await (const ev of fake.events({ signal: abort.signal })) all.push(ev);
    })();
    await new Promise((r) => setImmediate(r));
    fake.emitEvent('node', 'update', 'n1');
    await new Promise((r) => setImmediate(r));
    abort.abort();
    await running;
    expect(all.map((e) => e.Type)).toEqual(['node']);
  });

  it('ends streams normally or with an error on demand', async () => {
    const fake = new FakeDockerPort();
    const s1 = take(fake.events({ signal: new AbortController().signal }), 5);
    await new Promise((r) => setImmediate(r));
    fake.endEvents();
    await expect(s1).resolves.toEqual([]);
    const s2 = take(fake.events({ signal: new AbortController().signal }), 5);
    await new Promise((r) => setImmediate(r));
    fake.failEvents(new Error('connection reset'));
    await expect(s2).rejects.toThrow('connection reset');
    fake.failNext('events');
    await expect(take(fake.events({ signal: new AbortController().signal }), 1)).rejects.toThrow('events failed');
  });
});
