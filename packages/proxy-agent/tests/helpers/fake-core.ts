/**
 * An in-memory core for the agent's unit tests: WatchProxyConfig sends the current bundle at once
 * and then every pushed one; ReportProxyConfig records reports. It can be taken down (calls fail
 * like an unreachable server) and its open streams can be ended (a core restart).
 */
import { configChecksum, type ProxyConfigBundle, type ReportProxyConfigRequest, type WatchProxyConfigResponse } from '@switchyard/proto';
import type { CoreConnection, ProxyConfigClient } from '../../src/index.js';

/** A bundle of one main file (plus optional extra files) with a correct checksum. */
export function bundle(modelVersion: number, main: string, extra: { path: string; content: string }[] = []): ProxyConfigBundle {
  const files = [{ path: 'proxy.conf', content: main }, ...extra];
  return { modelVersion, checksum: configChecksum(files), files, acceptedAtUnixMs: 1 };
}

interface Stream {
  queue: ProxyConfigBundle[];
  wake: (() => void) | undefined;
  ended: boolean;
}

export class FakeCore {
  current: ProxyConfigBundle | undefined;
  down = false;
  /** Reports to refuse before accepting again. */
  failReports = 0;
  readonly reports: ReportProxyConfigRequest[] = [];
  readonly reportAttempts: ReportProxyConfigRequest[] = [];
  connects = 0;
  private readonly streams = new Set<Stream>();

  /** The `connect` option of runProxyAgent. */
  readonly connect = (): CoreConnection => {
    this.connects += 1;
    return { client: this.client(), close: () => undefined };
  };

  push(b: ProxyConfigBundle): void {
    this.current = b;
    for (const s of this.streams) {
      s.queue.push(b);
      s.wake?.();
    }
  }

  /** Ends every open stream (as a core restart does). */
  endStreams(): void {
    for (const s of this.streams) {
      s.ended = true;
      s.wake?.();
    }
  }

  get openStreams(): number {
    return this.streams.size;
  }

  private client(): ProxyConfigClient {
    return {
      watchProxyConfig: (_req, { signal }) => this.watch(signal),
      reportProxyConfig: async (req) => {
        this.reportAttempts.push(req);
        if (this.down) throw new Error('UNAVAILABLE: core down');
        if (this.failReports > 0) {
          this.failReports -= 1;
          throw new Error('UNAVAILABLE: report refused');
        }
        this.reports.push(req);
        return {};
      },
    };
  }

  private async *watch(signal: AbortSignal): AsyncGenerator<WatchProxyConfigResponse> {
    if (this.down) throw new Error('UNAVAILABLE: core down');
    const stream: Stream = { queue: this.current ? [this.current] : [], wake: undefined, ended: false };
    this.streams.add(stream);
    const onAbort = (): void => stream.wake?.();
    signal.addEventListener('abort', onAbort);
    try {
      for (;;) {
        const next = stream.queue.shift();
        if (next) {
          yield { config: next };
          continue;
        }
        if (stream.ended) return;
        if (signal.aborted) throw new Error('CANCELLED');
        await new Promise<void>((resolve) => (stream.wake = resolve));
        stream.wake = undefined;
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      this.streams.delete(stream);
    }
  }
}

/** Polls `check` until it returns true (or throws after `timeoutMs`). */
export async function until(check: () => boolean | Promise<boolean>, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
