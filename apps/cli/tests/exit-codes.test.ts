import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_CORE_ADDRESS, ExitCode, USAGE, coreAddress, splitTarget, type CliIo } from '../src/index.js';
import { run, startFakeCore } from './helpers.js';

/** A port on 127.0.0.1 where nothing listens (a server was there and is gone). */
async function closedPort(): Promise<number> {
  const core = await startFakeCore();
  const port = Number(core.address.split(':')[1]);
  await core.close();
  return port;
}

describe('core unreachable → 3', () => {
  it.each([['status'], ['explain', 'web.example.com'], ['render', '--proxy', 'nginx']])('%s names the address and how to publish core', async (...argv) => {
    const port = await closedPort();
    const { code, stdout, stderr } = await run([...argv, '--core', `127.0.0.1:${port}`]);
    expect(code).toBe(ExitCode.coreUnreachable);
    expect(stdout).toBe('');
    expect(stderr).toContain(`cannot reach switchyard core at 127.0.0.1:${port}`);
    expect(stderr).toContain('SWITCHYARD_CORE_PUBLISH');
    expect(stderr).toContain('--core HOST:PORT');
  });

  it('defaults to $SWITCHYARD_CORE, then 127.0.0.1:8080', () => {
    const io = (env: Record<string, string>): CliIo => ({ stdout: () => {}, stderr: () => {}, env, cwd: '/', now: () => 0 });
    expect(coreAddress(undefined, io({}))).toBe(DEFAULT_CORE_ADDRESS);
    expect(DEFAULT_CORE_ADDRESS).toBe('127.0.0.1:8080');
    expect(coreAddress(undefined, io({ SWITCHYARD_CORE: ' core.local:9090 ' }))).toBe('core.local:9090');
    expect(coreAddress('10.0.0.1:1234', io({ SWITCHYARD_CORE: 'core.local:9090' }))).toBe('10.0.0.1:1234');
    expect(coreAddress(undefined, io({ SWITCHYARD_CORE: '' }))).toBe(DEFAULT_CORE_ADDRESS);
  });

  describe('a server that accepts connections but never answers', () => {
    let silent: TcpServer;
    const sockets: Socket[] = [];
    let port = 0;
    beforeAll(async () => {
      silent = createTcpServer((s) => void sockets.push(s));
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      port = (silent.address() as { port: number }).port;
    });
    afterAll(async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    });

    it('gives up after --timeout', async () => {
      const started = Date.now();
      const { code, stderr } = await run(['status', '--core', `127.0.0.1:${port}`, '--timeout', '300']);
      expect(code).toBe(ExitCode.coreUnreachable);
      expect(stderr).toContain('(no answer within 300 ms)');
      expect(Date.now() - started).toBeLessThan(5000);
    });
  });
});

describe('usage errors → 2', () => {
  it.each([
    [[], /^Usage: switchyard <command>/m],
    [['frobnicate'], /unknown command "frobnicate"/],
    [['help', 'frobnicate'], /unknown command "frobnicate"/],
    [['status', '--bogus'], /Unknown option '--bogus'/],
    [['status', '--proxy', 'nginx'], /option --proxy does not apply to status/],
    [['status', 'extra'], /unexpected argument "extra"/],
    [['status', '--core', 'not an address'], /--core: "not an address" is not HOST:PORT/],
    [['status', '--timeout', 'soon'], /--timeout: expected milliseconds/],
    [['explain'], /missing <host>\[\/path\]/],
    [['explain', '/just/a/path'], /has no host name/],
    [['explain', 'a.example.com', 'b.example.com'], /unexpected argument "b\.example\.com"/],
    [['explain', 'a.example.com', '--core'], /argument missing/],
  ])('%j', async (argv, message) => {
    const { code, stderr, stdout } = await run(argv);
    expect(code).toBe(ExitCode.usage);
    expect(stdout).toBe('');
    expect(stderr).toMatch(message);
  });

  it('a bad $SWITCHYARD_CORE is a usage error too', async () => {
    const { code, stderr } = await run(['status'], { env: { SWITCHYARD_CORE: 'http://' } });
    expect(code).toBe(2);
    expect(stderr).toContain('$SWITCHYARD_CORE: "http://" is not HOST:PORT');
  });
});

describe('help and version → 0', () => {
  it.each([['--help'], ['-h'], ['help']])('%s prints the overview with the exit codes', async (flag) => {
    const { code, stdout } = await run([flag]);
    expect(code).toBe(0);
    expect(stdout).toBe(`${USAGE['']}\n`);
    expect(stdout).toContain('3  core unreachable');
  });

  it.each([['status'], ['explain'], ['render']])('%s --help documents its options and exit codes', async (command) => {
    const { code, stdout } = await run([command, '--help']);
    expect(code).toBe(0);
    expect(stdout).toContain(`Usage: switchyard ${command}`);
    expect(stdout).toContain('Exit codes:');
    expect((await run(['help', command])).stdout).toBe(stdout);
  });

  it('--version prints the package version', async () => {
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string };
    expect(await run(['--version'])).toEqual({ code: 0, stdout: `${pkg.version}\n`, stderr: '' });
  });
});

describe('splitTarget', () => {
  it.each([
    ['a.example.com', { host: 'a.example.com', path: '/' }],
    ['a.example.com/x/y', { host: 'a.example.com', path: '/x/y' }],
    ['a.example.com?q=1', { host: 'a.example.com', path: '/?q=1' }],
    ['https://a.example.com:8443/x', { host: 'a.example.com:8443', path: '/x' }],
  ])('%s', (target, expected) => expect(splitTarget(target)).toEqual(expected));
});
