import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import Dockerode from 'dockerode';
import {
  DEFAULT_DOCKER_TIMEOUT_MS,
  DockerTimeoutError,
  DockerodePort,
  SnapshotWatcher,
  errorMeta,
  timeoutDockerPort,
  withDockerTimeout,
  type DockerEvent,
  type Logger,
  type RoundOutcome,
} from '../src/index.js';
import { FakeDockerPort } from '../src/testing.js';

// A dockerd that accepts the connection and never answers (SIGSTOP) must not hold a round, a
// delivery or anything else forever: every call has a deadline, the event stream only while it opens.

const T0 = 1_700_000_000_000;
const advance = (ms: number) => jest.advanceTimersByTimeAsync(ms);
const never = <T>(): Promise<T> => new Promise<T>(() => undefined);

beforeEach(() => jest.useFakeTimers({ now: T0 }));
afterEach(() => jest.useRealTimers());

/** Settles `promise` into a value to inspect later, without an unhandled rejection meanwhile. */
function track<T>(promise: Promise<T>): { result: () => { ok: true; value: T } | { ok: false; error: unknown } | undefined } {
  let result: { ok: true; value: T } | { ok: false; error: unknown } | undefined;
  promise.then(
    (value) => (result = { ok: true, value }),
    (error: unknown) => (result = { ok: false, error }),
  );
  return { result: () => result };
}

describe('withDockerTimeout', () => {
  it('defaults to 30 s', () => {
    expect(DEFAULT_DOCKER_TIMEOUT_MS).toBe(30_000);
  });

  it('passes an answer in time through and clears its timer', async () => {
    const call = track(withDockerTimeout('listServices', async () => 'answer', { timeoutMs: 1000 }));
    await advance(0);
    expect(call.result()).toEqual({ ok: true, value: 'answer' });
    expect(jest.getTimerCount()).toBe(0);
  });

  it('rejects a call that never answers with a DockerTimeoutError at the deadline, and aborts its signal', async () => {
    let signal: AbortSignal | undefined;
    const call = track(
      withDockerTimeout(
        'listTasks',
        (s) => {
          signal = s;
          return never();
        },
        { timeoutMs: 1000 },
      ),
    );
    await advance(999);
    expect(call.result()).toBeUndefined();
    expect(signal?.aborted).toBe(false);
    await advance(1);
    const result = call.result();
    expect(result?.ok).toBe(false);
    const error = (result as { error: unknown }).error;
    expect(error).toBeInstanceOf(DockerTimeoutError);
    expect(error).toMatchObject({ code: 'docker-timeout', operation: 'listTasks', timeoutMs: 1000, message: 'Docker API call listTasks did not answer within 1000 ms' });
    expect(errorMeta(error)).toMatchObject({ code: 'docker-timeout', operation: 'listTasks' });
    expect(signal?.aborted).toBe(true);
    expect(signal?.reason).toBe(error);
  });

  it('passes an error in time through unchanged', async () => {
    const boom = new Error('boom');
    const call = track(withDockerTimeout('ping', () => Promise.reject(boom), { timeoutMs: 1000 }));
    await advance(0);
    expect(call.result()).toEqual({ ok: false, error: boom });
  });

  it('sets no deadline for a timeout of 0', async () => {
    const call = track(withDockerTimeout('ping', () => never(), { timeoutMs: 0 }));
    await advance(10 * DEFAULT_DOCKER_TIMEOUT_MS);
    expect(call.result()).toBeUndefined();
    expect(jest.getTimerCount()).toBe(0);
  });
});

describe('DockerodePort deadlines', () => {
  it('aborts the request of a call that never answers and rejects with a DockerTimeoutError', async () => {
    const signals: AbortSignal[] = [];
    const stub = {
      listServices: (opts: { abortSignal: AbortSignal }) => {
        signals.push(opts.abortSignal);
        return never();
      },
      getService: () => ({
        update: (opts: { abortSignal: AbortSignal }) => {
          signals.push(opts.abortSignal);
          return never();
        },
      }),
    };
    const port = new DockerodePort(stub as unknown as Dockerode, { timeoutMs: 2000 });
    const list = track(port.listServices({ label: ['x'] }));
    const update = track(port.updateService('svc', 3, { Name: 'svc' }));
    await advance(2000);
    expect((list.result() as { error: unknown }).error).toMatchObject({ name: 'DockerTimeoutError', operation: 'listServices' });
    expect((update.result() as { error: unknown }).error).toMatchObject({ name: 'DockerTimeoutError', operation: 'updateService' });
    expect(signals.map((s) => s.aborted)).toEqual([true, true]);
  });

  it('uses 30 s when no timeout is given', async () => {
    const stub = { listServices: () => never(), listNetworks: () => never() };
    const call = track(new DockerodePort(stub as unknown as Dockerode).listNetworks());
    await advance(29_999);
    expect(call.result()).toBeUndefined();
    await advance(1);
    expect(call.result()).toMatchObject({ ok: false, error: { operation: 'listNetworks' } });
  });

  it('times out opening the event stream, but never cuts a stream that opened, however quiet it is', async () => {
    const stream = new PassThrough();
    let opened: AbortSignal | undefined;
    let open = true;
    const stub = {
      listServices: () => never(),
      getEvents: (opts: { abortSignal: AbortSignal }) => {
        opened = opts.abortSignal;
        return open ? Promise.resolve(stream) : never();
      },
    };
    const port = new DockerodePort(stub as unknown as Dockerode, { timeoutMs: 1000 });
    const controller = new AbortController();
    const got: DockerEvent[] = [];
    const done = track(
      (async () => {
        for await (const e of port.events({ signal: controller.signal })) got.push(e);
      })(),
    );
    // An hour without events: the stream stays open.
    await advance(3_600_000);
    expect(opened?.aborted).toBe(false);
    const event: DockerEvent = { Type: 'service', Action: 'update', Actor: { ID: 'a' } };
    stream.write(JSON.stringify(event) + '\n');
    await advance(0);
    expect(got).toEqual([event]);
    controller.abort();
    await advance(0);
    expect(done.result()).toEqual({ ok: true, value: undefined });

    open = false;
    const stalled = track(
      (async () => {
        for await (const e of port.events({ signal: new AbortController().signal })) got.push(e);
      })(),
    );
    await advance(1000);
    expect(stalled.result()).toMatchObject({ ok: false, error: { name: 'DockerTimeoutError', operation: 'events' } });
    expect(opened?.aborted).toBe(true);
  });
});

describe('a reconcile round against a Docker call that never answers', () => {
  it('fails at the deadline, names the call, is reported to onRound, and the next round succeeds', async () => {
    const fake = new FakeDockerPort();
    fake.addNetwork({ Name: 'front' });
    const warnings: { message: string; meta?: Record<string, unknown> }[] = [];
    const logger: Logger = { debug: () => undefined, info: () => undefined, warn: (message, meta) => void warnings.push({ message, meta }), error: () => undefined };
    const rounds: RoundOutcome[] = [];
    const watcher = new SnapshotWatcher({ docker: timeoutDockerPort(fake, { timeoutMs: 5000 }), logger, resyncIntervalMs: 60_000, onRound: (r) => rounds.push(r) });
    let snapshots = 0;
    watcher.onSnapshot(() => void snapshots++);
    fake.hangNext('listTasks');
    watcher.start();
    await advance(4999);
    expect(rounds).toEqual([]);
    await advance(1);
    expect(rounds).toEqual([{ ok: false, durationMs: 5000, atMs: T0 + 5000, error: expect.any(DockerTimeoutError), operation: 'listTasks' }]);
    expect(watcher.stats()).toMatchObject({ errors: 1, consecutiveErrors: 1, lastErrorAtMs: T0 + 5000, lastError: 'listTasks: Docker API call listTasks did not answer within 5000 ms' });
    expect(warnings).toEqual([
      {
        message: 'reconcile round failed; retrying',
        meta: expect.objectContaining({ operation: 'listTasks', code: 'docker-timeout', error: 'Docker API call listTasks did not answer within 5000 ms', attempt: 1 }),
      },
    ]);
    expect(snapshots).toBe(0);

    // The retry (after the backoff) answers: the round succeeds and the snapshot goes out.
    await advance(1000);
    expect(rounds.map((r) => r.ok)).toEqual([false, true]);
    expect(snapshots).toBe(1);
    expect(watcher.stats()).toMatchObject({ errors: 1, consecutiveErrors: 0, reconciles: 1, lastError: 'listTasks: Docker API call listTasks did not answer within 5000 ms' });
    expect(fake.callCount('listTasks')).toBe(2);
    await watcher.stop();
  });

  it('timeoutDockerPort leaves the event stream alone', async () => {
    const fake = new FakeDockerPort();
    const port = timeoutDockerPort(fake, { timeoutMs: 100 });
    const controller = new AbortController();
    const got: DockerEvent[] = [];
    const done = track(
      (async () => {
        for await (const e of port.events({ signal: controller.signal })) got.push(e);
      })(),
    );
    await advance(10_000);
    fake.emitEvent('service', 'create', 'svc-1');
    await advance(0);
    expect(got.map((e) => e.Actor.ID)).toEqual(['svc-1']);
    controller.abort();
    await advance(0);
    expect(done.result()).toEqual({ ok: true, value: undefined });
  });
});

describe('DockerodePort over real dockerode, against an engine stand-in on a Unix socket', () => {
  let dir: string;
  let server: Server;
  let handle: (req: IncomingMessage, body: string, res: ServerResponse) => void;
  const open = new Set<ServerResponse>();

  beforeEach(async () => {
    jest.useRealTimers();
    dir = mkdtempSync(join(tmpdir(), 'switchyard-timeout-'));
    server = createServer((req, res) => {
      open.add(res);
      res.on('close', () => open.delete(res));
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => handle(req, body, res));
    });
    await new Promise<void>((resolve) => server.listen(join(dir, 'docker.sock'), resolve));
  });
  afterEach(async () => {
    for (const res of open) res.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  const port = (timeoutMs: number) => new DockerodePort(new Dockerode({ socketPath: join(dir, 'docker.sock') }), { timeoutMs });

  it('keeps the deadline signal out of the request (query and body) and passes answers through', async () => {
    const seen: { url?: string; body: string }[] = [];
    handle = (req, body, res) => {
      seen.push({ url: req.url, body });
      res.writeHead(req.url === '/services/create' ? 201 : 200, { 'content-type': 'application/json' }).end(JSON.stringify({ ID: 'new-id' }));
    };
    await expect(port(2000).createService({ Name: 'web' })).resolves.toBe('new-id');
    await port(2000).updateService('web', 7, { Name: 'web' });
    expect(seen).toEqual([
      { url: '/services/create', body: '{"Name":"web"}' },
      { url: '/services/web/update?version=7', body: '{"Name":"web"}' },
    ]);
  });

  it('gives up on an engine that takes the request and never answers, and closes the connection', async () => {
    let closed = false;
    handle = (_req, _body, res) => res.on('close', () => (closed = true));
    const started = Date.now();
    await expect(port(300).listServices()).rejects.toMatchObject({ name: 'DockerTimeoutError', operation: 'listServices' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(closed).toBe(true);
  });

  it('keeps an open event stream that stays quiet for several deadlines', async () => {
    let events: ServerResponse | undefined;
    handle = (_req, _body, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.flushHeaders();
      events = res;
    };
    const controller = new AbortController();
    const got: DockerEvent[] = [];
    const done = (async () => {
      for await (const e of port(100).events({ signal: controller.signal })) got.push(e);
    })();
    await new Promise((resolve) => setTimeout(resolve, 500));
    const event: DockerEvent = { Type: 'service', Action: 'update', Actor: { ID: 'a' } };
    events?.write(JSON.stringify(event) + '\n');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(got).toEqual([event]);
    controller.abort();
    await done;
  });
});
