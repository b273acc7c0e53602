import { ClientError, Status } from 'nice-grpc';
import { connectExtensionClient, type ExtensionServiceClient, type GetStatusResponse, type ProxyModel } from '@switchyard/proto';
import { CliExit, ExitCode, usageError, type CliIo } from './io.js';

/** Address used when neither `--core` nor `$SWITCHYARD_CORE` is given. */
export const DEFAULT_CORE_ADDRESS = '127.0.0.1:8080';

/** Default time to wait for core's answer, in milliseconds. */
export const DEFAULT_TIMEOUT_MS = 5000;

const ADDRESS = /^(https?:\/\/)?(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):\d{1,5}$/;

/** The core address to use: `--core`, else `$SWITCHYARD_CORE`, else {@link DEFAULT_CORE_ADDRESS}. */
export function coreAddress(flag: string | undefined, io: CliIo): string {
  const env = io.env.SWITCHYARD_CORE;
  const address = (flag ?? (env !== undefined && env.trim() !== '' ? env : DEFAULT_CORE_ADDRESS)).trim();
  if (!ADDRESS.test(address)) {
    const from = flag !== undefined ? '--core' : '$SWITCHYARD_CORE';
    throw usageError(`${from}: ${JSON.stringify(address)} is not HOST:PORT (e.g. 127.0.0.1:8080)`);
  }
  return address;
}

/** Parses `--timeout` (milliseconds). */
export function timeoutMs(flag: string | undefined): number {
  if (flag === undefined) return DEFAULT_TIMEOUT_MS;
  const n = Number(flag);
  if (!Number.isInteger(n) || n < 1 || n > 600_000) throw usageError(`--timeout: expected milliseconds between 1 and 600000, got ${JSON.stringify(flag)}`);
  return n;
}

/** `name` of an error-like value (a DOMException from another realm is not `instanceof Error`). */
function errorName(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && typeof (err as { name?: unknown }).name === 'string' ? (err as { name: string }).name : undefined;
}

function unreachable(address: string, err: unknown, timeout: number): CliExit {
  let why: string;
  if (err instanceof ClientError) why = `${Status[err.code]}: ${err.details}`;
  else if (errorName(err) === 'AbortError' || errorName(err) === 'TimeoutError') why = `no answer within ${timeout} ms`;
  else why = err instanceof Error ? err.message : String(err);
  return new CliExit(
    ExitCode.coreUnreachable,
    `cannot reach switchyard core at ${address} (${why}).\n` +
      `Point the CLI at core's gRPC port with --core HOST:PORT or $SWITCHYARD_CORE. In a swarm, core's port is not\n` +
      `published by default: start it with SWITCHYARD_CORE_PUBLISH=<port> (tools/swarm/up.sh) or publish it with\n` +
      `\`docker service update --publish-add mode=host,published=<port>,target=8080 <core service>\`.`,
    { cause: err },
  );
}

/** What the commands ask core; one connection per CLI run. */
export interface CoreSession {
  readonly address: string;
  status(): Promise<GetStatusResponse>;
  /** The current model of `cluster`; exit code 1 with the known clusters when core has none. */
  model(cluster: string): Promise<ProxyModel>;
  close(): void;
}

/** Opens a session to core (lazily: nothing is sent before the first call). */
export function openCore(address: string, timeout: number): CoreSession {
  const conn = connectExtensionClient(address);
  const client: ExtensionServiceClient = conn.client;
  const call = async <T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> => {
    try {
      return await fn(AbortSignal.timeout(timeout));
    } catch (err) {
      throw unreachable(address, err, timeout);
    }
  };
  return {
    address,
    status: () => call((signal) => client.getStatus({}, { signal })),
    async model(cluster) {
      try {
        const res = await client.getModel({ serviceCluster: cluster }, { signal: AbortSignal.timeout(timeout) });
        if (res.model) return res.model;
      } catch (err) {
        // core answers UNAVAILABLE "no model yet ..." for a cluster it has no model of; anything
        // else means core itself is not there.
        if (!(err instanceof ClientError && err.code === Status.UNAVAILABLE && /no model/i.test(err.details))) {
          throw unreachable(address, err, timeout);
        }
      }
      const status = await call((signal) => client.getStatus({}, { signal }));
      const known = [...new Set(status.models.map((m) => m.serviceCluster))].sort();
      throw new CliExit(
        ExitCode.notRouted,
        `core at ${address} has no model for service cluster ${JSON.stringify(cluster)}; ` +
          (known.length > 0 ? `clusters with a model: ${known.map((c) => JSON.stringify(c)).join(', ')} (use --cluster NAME)` : 'it has no model yet'),
      );
    },
    close: () => conn.close(),
  };
}
