#!/usr/bin/env node
/*
 * A third-party Switchyard extension: follows core's model for one service cluster, renders it as a
 * JSON route table, writes that to a local file and submits it to core as `routes.json`.
 * Uses nothing but the published `@switchyard/proto` package and Node's built-ins.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { ProxyKind, configChecksum, type ExtensionServiceClient, type ProxyModel } from '@switchyard/proto';
import { connectExtensionClient, credentialsFromEnv, loadCredentials, type TlsCredentials } from '@switchyard/proto/client';
import { renderFiles } from './render.js';

/** Where the extension reports what it does; {@link jsonLogger} is the default. */
export interface Logger {
  info(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
  error(message: string, meta?: Record<string, unknown>): void;
}

/** A logger printing one JSON object per line (`{"level","message",...meta}`) to `out`. */
export function jsonLogger(out: { write(line: string): unknown } = process.stdout): Logger {
  const line = (level: string) => (message: string, meta: Record<string, unknown> = {}) => {
    out.write(`${JSON.stringify({ level, message, ...meta })}\n`);
  };
  return { info: line('info'), warn: line('warn'), error: line('error') };
}

/** What core answered to one submission. */
export interface Submission {
  modelVersion: number;
  accepted: boolean;
  reasons: string[];
  configName: string;
}

/** Options of {@link run}. */
export interface RunOptions {
  /** core's gRPC address, `host:port`. */
  core: string;
  /** Service cluster to follow ("" = the default cluster). */
  cluster: string;
  /** File the route table is written to (atomically, by rename). */
  out: string;
  /** Name registered with core (default `json-routes`); it must be the name in the credentials. */
  name?: string;
  /** Mutual TLS credentials issued by core for this extension (absent: plaintext, only for `InsecureControlPlane` cores). */
  tls?: TlsCredentials;
  /** Version reported at registration (default `0.1.0`). */
  version?: string;
  /** Default: {@link jsonLogger} on stdout. */
  logger?: Logger;
  /** Delays between reconnect attempts (default 500 ms doubling up to 10 s). */
  backoff?: { initialMs: number; maxMs: number };
  /** Called after core answered each submission (tests, metrics). */
  onSubmitted?: (submission: Submission) => void;
}

/** Core no longer knows our extension id (it restarted): register again. */
class RegistrationLost extends Error {}

async function writeAtomically(file: string, content: string): Promise<boolean> {
  const current = await readFile(file, 'utf8').catch(() => undefined);
  if (current === content) return false;
  await mkdir(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, content);
  await rename(tmp, file);
  return true;
}

/** Renders one model, writes the file, submits it; throws {@link RegistrationLost} when core forgot us. */
async function handleModel(
  client: ExtensionServiceClient,
  extensionId: string,
  model: ProxyModel,
  options: RunOptions,
  logger: Logger,
  signal: AbortSignal,
): Promise<void> {
  const { files, table, diagnostics } = renderFiles(model);
  for (const d of diagnostics) logger.warn(`render: ${d.message}`, { code: d.code, modelVersion: model.version });
  const [routes] = files;
  if (routes) {
    try {
      const written = await writeAtomically(options.out, routes.content);
      if (written) logger.info('route table written', { file: options.out, modelVersion: model.version, hosts: table.hosts.map((h) => h.host) });
    } catch (err) {
      logger.error('writing the route table failed', { file: options.out, error: (err as Error).message });
    }
  }
  const checksum = configChecksum(files);
  const res = await client.submitConfig({ extensionId, modelVersion: model.version, files, checksum }, { signal });
  options.onSubmitted?.({ modelVersion: model.version, ...res });
  if (res.accepted) {
    logger.info('config accepted', { modelVersion: model.version, configName: res.configName, checksum: checksum.slice(0, 12) });
    return;
  }
  if (res.reasons.some((r) => /unknown extension id/i.test(r))) {
    logger.warn('core does not know this extension any more; registering again', { modelVersion: model.version, reasons: res.reasons });
    throw new RegistrationLost('registration lost');
  }
  if (res.reasons.some((r) => r.startsWith('stale'))) {
    // A newer model exists; the stream delivers it next.
    logger.info('config superseded by a newer model', { modelVersion: model.version, reasons: res.reasons });
    return;
  }
  logger.warn('config rejected by core', { modelVersion: model.version, reasons: res.reasons });
}

/**
 * Runs the extension until `signal` aborts: registers with core as a `PROXY_KIND_OTHER` extension
 * for `options.cluster`, follows `WatchModel`, and for each model writes `options.out` and submits
 * `routes.json` with its `configChecksum`. Never throws for core being away: every failure (core
 * unreachable, stream broken or ended, registration lost) is logged and retried with exponential
 * backoff, registering again on every reconnect. Resolves once `signal` aborts.
 */
export async function run(options: RunOptions, signal: AbortSignal): Promise<void> {
  const logger = options.logger ?? jsonLogger();
  const backoff = options.backoff ?? { initialMs: 500, maxMs: 10_000 };
  const name = options.name ?? 'json-routes';
  let attempt = 0;
  while (!signal.aborted) {
    const conn = connectExtensionClient(options.core, { tls: options.tls });
    let why = 'model stream ended';
    try {
      const { extensionId } = await conn.client.register(
        { name, serviceCluster: options.cluster, proxyKind: ProxyKind.PROXY_KIND_OTHER, version: options.version ?? '0.1.0' },
        { signal },
      );
      logger.info('registered with core', { core: options.core, extensionId, serviceCluster: options.cluster });
      for await (const { model } of conn.client.watchModel({ serviceCluster: options.cluster, extensionId }, { signal })) {
        if (!model) continue;
        attempt = 0;
        await handleModel(conn.client, extensionId, model, options, logger, signal);
      }
    } catch (err) {
      if (signal.aborted) break;
      why = err instanceof RegistrationLost ? 'registration lost' : (err as Error).message;
    } finally {
      conn.close();
    }
    if (signal.aborted) break;
    const wait = Math.min(backoff.maxMs, backoff.initialMs * 2 ** attempt);
    attempt += 1;
    logger.warn('disconnected from core; reconnecting', { reason: why, retryInMs: wait, attempt });
    await delay(wait, undefined, { signal }).catch(() => undefined);
  }
}

/** Command-line help. */
export const USAGE = `usage: switchyard-json-routes --core HOST:PORT --out FILE [--cluster NAME] [--name NAME] [--credentials FILE]
  --core HOST:PORT  core's gRPC address
  --credentials FILE  credentials bundle core issued for this extension (default: $SWITCHYARD_TLS_BUNDLE);
                    get one with 'switchyard-core issue --role extension --name NAME --cluster CLUSTER'
  --out FILE        where to write the JSON route table
  --cluster NAME    service cluster to follow (default: the default cluster "")
  --name NAME       name to register with (default: json-routes)`;

/** Parses the command line; bad arguments come back as an error message, never thrown. */
export function parseCliArgs(argv: readonly string[]): { options: RunOptions } | { help: true } | { error: string } {
  let values: { core?: string; out?: string; cluster?: string; name?: string; credentials?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: { core: { type: 'string' }, out: { type: 'string' }, cluster: { type: 'string' }, name: { type: 'string' }, credentials: { type: 'string' }, help: { type: 'boolean' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    return { error: (err as Error).message };
  }
  if (values.help) return { help: true };
  if (!values.core) return { error: '--core HOST:PORT is required' };
  if (!values.out) return { error: '--out FILE is required' };
  let tls: TlsCredentials | undefined;
  try {
    tls = values.credentials ? loadCredentials({ bundle: values.credentials }) : credentialsFromEnv();
  } catch (err) {
    return { error: (err as Error).message };
  }
  return { options: { core: values.core, out: values.out, cluster: values.cluster ?? '', ...(values.name ? { name: values.name } : {}), ...(tls ? { tls } : {}) } };
}

async function main(): Promise<void> {
  const parsed = parseCliArgs(process.argv.slice(2));
  if ('help' in parsed) {
    console.log(USAGE);
    return;
  }
  if ('error' in parsed) {
    console.error(`${parsed.error}\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  const controller = new AbortController();
  for (const sig of ['SIGTERM', 'SIGINT'] as const) process.once(sig, () => controller.abort());
  const logger = jsonLogger();
  logger.info('starting', { core: parsed.options.core, serviceCluster: parsed.options.cluster, out: parsed.options.out });
  await run({ ...parsed.options, logger }, controller.signal);
  logger.info('stopped');
}

if (require.main === module) void main();
