import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProxyKind, configChecksum } from '@switchyard/proto';
import type { ExtensionLogger } from '@switchyard/extension-sdk';
import { FakeCore, until } from '@switchyard/extension-sdk/testing';
import { CADDY_FILE, USAGE, cliMain, parseCliArgs, run, type CaddyConfig } from '../src/index.js';
import { host, model, route, upstream } from '../../../tools/testing/model.js';

/** What core passes an extension service it deploys (`extensionServiceSpec`), after Interlock's `Args = [""]`. */
const coreArgs = ['', '--core', 'switchyard-core:8080', '--proxy', 'caddy', '--cluster', 'east', '--name', 'caddy-east'];
const proxyOptions = JSON.stringify({ config: {}, httpPort: 8080, httpsPort: 8443, publishedHttpsPort: 443 });

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'caddy-cli-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A file with the shape of a credentials bundle core issues (certificate, key, CA); the contents are not checked here. */
function fakeBundle(name: string): string {
  const block = (type: string, body: string) => `-----BEGIN ${type}-----\n${body}\n-----END ${type}-----\n`;
  const file = join(dir, name);
  writeFileSync(file, block('CERTIFICATE', 'Y2VydA==') + block('PRIVATE KEY', 'a2V5') + block('CERTIFICATE', 'Y2E='));
  return file;
}

describe('parseCliArgs', () => {
  it('reads what core passes, with the HTTP port from SWITCHYARD_PROXY_OPTIONS', () => {
    expect(parseCliArgs(coreArgs, { SWITCHYARD_PROXY_OPTIONS: proxyOptions })).toEqual({ options: { core: 'switchyard-core:8080', cluster: 'east', name: 'caddy-east', httpPort: 8080 } });
  });

  it('defaults: the default cluster, the name caddy, port 80', () => {
    expect(parseCliArgs(['--core', 'c:1'])).toEqual({ options: { core: 'c:1', cluster: '', name: 'caddy', httpPort: 80 } });
    expect(parseCliArgs(['--core', 'c:1'], { SWITCHYARD_PROXY_OPTIONS: '{"config":{}}' })).toEqual({ options: { core: 'c:1', cluster: '', name: 'caddy', httpPort: 80 } });
  });

  it('--http-port wins over SWITCHYARD_PROXY_OPTIONS', () => {
    expect(parseCliArgs([...coreArgs, '--http-port', '9090'], { SWITCHYARD_PROXY_OPTIONS: proxyOptions })).toMatchObject({ options: { httpPort: 9090 } });
  });

  it('refuses a --proxy other than caddy, naming what to set', () => {
    const parsed = parseCliArgs(['--core', 'c:1', '--proxy', 'nginx']);
    expect(parsed).toEqual({ error: expect.stringContaining('--proxy "nginx"'), usage: true });
    expect(parsed).toEqual({ error: expect.stringContaining('ProxyKind = "caddy"'), usage: true });
  });

  it.each([
    [[], '--core HOST:PORT is required'],
    [['--core', 'c:1', '--bogus'], "Unknown option '--bogus'"],
    [['--core', 'c:1', 'stray'], "Unexpected argument 'stray'"],
    [['--core'], "Option '--core <value>' argument missing"],
    [['--core', 'c:1', '--http-port', '0'], '--http-port must be an integer 1-65535, got "0"'],
    [['--core', 'c:1', '--http-port', '80x'], '--http-port must be an integer 1-65535, got "80x"'],
    [['--core', 'c:1', '--name', ''], '--name must not be empty'],
  ])('returns a usage error for %j', (argv, message) => {
    expect(parseCliArgs(argv)).toEqual({ error: expect.stringContaining(message), usage: true });
  });

  it.each([
    ['{not json', 'SWITCHYARD_PROXY_OPTIONS is not valid JSON'],
    ['[]', 'SWITCHYARD_PROXY_OPTIONS must be a JSON object'],
    ['{"httpPort":"80"}', 'SWITCHYARD_PROXY_OPTIONS.httpPort must be an integer 1-65535, got "80"'],
  ])('returns an error (without usage) for SWITCHYARD_PROXY_OPTIONS %s', (json, message) => {
    expect(parseCliArgs(['--core', 'c:1'], { SWITCHYARD_PROXY_OPTIONS: json })).toEqual({ error: expect.stringContaining(message), usage: false });
  });

  it('loads credentials from --credentials, else from SWITCHYARD_TLS_BUNDLE', () => {
    const flag = parseCliArgs(['--core', 'c:1', '--credentials', fakeBundle('flag.pem')], { SWITCHYARD_TLS_BUNDLE: join(dir, 'absent.pem') });
    expect(flag).toMatchObject({ options: { credentials: { cert: expect.stringContaining('Y2VydA=='), key: expect.stringContaining('a2V5'), ca: expect.stringContaining('Y2E=') } } });
    const env = parseCliArgs(['--core', 'c:1'], { SWITCHYARD_TLS_BUNDLE: fakeBundle('env.pem') });
    expect(env).toMatchObject({ options: { credentials: { ca: expect.stringContaining('Y2E=') } } });
    expect(parseCliArgs(['--core', 'c:1'], { SWITCHYARD_TLS_BUNDLE: join(dir, 'absent.pem') })).toEqual({ error: expect.stringMatching(/^cannot load the control-plane credentials: cannot read .*absent\.pem/), usage: false });
  });

  it('--help', () => {
    expect(parseCliArgs(['--help'])).toEqual({ help: true });
  });
});

function captureIo(signal: AbortSignal) {
  const out: string[] = [];
  const err: string[] = [];
  const lines: { level: string; message: string; meta: Record<string, unknown> }[] = [];
  const push = (level: string) => (message: string, meta: Record<string, unknown> = {}) => void lines.push({ level, message, meta });
  const logger: ExtensionLogger = { info: push('info'), warn: push('warn'), error: push('error') };
  return { out, err, lines, io: { out: (t: string) => void out.push(t), err: (t: string) => void err.push(t), signal, logger } };
}

describe('cliMain', () => {
  it('prints the usage for --help and exits 0', async () => {
    const c = captureIo(new AbortController().signal);
    await expect(cliMain(['--help'], {}, c.io)).resolves.toBe(0);
    expect(c.out).toEqual([USAGE]);
  });

  it('exits 2 with the message and the usage for --proxy nginx, without connecting', async () => {
    const c = captureIo(new AbortController().signal);
    await expect(cliMain(['--core', '127.0.0.1:1', '--proxy', 'nginx'], {}, c.io)).resolves.toBe(2);
    expect(c.err).toHaveLength(1);
    expect(c.err[0]).toContain('renders Caddy configuration only');
    expect(c.err[0]?.endsWith(USAGE)).toBe(true);
    expect(c.lines).toEqual([]);
  });

  it('exits 2 without the usage for unreadable credentials', async () => {
    const c = captureIo(new AbortController().signal);
    await expect(cliMain(['--core', '127.0.0.1:1'], { SWITCHYARD_TLS_BUNDLE: join(dir, 'absent.pem') }, c.io)).resolves.toBe(2);
    expect(c.err[0]).not.toContain('usage:');
  });
});

describe('against a loopback fake core', () => {
  const east = model({
    version: 4,
    serviceCluster: 'east',
    hosts: [host('app.test', [route('/', 'web')]), host('empty.test', [route('/', 'zero')])],
    upstreams: [upstream('web', [['10.0.0.2', 8080]]), upstream('zero', [])],
  });
  let core: FakeCore;
  let controller: AbortController;

  beforeEach(() => {
    core = new FakeCore();
    core.setModel(east);
    controller = new AbortController();
  });
  afterEach(async () => {
    controller.abort();
    await core.server?.forceShutdown();
  });

  it('run() registers as PROXY_KIND_OTHER and submits caddy.json rendered with its port and admin address', async () => {
    const port = await core.listen();
    const logger = captureIo(controller.signal);
    const running = run({ core: `127.0.0.1:${port}`, cluster: 'east', name: 'caddy-east', httpPort: 8080, adminAddress: '127.0.0.1:2999', logger: logger.io.logger, backoff: { initialMs: 20, maxMs: 200 } }, controller.signal);
    await until(() => core.submissions.length === 1, 'a submission');
    expect(core.registrations).toEqual([{ name: 'caddy-east', serviceCluster: 'east', proxyKind: ProxyKind.PROXY_KIND_OTHER, version: '0.1.0' }]);
    const [submission] = core.submissions;
    expect(submission).toMatchObject({ extensionId: 'ext-1', modelVersion: 4 });
    expect(submission!.files.map((f) => f.path)).toEqual([CADDY_FILE]);
    expect(submission!.checksum).toBe(configChecksum(submission!.files));
    const config = JSON.parse(submission!.files[0]!.content) as CaddyConfig;
    expect(config.admin.listen).toBe('127.0.0.1:2999');
    expect(config.apps.http.servers['switchyard']?.listen).toEqual([':8080']);
    await until(() => logger.lines.some((l) => l.message === 'config accepted'), 'the accepted log line');
    // The renderer's diagnostics are logged as warnings by the SDK.
    expect(logger.lines).toContainEqual(expect.objectContaining({ level: 'warn', meta: expect.objectContaining({ code: 'empty-upstream', service: 'zero' }) }));
    controller.abort();
    await running;
  });

  it('run() rejects bad render options before connecting', async () => {
    await expect(run({ core: '127.0.0.1:1', cluster: '', httpPort: 0 }, controller.signal)).rejects.toThrow(/httpPort/);
  });

  it('cliMain runs with what core passes until the signal aborts, then exits 0', async () => {
    const port = await core.listen();
    const c = captureIo(controller.signal);
    const args = coreArgs.map((a) => (a === 'switchyard-core:8080' ? `127.0.0.1:${port}` : a));
    const exit = cliMain(args, { SWITCHYARD_PROXY_OPTIONS: proxyOptions }, c.io);
    await until(() => core.submissions.length === 1, 'a submission');
    expect(core.registrations[0]).toMatchObject({ name: 'caddy-east', serviceCluster: 'east', proxyKind: ProxyKind.PROXY_KIND_OTHER });
    controller.abort();
    await expect(exit).resolves.toBe(0);
    expect(c.lines.map((l) => l.message)).toEqual(expect.arrayContaining(['starting', 'registered with core', 'stopped']));
    expect(c.lines[0]).toMatchObject({ level: 'warn', message: expect.stringContaining('no control-plane credentials') });
    expect(c.lines.find((l) => l.message === 'starting')?.meta).toEqual({ core: `127.0.0.1:${port}`, serviceCluster: 'east', name: 'caddy-east', httpPort: 8080 });
  });
});
