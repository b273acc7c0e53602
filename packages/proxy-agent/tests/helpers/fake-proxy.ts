/** A fake proxy driver and child process for the agent's unit tests. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CommandReloadDriver, ProxyChild, ProxyDriverBase, ProxyExit, SignalReloadDriver } from '../../src/index.js';

/**
 * A driver whose check refuses any main file containing `INVALID`; it counts checks. It reloads by
 * SIGHUP, or by `reload` when given (a third-party proxy's reload command).
 */
export function fakeDriver(reload: CommandReloadDriver['reload']): CommandReloadDriver & { validations: string[] };
export function fakeDriver(): SignalReloadDriver & { validations: string[] };
export function fakeDriver(reload?: CommandReloadDriver['reload']): (SignalReloadDriver | CommandReloadDriver) & { validations: string[] } {
  const validations: string[] = [];
  const base: ProxyDriverBase & { validations: string[] } = {
    validations,
    kind: 'fake',
    mainFile: 'proxy.conf',
    layoutDirs: ['switchyard.d'],
    stopSignal: 'SIGQUIT',
    async validate(dir) {
      const text = readFileSync(join(dir, 'proxy.conf'), 'utf8');
      validations.push(text);
      return text.includes('INVALID') ? { ok: false, output: `fake: "INVALID" in ${join(dir, 'proxy.conf')}` } : { ok: true, output: '' };
    },
    command: (liveDir) => ['fake-proxy', '-c', join(liveDir, 'proxy.conf')],
    ready: async () => true,
    draining: async () => 0,
    workers: async () => [],
    switched: async () => true,
  };
  return reload ? { ...base, reload } : { ...base, reloadSignal: 'SIGHUP' };
}

/** A fake proxy process: records signals; exits on its stop signal (code 0) or on `exit()`. */
export class FakeChild implements ProxyChild {
  readonly pid = 4242;
  readonly signals: NodeJS.Signals[] = [];
  readonly exited: Promise<ProxyExit>;
  private done!: (exit: ProxyExit) => void;
  private alive = true;

  constructor(readonly argv: readonly string[], private readonly stopSignals: NodeJS.Signals[] = ['SIGQUIT', 'SIGTERM', 'SIGINT', 'SIGUSR1']) {
    this.exited = new Promise((resolve) => (this.done = resolve));
  }

  kill(signal: NodeJS.Signals): boolean {
    if (!this.alive) return false;
    this.signals.push(signal);
    if (this.stopSignals.includes(signal)) this.exit(0);
    return true;
  }

  exit(code: number | null, signal: NodeJS.Signals | null = null): void {
    if (!this.alive) return;
    this.alive = false;
    this.done({ code, signal });
  }

  get reloads(): number {
    return this.signals.filter((s) => s === 'SIGHUP').length;
  }
}
