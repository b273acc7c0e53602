import { backoffDelay, type BackoffOptions } from '@switchyard/duration';
import {
  ApplyResult,
  configChecksum,
  type ProxyConfigBundle,
  type ProxyReplica,
  type ReportProxyConfigRequest,
  type WatchProxyConfigRequest,
  type WatchProxyConfigResponse,
} from '@switchyard/proto';
import { trimOutput, type ProxyDriver } from './driver.js';
import { silentLogger, type AgentLogger } from './logger.js';
import { exitCodeOf, spawnProxy, type ProxyChild, type SpawnProxy } from './process.js';
import { LiveConfigStore, type Generation } from './store.js';

/** Default reconnect backoff of the agent: 250 ms doubling to 10 s, the upper half of each delay random. */
export const DEFAULT_RECONNECT_BACKOFF: Readonly<BackoffOptions> = Object.freeze({ initialMs: 250, maxMs: 10_000, jitter: 'equal' });

/**
 * The two calls the agent makes to core (nice-grpc's `ExtensionServiceClient` fits). A fake core in
 * tests implements just these.
 */
export interface ProxyConfigClient {
  watchProxyConfig(request: WatchProxyConfigRequest, options: { signal: AbortSignal }): AsyncIterable<WatchProxyConfigResponse>;
  reportProxyConfig(request: ReportProxyConfigRequest, options: { signal: AbortSignal }): Promise<unknown>;
}

/** A connection to core; `close()` releases it. `connectExtensionClient` from `@switchyard/proto/client` fits. */
export interface CoreConnection {
  client: ProxyConfigClient;
  close(): void;
}

/** Options of {@link runProxyAgent}. */
export interface ProxyAgentOptions {
  /** The proxy's Swarm service name (sent to core with every call). */
  proxyService: string;
  /** Who this replica is (task and node IDs, host name, agent version). */
  replica: ProxyReplica;
  /** The proxy to drive ({@link nginxDriver} / {@link haproxyDriver}). */
  driver: ProxyDriver;
  /** The main file Docker mounted (e.g. `/etc/nginx/nginx.conf`); `switchyard.d/` beside it is copied too. */
  bootConfigPath: string;
  /** Where generations and the `live` symlink go (e.g. `/run/switchyard`). Its old contents are removed. */
  liveRoot: string;
  /** Opens a connection to core; called again on every reconnect. May throw (counts as a failed attempt). */
  connect: () => CoreConnection;
  logger?: AgentLogger;
  /** How long start-up waits for core's first configuration before using the boot files (default 3000). */
  bootWaitMs?: number;
  /** At most one apply per this interval; bundles arriving meanwhile coalesce to the newest (default 250). */
  minReloadIntervalMs?: number;
  /**
   * Reconnect backoff, merged over {@link DEFAULT_RECONNECT_BACKOFF} (250 ms doubling to 10 s, equal
   * jitter: every proxy replica reconnects at once when core restarts).
   */
  backoff?: Partial<BackoffOptions>;
  /** Deadline of one ReportProxyConfig call (default 5000). */
  reportTimeoutMs?: number;
  /** How long a reload waits for the proxy to handle its reload signal (default 10 000). */
  readyTimeoutMs?: number;
  /**
   * While stopping, the forwarded stop signal is sent again at this interval until the proxy exits
   * (default 2000; HAProxy 2.6's master was seen to drop a SIGUSR1 that came right after a reload).
   * Repeating a graceful stop signal is harmless for both proxies.
   */
  stopResendMs?: number;
  /** Starts the proxy (default {@link spawnProxy}: stdio inherited). */
  spawn?: SpawnProxy;
  /** Clock in ms (default `Date.now`). */
  now?: () => number;
  /** Random source for the backoff jitter (default `Math.random`). */
  random?: () => number;
  /** Called with every report as it is made, before it is sent (metrics, tests). */
  onReport?: (report: ReportProxyConfigRequest) => void;
}

/** Resolves after `ms`, or at once when `signal` aborts. Never rejects. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted || ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** A level-triggered wake-up: `wake()` before or during `wait()` ends the wait. */
class Wakeup {
  private flag = false;
  private resolve: (() => void) | undefined;
  wake(): void {
    this.flag = true;
    this.resolve?.();
  }
  async wait(signal: AbortSignal): Promise<void> {
    if (!this.flag && !signal.aborted) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          signal.removeEventListener('abort', done);
          this.resolve = undefined;
          resolve();
        };
        this.resolve = done;
        signal.addEventListener('abort', done, { once: true });
      });
    }
    this.flag = false;
  }
}

const short = (checksum: string): string => checksum.slice(0, 12);
const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));
const isSignalName = (v: unknown): v is NodeJS.Signals => typeof v === 'string' && /^SIG[A-Z0-9]+$/.test(v);

/** A prepared configuration: written and validated, or refused with the reason. */
type Prepared = { ok: true; gen: Generation } | { ok: false; error: string };

/**
 * Runs the proxy agent until the proxy exits; resolves the exit code the agent should end with.
 *
 * 1. Start-up: follows core's `WatchProxyConfig` and waits up to `bootWaitMs` for a configuration.
 *    One that passes the proxy's own check becomes generation 1 (reported APPLIED once the proxy
 *    runs); one that fails is reported REJECTED. Without a usable one the proxy starts from the boot
 *    files Docker mounted, copied into a generation so the layout is the same (even when they fail
 *    the check: the proxy then says why and exits, and so does the agent).
 * 2. The proxy runs as a child from `<liveRoot>/live`.
 * 3. Each configuration from core is coalesced (only the newest pending one counts, at most one
 *    apply per `minReloadIntervalMs`), written to a fresh generation and checked. Refused: reported
 *    REJECTED, the previous configuration stays. Accepted: `live` is switched, the proxy reloads
 *    gracefully, APPLIED is reported. A configuration with the served checksum only re-reports APPLIED.
 * 4. Reports never block applying; a failed one (newest only) is sent again at the next bundle or
 *    reconnect. The stream reconnects with jittered exponential backoff.
 * 5. When the proxy exits on its own, the agent stops following core and resolves the proxy's exit
 *    code. When `signal` aborts, the agent forwards `signal.reason` to the proxy if it is a signal
 *    name (the app passes the one it received; otherwise the driver's graceful stop signal), repeats
 *    it every `stopResendMs` while the proxy runs, stops following core and resolves when the proxy
 *    has exited. If `signal` aborts before the proxy
 *    started, it resolves 0 without starting it.
 *
 * Never rejects: every failure is logged with context and retried, or ends in the proxy's exit code.
 */
export async function runProxyAgent(options: ProxyAgentOptions, signal: AbortSignal): Promise<number> {
  return new ProxyAgent(options).run(signal);
}

class ProxyAgent {
  private readonly log: AgentLogger;
  private readonly driver: ProxyDriver;
  private readonly store: LiveConfigStore;
  private readonly now: () => number;
  /** Stops following core and applying (proxy exited, or the agent was told to stop). */
  private readonly stop = new AbortController();
  private readonly wakeup = new Wakeup();
  private pending: ProxyConfigBundle | undefined;
  private firstBundle: (() => void) | undefined;
  private conn: CoreConnection | undefined;
  private applied: { checksum: string; modelVersion: number } | undefined;
  private lastRejected: { checksum: string; error: string } | undefined;
  private reloads = 0;
  private unsentReport: ReportProxyConfigRequest | undefined;
  private reportInFlight = false;

  constructor(private readonly options: ProxyAgentOptions) {
    this.log = options.logger ?? silentLogger;
    this.driver = options.driver;
    this.store = new LiveConfigStore(options.liveRoot, { mainFile: options.driver.mainFile, layoutDirs: options.driver.layoutDirs });
    this.now = options.now ?? Date.now;
  }

  async run(signal: AbortSignal): Promise<number> {
    let child: ProxyChild | undefined;
    let forwarded = false;
    const onAbort = (): void => {
      this.stop.abort();
      if (child && !forwarded) {
        forwarded = true;
        const sig = isSignalName(signal.reason) ? signal.reason : this.driver.stopSignal;
        this.log.info('stopping: signal forwarded to the proxy', { signal: sig, pid: child.pid });
        child.kill(sig);
        const proxy = child;
        const resend = setInterval(() => {
          this.log.info('proxy still running; stop signal sent again', { signal: sig, pid: proxy.pid });
          proxy.kill(sig);
        }, this.options.stopResendMs ?? 2000);
        void proxy.exited.then(() => clearInterval(resend));
      }
    };
    if (signal.aborted) return 0;
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      await this.store.init().catch((err: unknown) => this.log.error('cannot prepare the live directory', { liveRoot: this.options.liveRoot, error: errorText(err) }));
      const following = this.follow();
      const bootBundle = await this.boot();
      if (signal.aborted) {
        this.stop.abort();
        await following;
        return 0;
      }
      const argv = this.driver.command(this.store.liveDir);
      this.log.info('starting the proxy', { proxy: this.driver.kind, argv, generation: this.store.current?.number });
      child = (this.options.spawn ?? spawnProxy)(argv);
      const proxy = child;
      const exited = proxy.exited.then((exit) => {
        this.stop.abort();
        return exit;
      });
      if (bootBundle) {
        this.applied = { checksum: bootBundle.checksum, modelVersion: bootBundle.modelVersion };
        this.report(bootBundle, ApplyResult.APPLY_RESULT_APPLIED, '', 0);
      }
      const applying = this.applyLoop(proxy);
      const exit = await exited;
      const code = exitCodeOf(exit);
      const meta = { code: exit.code, signal: exit.signal, exitCode: code, ...(exit.error ? { error: exit.error.message } : {}) };
      if (signal.aborted) this.log.info('the proxy stopped', meta);
      else if (code === 0) this.log.warn('the proxy exited on its own; exiting with its code', meta);
      else this.log.error('the proxy exited on its own; exiting with its code', meta);
      await applying;
      this.conn?.close();
      await following;
      return code;
    } finally {
      signal.removeEventListener('abort', onAbort);
      this.stop.abort();
    }
  }

  /** Picks the start-up configuration and activates it; returns core's bundle when that was used. */
  private async boot(): Promise<ProxyConfigBundle | undefined> {
    const bootWaitMs = this.options.bootWaitMs ?? 3000;
    if (!this.pending) {
      await Promise.race([new Promise<void>((resolve) => (this.firstBundle = resolve)), sleep(bootWaitMs, this.stop.signal)]);
      this.firstBundle = undefined;
    }
    const bundle = this.pending;
    this.pending = undefined;
    if (bundle) {
      const prepared = await this.prepare(bundle);
      if (prepared.ok) {
        if (await this.activate(prepared.gen)) {
          this.log.info('starting with core configuration', { modelVersion: bundle.modelVersion, checksum: short(bundle.checksum), generation: prepared.gen.number });
          return bundle;
        }
      } else {
        this.log.warn('core configuration refused at start-up; using the boot files', { modelVersion: bundle.modelVersion, checksum: short(bundle.checksum), error: prepared.error });
        this.report(bundle, ApplyResult.APPLY_RESULT_REJECTED, prepared.error, 0);
      }
    } else {
      this.log.info('no configuration from core yet; using the boot files', { bootWaitMs, bootConfig: this.options.bootConfigPath });
    }
    try {
      const gen = await this.store.copyBoot(this.options.bootConfigPath);
      const check = await this.driver.validate(gen.dir);
      if (!check.ok) this.log.error('the boot files fail the proxy check; starting anyway (the proxy will say why)', { bootConfig: this.options.bootConfigPath, output: check.output });
      await this.activate(gen);
    } catch (err) {
      this.log.error('cannot copy the boot files; starting anyway', { bootConfig: this.options.bootConfigPath, error: errorText(err) });
    }
    return undefined;
  }

  private async activate(gen: Generation): Promise<boolean> {
    try {
      await this.store.activate(gen);
      return true;
    } catch (err) {
      this.log.error('cannot switch the live directory', { generation: gen.number, error: errorText(err) });
      await this.store.discard(gen);
      return false;
    }
  }

  /** Writes a bundle into a new generation and runs the proxy's check on it. Never rejects. */
  private async prepare(bundle: ProxyConfigBundle): Promise<Prepared> {
    if (this.lastRejected?.checksum === bundle.checksum) return { ok: false, error: this.lastRejected.error };
    const refuse = (error: string): Prepared => {
      this.lastRejected = { checksum: bundle.checksum, error };
      return { ok: false, error };
    };
    const actual = configChecksum(bundle.files);
    if (actual !== bundle.checksum) return refuse(`checksum mismatch: bundle says ${short(bundle.checksum)}, files hash to ${short(actual)}`);
    let gen: Generation;
    try {
      gen = await this.store.write(bundle.files);
    } catch (err) {
      return refuse(trimOutput(errorText(err)));
    }
    const check = await this.driver.validate(gen.dir);
    if (!check.ok) {
      await this.store.discard(gen);
      return refuse(check.output || `${this.driver.kind} refused the configuration`);
    }
    return { ok: true, gen };
  }

  /** Applies the newest pending bundle, at most once per minReloadIntervalMs, until stopped. */
  private async applyLoop(child: ProxyChild): Promise<void> {
    const interval = this.options.minReloadIntervalMs ?? 250;
    let lastApplyAt = Number.NEGATIVE_INFINITY;
    while (!this.stop.signal.aborted) {
      this.flushReport();
      if (!this.pending) {
        await this.wakeup.wait(this.stop.signal);
        continue;
      }
      const wait = lastApplyAt + interval - this.now();
      if (wait > 0) {
        await sleep(wait, this.stop.signal);
        continue;
      }
      const bundle = this.pending;
      this.pending = undefined;
      try {
        if (await this.apply(bundle, child)) lastApplyAt = this.now();
      } catch (err) {
        this.log.error('apply failed unexpectedly', { modelVersion: bundle.modelVersion, checksum: short(bundle.checksum), error: errorText(err) });
        this.report(bundle, ApplyResult.APPLY_RESULT_FAILED, trimOutput(errorText(err)), 0);
        lastApplyAt = this.now();
      }
    }
  }

  /** Applies one bundle; returns whether it did any work (so the interval counts). */
  private async apply(bundle: ProxyConfigBundle, child: ProxyChild): Promise<boolean> {
    const meta = { modelVersion: bundle.modelVersion, checksum: short(bundle.checksum) };
    if (this.applied?.checksum === bundle.checksum) {
      this.log.debug('configuration already served; no reload', meta);
      this.applied.modelVersion = bundle.modelVersion;
      this.report(bundle, ApplyResult.APPLY_RESULT_APPLIED, '', await this.draining(child));
      return false;
    }
    const started = this.now();
    const prepared = await this.prepare(bundle);
    if (!prepared.ok) {
      this.log.warn('configuration refused by the proxy check; keeping the previous one', { ...meta, error: prepared.error });
      this.report(bundle, ApplyResult.APPLY_RESULT_REJECTED, prepared.error, await this.draining(child));
      return true;
    }
    const pid = child.pid;
    if (pid === undefined || !(await this.waitReady(pid))) {
      await this.store.discard(prepared.gen);
      if (this.stop.signal.aborted) return true;
      const error = `${this.driver.kind} did not get ready for a reload within ${this.options.readyTimeoutMs ?? 10_000} ms`;
      this.log.error('reload not sent', { ...meta, error });
      this.report(bundle, ApplyResult.APPLY_RESULT_FAILED, error, 0);
      return true;
    }
    if (!(await this.activate(prepared.gen))) {
      this.report(bundle, ApplyResult.APPLY_RESULT_FAILED, 'cannot switch the live directory', 0);
      return true;
    }
    // The proxy may have been told to stop while we waited: never reload after the stop signal.
    if (this.stop.signal.aborted) return true;
    const before = await this.driver.workers(pid).catch(() => []);
    const driver = this.driver;
    if (driver.reload) {
      const reloaded = await driver.reload(this.store.liveDir);
      if (!reloaded.ok) {
        this.applied = undefined;
        this.log.error('reload command failed', { ...meta, pid, output: reloaded.output });
        this.report(bundle, ApplyResult.APPLY_RESULT_FAILED, reloaded.output || `${this.driver.kind} reload failed`, 0);
        return true;
      }
    } else if (!child.kill(driver.reloadSignal)) {
      this.applied = undefined;
      this.log.error('reload signal not delivered', { ...meta, signal: driver.reloadSignal, pid });
      this.report(bundle, ApplyResult.APPLY_RESULT_FAILED, `${driver.reloadSignal} to pid ${pid} not delivered`, 0);
      return true;
    }
    this.reloads += 1;
    // Until the old workers stop accepting, a new connection may still get the previous config:
    // report (and allow the next reload) only once the switch is done.
    await this.waitSwitched(pid, before);
    this.applied = { checksum: bundle.checksum, modelVersion: bundle.modelVersion };
    this.lastRejected = undefined;
    const draining = await this.draining(child);
    this.log.info('configuration applied; proxy reloaded', { ...meta, generation: prepared.gen.number, reloads: this.reloads, draining, ms: this.now() - started });
    this.report(bundle, ApplyResult.APPLY_RESULT_APPLIED, '', draining);
    return true;
  }

  /**
   * Waits (at most 3 s) until the driver sees the reload switched over. Returns at once when the
   * workers cannot be seen.
   */
  private async waitSwitched(pid: number, before: number[]): Promise<void> {
    if (before.length === 0) return;
    const deadline = this.now() + 3000;
    while (!this.stop.signal.aborted && this.now() < deadline) {
      if (await this.driver.switched(pid, before).catch(() => true)) return;
      await sleep(10, this.stop.signal);
    }
  }

  private async waitReady(pid: number): Promise<boolean> {
    const deadline = this.now() + (this.options.readyTimeoutMs ?? 10_000);
    for (;;) {
      if (this.stop.signal.aborted) return false;
      if (await this.driver.ready(pid).catch(() => true)) return true;
      if (this.now() >= deadline) return false;
      await sleep(20, this.stop.signal);
    }
  }

  private async draining(child: ProxyChild): Promise<number> {
    if (child.pid === undefined) return 0;
    return this.driver.draining(child.pid).catch(() => 0);
  }

  /** Follows core's configuration stream until stopped, reconnecting with backoff. Never rejects. */
  private async follow(): Promise<void> {
    const backoff: BackoffOptions = { ...DEFAULT_RECONNECT_BACKOFF, ...this.options.backoff };
    const request: WatchProxyConfigRequest = { proxyService: this.options.proxyService, replica: this.options.replica };
    let attempt = 0;
    while (!this.stop.signal.aborted) {
      let conn: CoreConnection | undefined;
      try {
        conn = this.options.connect();
        this.conn = conn;
        this.flushReport();
        for await (const { config } of conn.client.watchProxyConfig(request, { signal: this.stop.signal })) {
          if (attempt > 0) this.log.info('following core again', { attempts: attempt });
          attempt = 0;
          if (!config) continue;
          this.log.debug('configuration received', { modelVersion: config.modelVersion, checksum: short(config.checksum), files: config.files.length });
          this.pending = config;
          this.firstBundle?.();
          this.wakeup.wake();
        }
        if (!this.stop.signal.aborted) this.log.warn('configuration stream ended; reconnecting', { proxyService: this.options.proxyService });
      } catch (err) {
        if (this.stop.signal.aborted) break;
        this.log.warn('core unreachable or stream failed; retrying', { error: errorText(err), attempt: attempt + 1 });
      } finally {
        if (this.conn === conn) this.conn = undefined;
        conn?.close();
      }
      attempt += 1;
      await sleep(backoffDelay(attempt, backoff, this.options.random), this.stop.signal);
    }
  }

  /** Records a report and sends it in the background (the newest unsent one wins). */
  private report(bundle: ProxyConfigBundle, result: ApplyResult, error: string, draining: number): void {
    const report: ReportProxyConfigRequest = {
      proxyService: this.options.proxyService,
      replica: this.options.replica,
      modelVersion: bundle.modelVersion,
      checksum: bundle.checksum,
      result,
      error,
      atUnixMs: this.now(),
      reloads: this.reloads,
      draining,
    };
    this.options.onReport?.(report);
    this.unsentReport = report;
    this.flushReport();
  }

  /** Sends the newest unsent report if connected and nothing is in flight. Never rejects or blocks. */
  private flushReport(): void {
    const conn = this.conn;
    const report = this.unsentReport;
    if (!conn || !report || this.reportInFlight) return;
    this.unsentReport = undefined;
    this.reportInFlight = true;
    let failed = false;
    conn.client
      .reportProxyConfig(report, { signal: AbortSignal.timeout(this.options.reportTimeoutMs ?? 5000) })
      .then(
        () => this.log.debug('report sent', { modelVersion: report.modelVersion, result: ApplyResult[report.result] }),
        (err: unknown) => {
          failed = true;
          this.unsentReport ??= report;
          this.log.warn('report not delivered; will retry', { modelVersion: report.modelVersion, result: ApplyResult[report.result], error: errorText(err) });
        },
      )
      .finally(() => {
        this.reportInFlight = false;
        // A newer report made while this one was in flight goes now; a failed one waits for a trigger.
        if (!failed) this.flushReport();
      });
  }
}
