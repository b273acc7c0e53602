import type { DockerPort } from './docker-port.js';
import { systemTimers, type Timers } from './timers.js';

/** Default deadline of one Docker Engine API call: 30 s. */
export const DEFAULT_DOCKER_TIMEOUT_MS = 30_000;

/**
 * A Docker Engine API call that did not answer within its deadline (e.g. a dockerd that accepts
 * the connection and never answers). Retried like any other Docker error by whoever made the call.
 */
export class DockerTimeoutError extends Error {
  /** Stable machine-readable code. */
  readonly code = 'docker-timeout';

  /** `operation` is the {@link DockerPort} method, `timeoutMs` the deadline it missed. */
  constructor(
    readonly operation: string,
    readonly timeoutMs: number,
  ) {
    super(`Docker API call ${operation} did not answer within ${timeoutMs} ms`);
    this.name = 'DockerTimeoutError';
  }
}

/** Options of {@link withDockerTimeout} and {@link timeoutDockerPort}. */
export interface DockerTimeoutOptions {
  /** Deadline of each call in milliseconds (default {@link DEFAULT_DOCKER_TIMEOUT_MS}); 0 or less: none. */
  timeoutMs?: number;
  /** Clock and timers (default: the global ones). */
  timers?: Timers;
}

/**
 * Runs `call` with a deadline: after `timeoutMs` the signal handed to `call` aborts (so a
 * transport that honours it releases its connection) and the returned promise rejects with a
 * {@link DockerTimeoutError}, whether or not `call` ever settles. Settles exactly once; the timer
 * is cleared as soon as `call` settles.
 */
export function withDockerTimeout<T>(operation: string, call: (signal: AbortSignal) => Promise<T>, options: DockerTimeoutOptions = {}): Promise<T> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_DOCKER_TIMEOUT_MS;
  const controller = new AbortController();
  if (!(timeoutMs > 0)) return call(controller.signal);
  const timers = options.timers ?? systemTimers;
  return new Promise<T>((resolve, reject) => {
    const handle = timers.setTimeout(() => {
      const err = new DockerTimeoutError(operation, timeoutMs);
      controller.abort(err);
      reject(err);
    }, timeoutMs);
    let pending: Promise<T>;
    try {
      pending = call(controller.signal);
    } catch (err) {
      pending = Promise.reject(err);
    }
    pending.then(
      (value) => {
        timers.clearTimeout(handle);
        resolve(value);
      },
      (err: unknown) => {
        timers.clearTimeout(handle);
        // After the deadline, the abort's own rejection is not news: the timeout error stands.
        reject(err);
      },
    );
  });
}

/**
 * Wraps any {@link DockerPort} so that every request-response call has a deadline (see
 * {@link withDockerTimeout}). The event stream is passed through untouched: it is idle for as long
 * as nothing happens, which is no failure. {@link DockerodePort} applies the same deadline itself
 * (and aborts the HTTP request); this wrapper is for other ports, e.g. the in-memory fake in tests.
 */
export function timeoutDockerPort(port: DockerPort, options: DockerTimeoutOptions = {}): DockerPort {
  return new Proxy(port, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function' || prop === 'events') return typeof value === 'function' ? value.bind(target) : value;
      return (...args: unknown[]) => withDockerTimeout(String(prop), () => (value as (...a: unknown[]) => Promise<unknown>).apply(target, args), options);
    },
  });
}
