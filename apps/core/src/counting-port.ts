import type { DockerPort } from '@switchyard/reconciler';

/**
 * Wraps a DockerPort so that every call is reported to `onCall(method)` (for the
 * `switchyard_docker_api_calls_total` metric). Event streams count once, when opened.
 */
export function countingDockerPort(port: DockerPort, onCall: (method: keyof DockerPort) => void): DockerPort {
  return new Proxy(port, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        onCall(prop as keyof DockerPort);
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}
