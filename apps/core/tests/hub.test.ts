import { ProxyKind, ProxyModel } from '@switchyard/proto';
import { ModelHub } from '../src/hub.js';

const model = (cluster: string, hash: string): ProxyModel => ({ ...ProxyModel.fromPartial({}), serviceCluster: cluster, hash });

describe('ModelHub', () => {
  it('versions a cluster only when its hash changes, with global monotonic versions', () => {
    const hub = new ModelHub();
    expect(hub.publish(model('', 'a'))).toMatchObject({ changed: true, model: { version: 1 } });
    expect(hub.publish(model('', 'a'))).toMatchObject({ changed: false, model: { version: 1 } });
    expect(hub.publish(model('b', 'x'))).toMatchObject({ changed: true, model: { version: 2 } });
    expect(hub.publish(model('', 'c'))).toMatchObject({ changed: true, model: { version: 3 } });
    expect(hub.all().map((m) => [m.serviceCluster, m.version])).toEqual([
      ['', 3],
      ['b', 2],
    ]);
  });

  it('streams the current model, then the newest of each change, to the right cluster only', async () => {
    const hub = new ModelHub();
    hub.publish(model('', 'a'));
    const ac = new AbortController();
    const seen: number[] = [];
    const done = (async () => {
      for await (const m of hub.watch('', ac.signal)) {
        seen.push(m.version);
        if (m.hash === 'c') ac.abort();
      }
    })();
    await new Promise((r) => setImmediate(r));
    hub.publish(model('other', 'z'));
    hub.publish(model('', 'b'));
    await new Promise((r) => setImmediate(r));
    hub.publish(model('', 'c'));
    await done;
    expect(seen).toEqual([1, 3, 4]);
  });

  it('ends a watch promptly when aborted while waiting', async () => {
    const hub = new ModelHub();
    const ac = new AbortController();
    const it = hub.watch('', ac.signal);
    const next = it.next();
    ac.abort();
    await expect(next).resolves.toEqual({ done: true, value: undefined });
  });

  it('registers extensions with distinct ids', () => {
    const hub = new ModelHub();
    const a = hub.register('a', '', ProxyKind.PROXY_KIND_NGINX);
    const b = hub.register('b', 'x', ProxyKind.PROXY_KIND_HAPROXY);
    expect(a.extensionId).not.toBe(b.extensionId);
    expect(hub.extension(b.extensionId)).toEqual(b);
    expect(hub.registeredExtensions().map((e) => e.name)).toEqual(['a', 'b']);
  });
});
