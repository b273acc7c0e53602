import { errorMeta, type DockerPort, type Logger } from '@switchyard/reconciler';
import type { CoreMetrics } from './metrics.js';

/** Called with the method and the error of each failed Docker call. */
export type DockerErrorObserver = (method: keyof DockerPort, err: unknown) => void;

/**
 * Wraps a DockerPort so that every call is reported to `onCall(method)` (for the
 * `switchyard_docker_api_calls_total` metric) and every failure to `onError(method, err)` (a
 * rejected call, a timed-out one, or an event stream that breaks). Event streams count once, when
 * opened; one that ends because its signal aborted is no failure. Results and errors pass through
 * unchanged.
 */
export function countingDockerPort(port: DockerPort, onCall: (method: keyof DockerPort) => void, onError?: DockerErrorObserver): DockerPort {
  return new Proxy(port, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      const method = prop as keyof DockerPort;
      return (...args: unknown[]) => {
        onCall(method);
        const result = (value as (...a: unknown[]) => unknown).apply(target, args);
        if (!onError) return result;
        if (result instanceof Promise) {
          return result.catch((err: unknown) => {
            onError(method, err);
            throw err;
          });
        }
        if (method === 'events') return observeStream(result as AsyncIterable<unknown>, (err) => onError(method, err));
        return result;
      };
    },
  });
}

async function* observeStream<T>(stream: AsyncIterable<T>, onError: (err: unknown) => void): AsyncIterable<T> {
  try {
    yield* stream;
  } catch (err) {
    onError(err);
    throw err;
  }
}

/**
 * core's Docker port as main builds it: counts calls and failures by method
 * (`switchyard_docker_api_calls_total`, `switchyard_docker_api_errors_total`) and logs each
 * failure at warn with the method and the error (a timeout says so: `code: docker-timeout`).
 */
export function instrumentedDockerPort(port: DockerPort, metrics: Pick<CoreMetrics, 'dockerCalls' | 'dockerErrors'>, logger: Logger): DockerPort {
  return countingDockerPort(
    port,
    (method) => metrics.dockerCalls.inc({ method }),
    (method, err) => {
      metrics.dockerErrors.inc({ method });
      try {
        logger.warn('Docker API call failed', { ...errorMeta(err), method });
      } catch {
        // A broken logger must not turn a Docker error into another one.
      }
    },
  );
}
