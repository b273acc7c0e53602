import { ClientError, Status } from 'nice-grpc';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type ExtensionServiceClient, type GetStatusResponse, type ProxyModel } from '@switchyard/proto';
import { connectExtensionClient, loadCredentials, type TlsCredentials } from '@switchyard/proto/client';
import { CliExit, ExitCode, resolvePath, usageError, type CliIo } from './io.js';

/** Where the CLI looks for operator credentials when no flag or variable names them. */
export const DEFAULT_CREDENTIALS = ['./.switchyard/operator.pem', '~/.config/switchyard/operator.pem'];

/** Which credentials to use for core: the flags, the environment, or a default file. */
export interface TlsChoice {
  credentials?: string;
  ca?: string;
  cert?: string;
  key?: string;
  insecure?: boolean;
}

/**
 * Reads the operator's credentials: `--credentials` or `--ca/--cert/--key`, else
 * `$SWITCHYARD_TLS_BUNDLE` or `$SWITCHYARD_TLS_CA/_CERT/_KEY`, else the first default file that
 * exists. Undefined with `--insecure`, or when nothing is found (the call then goes out in plaintext
 * and a core with mutual TLS refuses it; the error says where credentials come from).
 */
export function coreCredentials(choice: TlsChoice, io: CliIo): TlsCredentials | undefined {
  if (choice.insecure) return undefined;
  const path = (p: string | undefined) => (p ? resolvePath(io, p) : undefined);
  try {
    if (choice.credentials || choice.ca || choice.cert || choice.key) {
      return loadCredentials({ bundle: path(choice.credentials), ca: path(choice.ca), cert: path(choice.cert), key: path(choice.key) });
    }
    const env = io.env;
    if (env.SWITCHYARD_TLS_BUNDLE || env.SWITCHYARD_TLS_CA || env.SWITCHYARD_TLS_CERT || env.SWITCHYARD_TLS_KEY) {
      return loadCredentials({ bundle: path(env.SWITCHYARD_TLS_BUNDLE), ca: path(env.SWITCHYARD_TLS_CA), cert: path(env.SWITCHYARD_TLS_CERT), key: path(env.SWITCHYARD_TLS_KEY) });
    }
  } catch (err) {
    throw usageError((err as Error).message);
  }
  for (const candidate of DEFAULT_CREDENTIALS) {
    const file = candidate.startsWith('~/') ? (io.env.HOME ? join(io.env.HOME, candidate.slice(2)) : undefined) : resolvePath(io, candidate);
    if (file && existsSync(file)) return loadCredentials({ bundle: file });
  }
  return undefined;
}

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

function unreachable(address: string, err: unknown, timeout: number, tls: boolean): CliExit {
  let why: string;
  if (err instanceof ClientError) why = `${Status[err.code]}: ${err.details}`;
  else if (errorName(err) === 'AbortError' || errorName(err) === 'TimeoutError') why = `no answer within ${timeout} ms`;
  else why = err instanceof Error ? err.message : String(err);
  return new CliExit(
    ExitCode.coreUnreachable,
    `cannot reach switchyard core at ${address} (${why}).\n` +
      `Point the CLI at core's gRPC port with --core HOST:PORT or $SWITCHYARD_CORE. In a swarm, core's port is not\n` +
      `published by default: start it with SWITCHYARD_CORE_PUBLISH=<port> (tools/swarm/up.sh) or publish it with\n` +
      `\`docker service update --publish-add mode=host,published=<port>,target=8080 <core service>\`.` +
      (tls
        ? ''
        : `\nNo operator credentials were found: core refuses plaintext clients unless it runs with InsecureControlPlane = true.\n` +
          `Get a bundle with \`docker exec <core container> switchyard-core issue --role operator --name <you> > .switchyard/operator.pem\`\n` +
          `(see docs/security.md), or name one with --credentials FILE or $SWITCHYARD_TLS_BUNDLE.`),
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
export function openCore(address: string, timeout: number, tls?: TlsCredentials): CoreSession {
  const conn = connectExtensionClient(address, { tls });
  const client: ExtensionServiceClient = conn.client;
  const call = async <T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> => {
    try {
      return await fn(AbortSignal.timeout(timeout));
    } catch (err) {
      throw unreachable(address, err, timeout, tls !== undefined);
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
          throw unreachable(address, err, timeout, tls !== undefined);
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
