/**
 * A bounded request loop on one route, as the e2e suites put load on a proxy while something
 * changes: every request on a fresh connection (a refused or dropped connection is seen at once),
 * every non-200 counted (connection errors count as status 0) and the first few recorded with when
 * they happened and in which phase of the test.
 */
import { httpGet, sleep } from '../e2e-harness/index.js';

/** Where and how long {@link RouteLoad} sends its requests. */
export interface RouteLoadOptions {
  /** Port on `address`. */
  port: number;
  /** 127.0.0.1 (the default), or the address of a container the test created. */
  address?: string;
  /** `Host` header of every request. */
  host: string;
  /** Concurrent request loops (default 1). */
  workers?: number;
  /** The loops stop by themselves after this long, whatever the test does. */
  maxMs: number;
  /** Per-request timeout (default 5000 ms). */
  timeoutMs?: number;
}

export class RouteLoad {
  readonly statuses = new Map<number, number>();
  /** First few failures: ms since start, phase, status (and error), for failure messages. */
  readonly failures: string[] = [];
  /** Times (Date.now) of the first and last failed request. */
  firstFailAt: number | undefined;
  lastFailAt: number | undefined;
  total = 0;
  private phase = 'start';
  private readonly startedAt = Date.now();
  private stopped = false;
  private readonly done: Promise<void>;

  constructor(options: RouteLoadOptions) {
    const { port, address, host, workers = 1, maxMs, timeoutMs = 5000 } = options;
    const until = Date.now() + maxMs;
    const worker = async (): Promise<void> => {
      while (!this.stopped && Date.now() < until) {
        const res = await httpGet({ address, port, host, path: '/', timeoutMs }).catch((err: Error) => ({ status: 0, error: err.message }));
        this.total += 1;
        if (res.status !== 200) {
          const now = Date.now();
          this.firstFailAt ??= now;
          this.lastFailAt = now;
          if (this.failures.length < 20) this.failures.push(`${now - this.startedAt} ms [${this.phase}] ${res.status}${'error' in res ? ` ${res.error}` : ''}`);
        }
        this.statuses.set(res.status, (this.statuses.get(res.status) ?? 0) + 1);
        await sleep(20);
      }
    };
    this.done = Promise.all(Array.from({ length: workers }, worker)).then(() => undefined);
  }

  /** Names what the test is doing now (shown with each failure). */
  mark(phase: string): void {
    this.phase = phase;
  }

  get failed(): number {
    return this.total - (this.statuses.get(200) ?? 0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.done;
  }

  /** `N requests, statuses {...}` and the recorded failures, for the test's log line. */
  summary(): string {
    return `${this.total} requests, statuses ${JSON.stringify(Object.fromEntries(this.statuses))}${this.failures.length ? `; failures: ${this.failures.join(' | ')}` : ''}`;
  }
}
