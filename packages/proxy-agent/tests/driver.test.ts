import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backoffDelay } from '@switchyard/duration';
import { runCommand, DEFAULT_RECONNECT_BACKOFF, MAX_OUTPUT_CHARS, catchesSignal, childProcesses, commandDriver, exitCodeOf, haproxyDriver, nginxDriver, trimOutput, type CommandRunner, type ProxyDriver, type ReloadMethod } from '../src/index.js';

const recorder = (code: number, output = ''): { run: CommandRunner; calls: (readonly string[])[] } => {
  const calls: (readonly string[])[] = [];
  return { calls, run: async (argv) => (calls.push(argv), { code, output }) };
};

describe('drivers', () => {
  it('nginx: check, command and signals', async () => {
    const { run, calls } = recorder(1, '  nginx: [emerg] unknown directive "bogus"\n');
    const d = nginxDriver({ binary: '/usr/sbin/nginx', run });
    expect(await d.validate('/x/gen-2')).toEqual({ ok: false, output: 'nginx: [emerg] unknown directive "bogus"' });
    expect(calls).toEqual([['/usr/sbin/nginx', '-t', '-q', '-c', '/x/gen-2/nginx.conf']]);
    expect(d.command('/run/switchyard/live')).toEqual(['/usr/sbin/nginx', '-g', 'daemon off;', '-c', '/run/switchyard/live/nginx.conf']);
    expect([d.mainFile, d.reloadSignal, d.stopSignal]).toEqual(['nginx.conf', 'SIGHUP', 'SIGQUIT']);
  });

  it('haproxy: check, command and signals', async () => {
    const { run, calls } = recorder(0);
    const d = haproxyDriver({ run });
    expect(await d.validate('/x/gen-2')).toEqual({ ok: true, output: '' });
    expect(calls).toEqual([['haproxy', '-c', '-f', '/x/gen-2/haproxy.cfg', '-f', '/x/gen-2/switchyard.d']]);
    expect(d.command('/live')).toEqual(['haproxy', '-W', '-db', '-f', '/live/haproxy.cfg', '-f', '/live/switchyard.d']);
    expect([d.mainFile, d.reloadSignal, d.stopSignal]).toEqual(['haproxy.cfg', 'SIGUSR2', 'SIGUSR1']);
  });

  it('a command driver substitutes the mounted path in run, check and reload, and reloads by command', async () => {
    const { run, calls } = recorder(0);
    const d = commandDriver({
      kind: 'caddy',
      configPath: '/etc/caddy/caddy.json',
      start: ['caddy', 'run', '--config', '/etc/caddy/caddy.json'],
      check: ['caddy', 'validate', '--config=/etc/caddy/caddy.json'],
      reload: { command: ['caddy', 'reload', '--config', '/etc/caddy/caddy.json', '--force'] },
      stopSignal: 'SIGTERM',
      run,
    });
    expect([d.kind, d.mainFile, d.layoutDirs, d.stopSignal]).toEqual(['caddy', 'caddy.json', [], 'SIGTERM']);
    expect(d.command('/run/switchyard/live')).toEqual(['caddy', 'run', '--config', '/run/switchyard/live/caddy.json']);
    expect(await d.validate('/run/switchyard/gen-3')).toEqual({ ok: true, output: '' });
    expect(d.reloadSignal).toBeUndefined();
    expect(await d.reload?.('/run/switchyard/live')).toEqual({ ok: true, output: '' });
    expect(calls).toEqual([
      ['caddy', 'validate', '--config=/run/switchyard/gen-3/caddy.json'],
      ['caddy', 'reload', '--config', '/run/switchyard/live/caddy.json', '--force'],
    ]);
    expect(await d.ready(1)).toBe(true);
    expect(await d.switched(1, [])).toBe(true);
  });

  it('a command driver without a check accepts every configuration; a failed reload command carries its output', async () => {
    const { run, calls } = recorder(1, 'Error: sending configuration to instance: connection refused\n');
    const d = commandDriver({ kind: 'other', configPath: '/etc/p.conf', start: ['p', '/etc/p.conf'], reload: { command: ['p', '-r', '/etc/p.conf'] }, stopSignal: 'SIGTERM', run });
    expect(await d.validate('/x')).toEqual({ ok: true, output: '' });
    expect(await d.reload?.('/live')).toEqual({ ok: false, output: 'Error: sending configuration to instance: connection refused' });
    expect(calls).toEqual([['p', '-r', '/live/p.conf']]);
    const bySignal = commandDriver({ kind: 'other', configPath: '/etc/p.conf', start: ['p'], reload: { signal: 'SIGUSR1' }, stopSignal: 'SIGTERM', run });
    expect(bySignal.reload).toBeUndefined();
    expect(bySignal.reloadSignal).toBe('SIGUSR1');
  });

  it('a driver reloads by a signal or by a command, never both or neither (the type says so)', () => {
    const { reloadSignal: _signal, ...base } = nginxDriver();
    const reload = async () => ({ ok: true, output: '' });
    // @ts-expect-error -- a reload command and a reload signal
    const both: ProxyDriver = { ...base, reloadSignal: 'SIGHUP', reload };
    // @ts-expect-error -- no way to reload
    const neither: ProxyDriver = { ...base };
    const byCommand: ProxyDriver = { ...base, reload };
    expect([both.reloadSignal, neither.reloadSignal, byCommand.reloadSignal]).toEqual(['SIGHUP', undefined, undefined]);
  });

  it('haproxy: a refusal keeps the alerts and drops the version banner', async () => {
    const out = '[NOTICE]   (7) : haproxy version is 2.6.12\n[NOTICE]   (7) : path to executable is /usr/sbin/haproxy\n[ALERT]    (7) : config : parsing [x.cfg:2] : unknown keyword \'bogus\'\n';
    expect(await haproxyDriver({ run: recorder(1, out).run }).validate('/x')).toEqual({ ok: false, output: "[ALERT]    (7) : config : parsing [x.cfg:2] : unknown keyword 'bogus'" });
    expect(await haproxyDriver({ run: recorder(0, 'Configuration file is valid').run }).validate('/x')).toEqual({ ok: true, output: '' });
  });

  it('a check that cannot run is a refusal with the reason', async () => {
    const d = nginxDriver({ binary: '/nonexistent/nginx' });
    const res = await d.validate('/tmp');
    expect(res.ok).toBe(false);
    expect(res.output).toMatch(/ENOENT/);
  });

  it('the default runner captures output through a file, so nginx can open /dev/stdout itself (append, as nginx opens logs)', async () => {
    const res = await runCommand(['sh', '-c', 'echo out; echo err >&2; echo direct >>/dev/stdout; exit 3'], { timeoutMs: 5000 });
    expect(res).toEqual({ code: 3, output: 'out\nerr\ndirect\n' });
    const slow = await runCommand(['sleep', '5'], { timeoutMs: 100 });
    expect(slow.code).toBeNull();
    expect(slow.output).toMatch(/killed after 100 ms/);
  });

  it('trims long output to about 2 KB', () => {
    const t = trimOutput('x'.repeat(10_000));
    expect(t.length).toBeLessThanOrEqual(MAX_OUTPUT_CHARS);
    expect(t).toMatch(/…\(truncated\)$/);
  });

  describe('draining from /proc', () => {
    let proc: string;
    const fakeProc = (pid: number, ppid: number, cmdline: string, sigCgt = '0000000000000000'): void => {
      mkdirSync(join(proc, String(pid)), { recursive: true });
      writeFileSync(join(proc, String(pid), 'stat'), `${pid} (some (odd) name) S ${ppid} 1 1 0`);
      writeFileSync(join(proc, String(pid), 'cmdline'), cmdline.split(' ').join('\0'));
      writeFileSync(join(proc, String(pid), 'status'), `Name:\tx\nSigCgt:\t${sigCgt}\n`);
    };
    beforeEach(() => {
      proc = mkdtempSync(join(tmpdir(), 'proxy-agent-proc-'));
    });
    afterEach(() => rmSync(proc, { recursive: true, force: true }));

    it('nginx counts workers that are shutting down', async () => {
      fakeProc(10, 1, 'nginx: master process nginx');
      fakeProc(11, 10, 'nginx: worker process');
      fakeProc(12, 10, 'nginx: worker process is shutting down');
      fakeProc(13, 10, 'nginx: worker process is shutting down');
      fakeProc(14, 99, 'nginx: worker process is shutting down');
      expect(await nginxDriver({ procRoot: proc }).draining(10)).toBe(2);
      expect((await childProcesses(10, proc)).map((p) => p.pid)).toEqual([11, 12, 13]);
    });

    it('haproxy counts worker children beyond the newest', async () => {
      fakeProc(20, 1, 'haproxy -W -db');
      expect(await haproxyDriver({ procRoot: proc }).draining(20)).toBe(0);
      fakeProc(21, 20, 'haproxy -W -db');
      fakeProc(22, 20, 'haproxy -W -db');
      expect(await haproxyDriver({ procRoot: proc }).draining(20)).toBe(2 - 1);
    });

    it('0 when /proc cannot be read', async () => {
      expect(await nginxDriver({ procRoot: join(proc, 'missing') }).draining(1)).toBe(0);
    });

    it('ready reads the SigCgt mask (SIGHUP = bit 0, SIGUSR2 = bit 11) and says true when it cannot tell', async () => {
      fakeProc(30, 1, 'nginx', '0000000000000001');
      fakeProc(31, 1, 'haproxy', '0000000000000001');
      fakeProc(32, 1, 'haproxy', '0000000000000800');
      expect(await catchesSignal(30, 'SIGHUP', proc)).toBe(true);
      expect(await nginxDriver({ procRoot: proc }).ready(30)).toBe(true);
      expect(await haproxyDriver({ procRoot: proc }).ready(31)).toBe(false);
      expect(await haproxyDriver({ procRoot: proc }).ready(32)).toBe(true);
      expect(await catchesSignal(99, 'SIGHUP', proc)).toBeUndefined();
      expect(await nginxDriver({ procRoot: proc }).ready(99)).toBe(true);
      // A third-party proxy waits for its own reload signal; one reloaded by a command never waits.
      const third = (reload: ReloadMethod) => commandDriver({ kind: 'other', configPath: '/etc/p.conf', start: ['p'], reload, stopSignal: 'SIGTERM', procRoot: proc });
      expect(await third({ signal: 'SIGUSR2' }).ready(31)).toBe(false);
      expect(await third({ signal: 'SIGUSR2' }).ready(32)).toBe(true);
      expect(await third({ command: ['p', '-r'] }).ready(31)).toBe(true);
    });

    it('the real /proc: this process catches nothing it did not ask for', async () => {
      expect(await catchesSignal(process.pid, 'SIGUSR2')).toBe(false);
    });
  });
});

describe('DEFAULT_RECONNECT_BACKOFF', () => {
  it('is jittered (equal jitter) and capped at 10 s', () => {
    expect(DEFAULT_RECONNECT_BACKOFF).toEqual({ initialMs: 250, maxMs: 10_000, jitter: 'equal' });
    expect(backoffDelay(1, DEFAULT_RECONNECT_BACKOFF, () => 0)).toBe(125);
    expect(backoffDelay(1e9, DEFAULT_RECONNECT_BACKOFF)).toBeLessThanOrEqual(DEFAULT_RECONNECT_BACKOFF.maxMs);
  });
});

describe('exitCodeOf', () => {
  it('maps codes, signals and start failures', () => {
    expect(exitCodeOf({ code: 0, signal: null })).toBe(0);
    expect(exitCodeOf({ code: 2, signal: null })).toBe(2);
    expect(exitCodeOf({ code: null, signal: 'SIGTERM' })).toBe(143);
    expect(exitCodeOf({ code: null, signal: null, error: Object.assign(new Error('spawn x ENOENT'), { code: 'ENOENT' }) })).toBe(127);
    expect(exitCodeOf({ code: null, signal: null, error: new Error('other') })).toBe(1);
  });
});
