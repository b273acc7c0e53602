import { PassThrough } from 'node:stream';
import type Dockerode from 'dockerode';
import { DockerodePort, isDockerEvent, type DockerEvent } from '../src/index.js';

/** A stand-in for the few dockerode methods under test; records what it was asked. */
function stubDocker(stream: PassThrough) {
  const calls: { getEvents: Record<string, unknown>[]; update: unknown[]; listServices: unknown[]; createService: unknown[][]; createConfig: unknown[] } = {
    getEvents: [],
    update: [],
    listServices: [],
    createService: [],
    createConfig: [],
  };
  const stub = {
    listServices: async (opts: unknown) => {
      calls.listServices.push(opts);
      return [{ ID: 's1' }];
    },
    getEvents: async (opts: Record<string, unknown>) => {
      calls.getEvents.push(opts);
      const signal = opts['abortSignal'] as AbortSignal | undefined;
      signal?.addEventListener('abort', () => stream.destroy(Object.assign(new Error('aborted'), { name: 'AbortError' })));
      return stream;
    },
    getService: (id: string) => ({
      update: async (opts: unknown) => {
        calls.update.push({ id, opts });
      },
    }),
    createService: async (...args: unknown[]) => {
      calls.createService.push(args);
      return { id: 'new-id' };
    },
    createConfig: async (opts: unknown) => {
      calls.createConfig.push(opts);
      return { id: 'cfg-id' };
    },
  };
  return { docker: stub as unknown as Dockerode, calls };
}

const ev = (id: string): DockerEvent => ({ Type: 'service', Action: 'update', Actor: { ID: id, Attributes: { name: 'wéb' } }, scope: 'swarm', time: 1, timeNano: 1 });

describe('DockerodePort.events', () => {
  it('yields events split across arbitrary chunk boundaries and ends with the stream', async () => {
    const stream = new PassThrough();
    const { docker, calls } = stubDocker(stream);
    const port = new DockerodePort(docker);
    const payload = Buffer.from([ev('a'), ev('b'), ev('c')].map((e) => JSON.stringify(e)).join('\n') + '\n');
    const got: DockerEvent[] = [];
    const done = (async () => {
      for await (const e of port.events({ signal: new AbortController().signal, since: 5, filters: { type: ['service'] } })) got.push(e);
    })();
    for (let i = 0; i < payload.length; i += 7) stream.write(payload.subarray(i, i + 7));
    stream.write('{"not":"an event"}\n');
    stream.end();
    await done;
    expect(got).toEqual([ev('a'), ev('b'), ev('c')]);
    expect(calls.getEvents[0]).toMatchObject({ since: 5, filters: JSON.stringify({ type: ['service'] }) });
  });

  it('ends normally when the signal aborts', async () => {
    const stream = new PassThrough();
    const port = new DockerodePort(stubDocker(stream).docker);
    const abort = new AbortController();
    const got: DockerEvent[] = [];
    const done = (async () => {
      for await (const e of port.events({ signal: abort.signal })) got.push(e);
    })();
    stream.write(JSON.stringify(ev('a')) + '\n');
    await new Promise((r) => setTimeout(r, 10));
    abort.abort();
    await expect(done).resolves.toBeUndefined();
    expect(got).toEqual([ev('a')]);
    expect(stream.destroyed).toBe(true);
  });

  it('throws when the stream fails, so the caller can resubscribe', async () => {
    const stream = new PassThrough();
    const port = new DockerodePort(stubDocker(stream).docker);
    const done = (async () => {
      for await (const _ of port.events({ signal: new AbortController().signal })) {
        // drain
      }
    })();
    await new Promise((r) => setTimeout(r, 5));
    stream.destroy(new Error('socket hang up'));
    await expect(done).rejects.toThrow('socket hang up');
  });

  it('returns at once for an already aborted signal', async () => {
    const stream = new PassThrough();
    const { docker, calls } = stubDocker(stream);
    const abort = new AbortController();
    abort.abort();
    for await (const _ of new DockerodePort(docker).events({ signal: abort.signal })) throw new Error('unexpected event');
    expect(calls.getEvents).toHaveLength(0);
  });
});

describe('DockerodePort requests', () => {
  it('sends filters as JSON, the update version as query and specs as body only', async () => {
    const { docker, calls } = stubDocker(new PassThrough());
    const port = new DockerodePort(docker);
    await port.listServices({ label: ['com.docker.lb.hosts'] });
    // Every call carries its deadline's signal (docker-modem takes it out of the query and body).
    const abortSignal = expect.any(AbortSignal);
    expect(calls.listServices[0]).toEqual({ filters: '{"label":["com.docker.lb.hosts"]}', abortSignal });
    await port.updateService('s1', 42, { Name: 'web' });
    expect(calls.update[0]).toEqual({ id: 's1', opts: { _query: { version: 42 }, _body: { Name: 'web' }, abortSignal } });
    const spec = { Name: 'web' };
    expect(await port.createService(spec)).toBe('new-id');
    expect(calls.createService[0]).toEqual([undefined, { Name: 'web', abortSignal }]);
    expect(calls.createService[0]?.[1]).not.toBe(spec);
    expect(await port.createConfig({ Name: 'c', Data: 'eA==' })).toBe('cfg-id');
    expect(calls.createConfig[0]).toEqual({ _query: {}, _body: { Name: 'c', Data: 'eA==' }, abortSignal });
  });
});

describe('isDockerEvent', () => {
  it('accepts event messages and rejects other values', () => {
    expect(isDockerEvent(ev('a'))).toBe(true);
    expect(isDockerEvent({ Type: 'service', Action: 'x' })).toBe(false);
    expect(isDockerEvent({ status: 'pull' })).toBe(false);
    expect(isDockerEvent(null)).toBe(false);
  });
});
