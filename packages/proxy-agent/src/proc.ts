import { readdir, readFile } from 'node:fs/promises';
import { constants } from 'node:os';
import { join } from 'node:path';

/** One process as seen in `/proc`: its id, parent and command line (NULs turned into spaces). */
export interface ProcEntry {
  pid: number;
  ppid: number;
  cmdline: string;
}

/**
 * The direct children of `pid`, read from `<procRoot>/<n>/stat` and `cmdline`. Processes that vanish
 * while reading are skipped. Resolves `[]` when `/proc` cannot be read; never rejects.
 */
export async function childProcesses(pid: number, procRoot = '/proc'): Promise<ProcEntry[]> {
  let names: string[];
  try {
    names = await readdir(procRoot);
  } catch {
    return [];
  }
  const out: ProcEntry[] = [];
  await Promise.all(
    names
      .filter((n) => /^\d+$/.test(n))
      .map(async (n) => {
        try {
          const stat = await readFile(join(procRoot, n, 'stat'), 'utf8');
          // "pid (comm) state ppid ..."; comm may hold spaces and parentheses, so split after the last ')'.
          const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
          const ppid = Number(fields[1]);
          if (ppid !== pid) return;
          const cmdline = (await readFile(join(procRoot, n, 'cmdline'), 'utf8')).replace(/\0/g, ' ').trim();
          out.push({ pid: Number(n), ppid, cmdline });
        } catch {
          // gone meanwhile, or not readable
        }
      }),
  );
  return out.sort((a, b) => a.pid - b.pid);
}

/**
 * Whether process `pid` has a handler installed for `signal` (the `SigCgt` mask of
 * `<procRoot>/<pid>/status`). Sending a reload signal before the proxy installed its handler would
 * kill it (the default action of SIGHUP and SIGUSR2 is to terminate), and HAProxy's master re-executes
 * itself on every reload. Resolves `undefined` when it cannot tell.
 */
export async function catchesSignal(pid: number, signal: NodeJS.Signals, procRoot = '/proc'): Promise<boolean | undefined> {
  const signo = constants.signals[signal];
  if (!signo) return undefined;
  try {
    const status = await readFile(join(procRoot, String(pid), 'status'), 'utf8');
    const hex = /^SigCgt:\s*([0-9a-fA-F]+)$/m.exec(status)?.[1];
    if (!hex) return undefined;
    return ((BigInt(`0x${hex}`) >> BigInt(signo - 1)) & 1n) === 1n;
  } catch {
    return undefined;
  }
}
