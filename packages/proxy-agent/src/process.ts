import { spawn, type StdioOptions } from 'node:child_process';
import { constants } from 'node:os';

/** How the proxy process ended. `error` is set when it could not be started at all. */
export interface ProxyExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  error?: Error;
}

/** The running proxy, as the agent sees it. */
export interface ProxyChild {
  /** Its process id (undefined when it failed to start). */
  readonly pid: number | undefined;
  /** Sends a signal; false when it could not be delivered (the process is gone). Never throws. */
  kill(signal: NodeJS.Signals): boolean;
  /** Resolves once when the process has exited (or failed to start). Never rejects. */
  readonly exited: Promise<ProxyExit>;
}

/** Starts the proxy from an argv (the default is {@link spawnProxy}). */
export type SpawnProxy = (argv: readonly string[]) => ProxyChild;

/**
 * Starts `argv` as a child process. Its stdio is inherited by default, so the proxy's own logs go to
 * the container's log.
 */
export function spawnProxy(argv: readonly string[], options: { stdio?: StdioOptions } = {}): ProxyChild {
  const [file = '', ...args] = argv;
  const child = spawn(file, args, { stdio: options.stdio ?? 'inherit' });
  const exited = new Promise<ProxyExit>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    // 'error' also reports a failed kill(); only a process that never started ends here.
    child.on('error', (error) => {
      if (child.pid === undefined) resolve({ code: null, signal: null, error });
    });
  });
  return {
    get pid() {
      return child.pid;
    },
    kill(signal) {
      try {
        return child.exitCode === null && child.signalCode === null && child.kill(signal);
      } catch {
        return false;
      }
    },
    exited,
  };
}

/**
 * The exit code the agent ends with for a proxy exit: the proxy's own code, 128 + the signal number
 * when a signal killed it (as a shell reports it), 127 when the binary was not found, else 1.
 */
export function exitCodeOf(exit: ProxyExit): number {
  if (exit.code !== null) return exit.code;
  if (exit.signal) return 128 + (constants.signals[exit.signal] ?? 0);
  return (exit.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT' ? 127 : 1;
}
