import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { builtInCheckCommand } from '@switchyard/proto';
import { catchesSignal, childProcesses } from './proc.js';

/** What the proxy's own configuration check said. */
export interface ValidationResult {
  /** True when the check exited 0. */
  ok: boolean;
  /** When refused: the check's stdout and stderr, trimmed to about 2 KB. Empty when `ok`. */
  output: string;
}

/**
 * How the agent drives one kind of proxy. The live directory holds `mainFile` plus `switchyard.d/`
 * (the renderers' split layout), and the proxy always runs from it. A driver reloads the proxy in
 * exactly one way: by a signal ({@link SignalReloadDriver}) or by a command ({@link CommandReloadDriver});
 * the type admits no driver with both or neither.
 */
export type ProxyDriver = SignalReloadDriver | CommandReloadDriver;

/** A driver that reloads the proxy by sending it {@link SignalReloadDriver.reloadSignal} (nginx, HAProxy, `ProxyReloadSignal`). */
export interface SignalReloadDriver extends ProxyDriverBase {
  /** Sent to the proxy process to reload in place: SIGHUP (nginx) / SIGUSR2 (HAProxy master). */
  readonly reloadSignal: NodeJS.Signals;
  readonly reload?: never;
}

/** A driver that reloads the proxy by running a command (`ProxyReloadCommand`, e.g. Caddy's `caddy reload`). */
export interface CommandReloadDriver extends ProxyDriverBase {
  /**
   * Reloads the proxy running from `liveDir` by a command, for proxies that reload through an API
   * instead of a signal. A result that is not `ok` fails the apply.
   */
  reload(liveDir: string): Promise<ValidationResult>;
  readonly reloadSignal?: never;
}

/** What every {@link ProxyDriver} has, however it reloads. */
export interface ProxyDriverBase {
  /** `nginx`, `haproxy` or a third-party kind such as `caddy` (for logs). */
  readonly kind: string;
  /** The main file's name inside a configuration directory: `nginx.conf` / `haproxy.cfg`. */
  readonly mainFile: string;
  /** Directories every configuration directory has, even when empty (`switchyard.d`). */
  readonly layoutDirs: readonly string[];
  /** The proxy's graceful stop: SIGQUIT (nginx) / SIGUSR1 (HAProxy soft stop). */
  readonly stopSignal: NodeJS.Signals;
  /** Runs the proxy's own check on the files in `dir`. Never rejects: a failure to run is `ok: false`. */
  validate(dir: string): Promise<ValidationResult>;
  /** The argv that runs the proxy in the foreground from `liveDir`. */
  command(liveDir: string): string[];
  /**
   * True once the proxy process handles its reload signal (so a reload cannot kill it); the agent
   * waits for this before every reload. Resolves true when it cannot tell.
   */
  ready(childPid: number): Promise<boolean>;
  /** Best-effort count of old proxy generations still draining connections; 0 when it cannot tell. */
  draining(childPid: number): Promise<number>;
  /** PIDs of the proxy's workers that may accept new connections now; empty when it cannot tell. */
  workers(childPid: number): Promise<number[]>;
  /**
   * True once a reload has switched over: a worker not in `before` (from {@link workers} just
   * before the reload signal) runs, and no worker of `before` still accepts new connections.
   */
  switched(childPid: number, before: readonly number[]): Promise<boolean>;
}

/** Runs a command to completion: exit code (null when killed) and its combined output. */
export type CommandRunner = (argv: readonly string[], options: { timeoutMs: number }) => Promise<{ code: number | null; output: string }>;

/** Options shared by {@link nginxDriver} and {@link haproxyDriver}. */
export interface DriverOptions {
  /** The proxy binary (default `nginx` / `haproxy`, looked up on PATH). */
  binary?: string;
  /** Where `/proc` is (default `/proc`; tests point it elsewhere). */
  procRoot?: string;
  /** Limit for one configuration check (default 30 s; it is killed and counts as refused). */
  validateTimeoutMs?: number;
  /** Runs the check (default: `child_process.spawn`, output captured). */
  run?: CommandRunner;
}

/** Longest proxy output kept in a validation result (it travels to core in a report). */
export const MAX_OUTPUT_CHARS = 2048;

/** Trims proxy output to {@link MAX_OUTPUT_CHARS}, keeping the start (the first error is the cause). */
export function trimOutput(text: string): string {
  const t = text.trim();
  return t.length <= MAX_OUTPUT_CHARS ? t : `${t.slice(0, MAX_OUTPUT_CHARS - 15).trimEnd()} …(truncated)`;
}

/**
 * The default {@link CommandRunner}: spawn, stdout and stderr to a temporary file, SIGKILL at the
 * timeout. A file, not a pipe: Node's pipes are sockets, and nginx opens `/dev/stdout` itself when a
 * log path points there (the images link /var/log/nginx/*.log to it), which fails on a socket
 * (ENXIO). Never rejects.
 */
export const runCommand: CommandRunner = async ([file, ...args], { timeoutMs }) => {
  if (!file) return { code: null, output: 'empty command' };
  let dir: string;
  try {
    dir = await mkdtemp(join(tmpdir(), 'proxy-agent-check-'));
  } catch (err) {
    return { code: null, output: `cannot create a temporary file: ${(err as Error).message}` };
  }
  const path = join(dir, 'output');
  const fd = openSync(path, 'a');
  try {
    const { code, note } = await new Promise<{ code: number | null; note: string }>((resolve) => {
      const child = spawn(file, args, { stdio: ['ignore', fd, fd] });
      let note = '';
      const timer = setTimeout(() => {
        note = `\n${file}: killed after ${timeoutMs} ms`;
        child.kill('SIGKILL');
      }, timeoutMs);
      child.once('error', (err) => {
        clearTimeout(timer);
        resolve({ code: null, note: `${file}: ${err.message}` });
      });
      child.once('close', (c) => {
        clearTimeout(timer);
        resolve({ code: c, note });
      });
    });
    const output = await readFile(path, 'utf8').catch(() => '');
    return { code, output: `${output.slice(0, MAX_OUTPUT_CHARS * 4)}${note}` };
  } finally {
    closeSync(fd);
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }
};

function checker(argv: string[], options: DriverOptions, keep: (line: string) => boolean = () => true): Promise<ValidationResult> {
  const run = options.run ?? runCommand;
  return run(argv, { timeoutMs: options.validateTimeoutMs ?? 30_000 }).then(({ code, output }) => ({
    ok: code === 0,
    output: code === 0 ? '' : trimOutput(output.split('\n').filter(keep).join('\n')),
  }));
}

/** HAProxy's banner lines (`[NOTICE] … haproxy version is …`, `path to executable`) say nothing about the config. */
const haproxyWords = (line: string): boolean => !/^\[NOTICE\]\s+\(\d+\) : (haproxy version is|path to executable is)/.test(line);

async function readyFor(pid: number, signal: NodeJS.Signals, procRoot: string | undefined): Promise<boolean> {
  return (await catchesSignal(pid, signal, procRoot)) ?? true;
}

/**
 * The nginx driver. Check: `nginx -t -q -c <dir>/nginx.conf` (nginx resolves relative includes such
 * as `switchyard.d/*.conf` against the directory of `-c`). Runs `nginx -g 'daemon off;' -c
 * <live>/nginx.conf`; SIGHUP reloads gracefully (old workers finish their connections); draining
 * counts worker processes whose title says "shutting down".
 */
export function nginxDriver(options: DriverOptions = {}): SignalReloadDriver {
  const bin = options.binary ?? 'nginx';
  return {
    kind: 'nginx',
    mainFile: 'nginx.conf',
    layoutDirs: ['switchyard.d'],
    reloadSignal: 'SIGHUP',
    stopSignal: 'SIGQUIT',
    validate: (dir) => checker(builtInCheckCommand('nginx', join(dir, 'nginx.conf'), { binary: bin, quiet: true }), options),
    command: (liveDir) => [bin, '-g', 'daemon off;', '-c', join(liveDir, 'nginx.conf')],
    ready: (pid) => readyFor(pid, 'SIGHUP', options.procRoot),
    draining: async (pid) => (await childProcesses(pid, options.procRoot)).filter((p) => p.cmdline.includes('shutting down')).length,
    // Old workers say "shutting down" once they stopped accepting.
    workers: async (pid) => (await childProcesses(pid, options.procRoot)).filter((p) => !p.cmdline.includes('shutting down')).map((p) => p.pid),
    switched: async function (pid, before) {
      const serving = await this.workers(pid);
      return serving.some((p) => !before.includes(p)) && !serving.some((p) => before.includes(p));
    },
  };
}

/**
 * The HAProxy driver. Check: `haproxy -c -f <dir>/haproxy.cfg -f <dir>/switchyard.d` (the split
 * layout's extra `*.cfg`; `default-path config` makes map paths relative to haproxy.cfg). Not `-q`:
 * HAProxy 2.6 then prints no alerts either, and the alerts are what a REJECTED report carries (its
 * version banner lines are dropped). Runs
 * `haproxy -W -db -f <live>/haproxy.cfg -f <live>/switchyard.d` (master-worker); SIGUSR2 to the
 * master reloads seamlessly; draining counts the master's worker children beyond the newest one.
 */
export function haproxyDriver(options: DriverOptions = {}): SignalReloadDriver {
  const bin = options.binary ?? 'haproxy';
  const files = (dir: string): string[] => ['-f', join(dir, 'haproxy.cfg'), '-f', join(dir, 'switchyard.d')];
  return {
    kind: 'haproxy',
    mainFile: 'haproxy.cfg',
    layoutDirs: ['switchyard.d'],
    reloadSignal: 'SIGUSR2',
    stopSignal: 'SIGUSR1',
    validate: (dir) => checker(builtInCheckCommand('haproxy', join(dir, 'haproxy.cfg'), { binary: bin }), options, haproxyWords),
    command: (liveDir) => [bin, '-W', '-db', ...files(liveDir)],
    ready: (pid) => readyFor(pid, 'SIGUSR2', options.procRoot),
    draining: async (pid) => Math.max(0, (await childProcesses(pid, options.procRoot)).length - 1),
    workers: async (pid) => (await childProcesses(pid, options.procRoot)).map((p) => p.pid),
    // The new worker takes the listening sockets from the old one, which then only drains.
    switched: async function (pid, before) {
      return (await this.workers(pid)).some((p) => !before.includes(p));
    },
  };
}

/** How a third-party proxy reloads in place: a signal to the proxy process, or a command. */
export type ReloadMethod = { signal: NodeJS.Signals } | { command: readonly string[] };

/** Options of {@link commandDriver}: a proxy the agent knows only by its commands. */
export interface CommandDriverOptions extends Pick<DriverOptions, 'validateTimeoutMs' | 'run'> {
  /** The proxy kind, for logs (`caddy`). */
  kind: string;
  /**
   * The absolute path the commands name: where Docker mounts the main file (`ProxyConfigPath`). In
   * every argument it is replaced with the file being checked or served, and its base name is the
   * main file's name in each configuration directory.
   */
  configPath: string;
  /** Runs the proxy in the foreground (`ProxyArgs`), e.g. `caddy run --config /etc/caddy/caddy.json`. */
  start: readonly string[];
  /** The proxy's own check (`ProxyCheckCommand`); absent: every configuration is accepted as it is. */
  check?: readonly string[];
  /** `ProxyReloadSignal` or `ProxyReloadCommand`. */
  reload: ReloadMethod;
  /** The proxy's graceful stop (`ProxyStopSignal`). */
  stopSignal: NodeJS.Signals;
  /** Where `/proc` is (default `/proc`). */
  procRoot?: string;
}

/**
 * A driver for a proxy Switchyard has no built-in knowledge of, from the commands its extension's
 * `[Extensions.<name>]` section gives: run, check and reload. The path Docker mounts the config at
 * stands for the configuration in each command; the agent substitutes the candidate directory's file
 * for the check and the live file for run and reload. It cannot see the proxy's workers, so a reload
 * counts as switched once the signal is delivered or the command exits 0.
 */
export function commandDriver(options: CommandDriverOptions): ProxyDriver {
  const mainFile = basename(options.configPath);
  const at = (argv: readonly string[], dir: string): string[] => argv.map((a) => a.split(options.configPath).join(join(dir, mainFile)));
  const base: Omit<ProxyDriverBase, 'ready'> = {
    kind: options.kind,
    mainFile,
    layoutDirs: [],
    stopSignal: options.stopSignal,
    validate: async (dir) => (options.check ? checker(at(options.check, dir), options) : { ok: true, output: '' }),
    command: (liveDir) => at(options.start, liveDir),
    draining: async () => 0,
    workers: async () => [],
    switched: async () => true,
  };
  if ('command' in options.reload) {
    const reloadCommand = options.reload.command;
    return { ...base, reload: (liveDir) => checker(at(reloadCommand, liveDir), options), ready: async () => true };
  }
  const signal = options.reload.signal;
  return { ...base, reloadSignal: signal, ready: (pid) => readyFor(pid, signal, options.procRoot) };
}
