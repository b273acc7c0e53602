import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProxyKind, configChecksum } from '@switchyard/proto';
import type { Submission } from '@switchyard/extension-sdk';
import { FakeCore, captureLogger, until } from '@switchyard/extension-sdk/testing';
import { freePort } from '../../../tools/testing/free-port.js';
import { parseCliArgs, run, type RouteTable } from '../src/index.js';

function readTable(file: string): RouteTable | undefined {
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as RouteTable;
}


describe('run() against a loopback fake core', () => {
  let dir: string;
  let core: FakeCore;
  let controller: AbortController;
  let running: Promise<void> | undefined;
  const fast = { initialMs: 20, maxMs: 200 };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'json-routes-'));
    core = new FakeCore();
    controller = new AbortController();
    running = undefined;
  });

  afterEach(async () => {
    controller.abort();
    await running;
    await core.server?.forceShutdown();
    rmSync(dir, { recursive: true, force: true });
  });

  it('registers as PROXY_KIND_OTHER, writes the table and submits routes.json with a valid checksum for every model', async () => {
    const port = await core.listen();
    const out = join(dir, 'sub', 'routes.json');
    const logger = captureLogger();
    const submitted: Submission[] = [];
    const v1 = core.publish('json', ['10.0.0.2:8080']);
    running = run({ core: `127.0.0.1:${port}`, cluster: 'json', out, name: 'json-test', logger, backoff: fast, onSubmitted: (s) => submitted.push(s) }, controller.signal);

    await until(() => submitted.length === 1, 'first submission');
    expect(core.registrations).toEqual([{ name: 'json-test', serviceCluster: 'json', proxyKind: ProxyKind.PROXY_KIND_OTHER, version: '0.1.0' }]);
    const [first] = core.submissions;
    expect(first).toMatchObject({ extensionId: 'ext-1', modelVersion: v1, accepted: true });
    expect(first!.files.map((f) => f.path)).toEqual(['routes.json']);
    expect(first!.checksum).toBe(configChecksum(first!.files));
    expect(readTable(out)).toEqual({ modelVersion: v1, hosts: [{ host: 'json.test', routes: [{ path: '/', upstream: 'app', endpoints: ['10.0.0.2:8080'] }] }] });
    expect(readFileSync(out, 'utf8')).toBe(first!.files[0]!.content);
    expect(logger.lines).toContainEqual(expect.objectContaining({ message: 'config accepted', meta: expect.objectContaining({ modelVersion: v1 }) }));

    const v2 = core.publish('json', ['10.0.0.3:8080']);
    await until(() => submitted.length === 2, 'second submission');
    expect(submitted[1]).toMatchObject({ modelVersion: v2, accepted: true });
    expect(readTable(out)?.hosts[0]?.routes[0]?.endpoints).toEqual(['10.0.0.3:8080']);
    expect(core.registrations).toHaveLength(1);
    expect(readTable(out)?.modelVersion).toBe(v2);
  });

  it('follows only its own cluster', async () => {
    const port = await core.listen();
    const out = join(dir, 'routes.json');
    const submitted: Submission[] = [];
    core.publish('other', ['10.9.9.9:80']);
    running = run({ core: `127.0.0.1:${port}`, cluster: 'json', out, logger: captureLogger(), backoff: fast, onSubmitted: (s) => submitted.push(s) }, controller.signal);
    await until(() => core.registrations.length === 1, 'registration');
    const v = core.publish('json', ['10.0.0.7:8080']);
    await until(() => submitted.length === 1, 'submission');
    expect(submitted).toEqual([expect.objectContaining({ modelVersion: v })]);
    expect(readTable(out)?.hosts.map((h) => h.host)).toEqual(['json.test']);
  });

  it('registers again when core no longer knows its id, then resubmits', async () => {
    const port = await core.listen();
    const logger = captureLogger();
    core.publish('json', ['10.0.0.2:8080']);
    running = run({ core: `127.0.0.1:${port}`, cluster: 'json', out: join(dir, 'r.json'), logger, backoff: fast }, controller.signal);
    await until(() => core.submissions.length === 1, 'first submission');
    core.forget();
    const v2 = core.publish('json', ['10.0.0.4:8080']);
    const ok = await until(() => core.submissions.find((s) => s.accepted && s.modelVersion === v2), 'accepted resubmission');
    expect(core.submissions.filter((s) => s.modelVersion === v2).map((s) => [s.extensionId, s.accepted])).toEqual([
      ['ext-1', false],
      ['ext-2', true],
    ]);
    expect(ok.extensionId).toBe('ext-2');
    expect(core.registrations).toHaveLength(2);
    expect(logger.lines.some((l) => l.level === 'warn' && l.message.includes('registering again'))).toBe(true);
  });

  it('logs a stale rejection and keeps following the stream', async () => {
    const port = await core.listen();
    const logger = captureLogger();
    core.staleNext = true;
    core.publish('json', ['10.0.0.2:8080']);
    running = run({ core: `127.0.0.1:${port}`, cluster: 'json', out: join(dir, 'r.json'), logger, backoff: fast }, controller.signal);
    await until(() => core.submissions.length === 1, 'first submission');
    expect(core.submissions[0]?.accepted).toBe(false);
    const v2 = core.publish('json', ['10.0.0.5:8080']);
    await until(() => core.submissions.find((s) => s.accepted && s.modelVersion === v2), 'accepted submission of the newer model');
    expect(core.registrations).toHaveLength(1);
    expect(logger.lines).toContainEqual(expect.objectContaining({ message: 'config superseded by a newer model' }));
  });

  it('reconnects and registers again when the model stream breaks', async () => {
    const port = await core.listen();
    const logger = captureLogger();
    const v1 = core.publish('json', ['10.0.0.2:8080']);
    running = run({ core: `127.0.0.1:${port}`, cluster: 'json', out: join(dir, 'r.json'), logger, backoff: fast }, controller.signal);
    await until(() => core.submissions.length === 1, 'first submission');
    core.breakStreams();
    await until(() => core.registrations.length === 2 && core.submissions.length === 2, 'registration and submission after reconnecting');
    expect(core.submissions[1]).toMatchObject({ extensionId: 'ext-2', modelVersion: v1, accepted: true });
    expect(logger.lines).toContainEqual(expect.objectContaining({ level: 'warn', message: 'disconnected from core; reconnecting' }));
  });

  it('keeps retrying while core is unreachable and connects once it comes up', async () => {
    const port = await freePort();
    const logger = captureLogger();
    const out = join(dir, 'r.json');
    running = run({ core: `127.0.0.1:${port}`, cluster: 'json', out, logger, backoff: fast }, controller.signal);
    await until(() => logger.lines.filter((l) => l.message === 'disconnected from core; reconnecting').length >= 2, 'two failed attempts');
    expect(existsSync(out)).toBe(false);
    const v = core.publish('json', ['10.0.0.8:8080']);
    await core.listen(`127.0.0.1:${port}`);
    await until(() => core.submissions.find((s) => s.accepted), 'a submission after core came up', 10_000);
    expect(readTable(out)?.modelVersion).toBe(v);
  });

  it('resolves promptly when the signal aborts', async () => {
    const port = await core.listen();
    running = run({ core: `127.0.0.1:${port}`, cluster: 'json', out: join(dir, 'r.json'), logger: captureLogger(), backoff: fast }, controller.signal);
    await until(() => core.registrations.length === 1, 'registration');
    const started = Date.now();
    controller.abort();
    await running;
    expect(Date.now() - started).toBeLessThan(1000);
  });
});

describe('parseCliArgs', () => {
  it('reads the options, defaulting the cluster to the default one', () => {
    expect(parseCliArgs(['--core', '127.0.0.1:9', '--out', 'r.json'])).toEqual({ options: { core: '127.0.0.1:9', out: 'r.json', cluster: '' } });
    expect(parseCliArgs(['--core', 'c:1', '--out', 'o', '--cluster', 'json', '--name', 'mine'])).toEqual({
      options: { core: 'c:1', out: 'o', cluster: 'json', name: 'mine' },
    });
    expect(parseCliArgs(['--help'])).toEqual({ help: true });
  });

  it('returns an error for missing or unknown arguments instead of throwing', () => {
    expect(parseCliArgs(['--out', 'o'])).toEqual({ error: '--core HOST:PORT is required' });
    expect(parseCliArgs(['--core', 'c:1'])).toEqual({ error: '--out FILE is required' });
    expect(parseCliArgs(['--core', 'c:1', '--out', 'o', '--bogus'])).toEqual({ error: expect.stringContaining('--bogus') });
  });
});
