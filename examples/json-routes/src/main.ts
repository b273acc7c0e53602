#!/usr/bin/env node
/*
 * A third-party Switchyard extension: follows core's model for one service cluster, renders it as a
 * JSON route table, writes that to a local file and submits it to core as `routes.json`. The loop
 * (register, watch, submit with checksum, reconnect with backoff) is `runExtension` of the published
 * `@switchyard/extension-sdk`; this file only reads the command line and writes the file.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { abortOnSignals, credentialsFromEnv, jsonLogger, loadCredentials, runExtension, type ExtensionCommonOptions, type RenderedFiles, type TlsCredentials } from '@switchyard/extension-sdk';
import { renderFiles } from './render.js';

/** Options of {@link run}: where core is, what to follow, where to write; the rest as `runExtension` takes it. */
export interface RunOptions extends Pick<ExtensionCommonOptions<RenderedFiles>, 'logger' | 'backoff' | 'onSubmitted' | 'version'> {
  core: string;
  /** Service cluster to follow ("" = the default cluster). */
  cluster: string;
  /** File the route table is written to (atomically, by rename). */
  out: string;
  /** Name registered with core (default `json-routes`); it must be the name in the credentials. */
  name?: string;
  /** Credentials core issued for this extension (absent: plaintext, only for `InsecureControlPlane` cores). */
  tls?: TlsCredentials;
}

/** Writes `content` to `file` by rename, unless the file already holds it; true when written. */
async function writeAtomically(file: string, content: string): Promise<boolean> {
  if ((await readFile(file, 'utf8').catch(() => undefined)) === content) return false;
  await mkdir(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, content);
  await rename(tmp, file);
  return true;
}

/**
 * Runs the extension until `signal` aborts: `runExtension` with {@link renderFiles} as a
 * `PROXY_KIND_OTHER` extension for `options.cluster`, writing `out` before each submission.
 * Never throws for core being away; resolves once `signal` aborts.
 */
export async function run(options: RunOptions, signal: AbortSignal): Promise<void> {
  const logger = options.logger ?? jsonLogger();
  const { core, cluster, out, name = 'json-routes', tls, version = '0.1.0', ...rest } = options;
  await runExtension({
    ...rest,
    coreAddress: core,
    name,
    cluster,
    credentials: tls,
    version,
    render: renderFiles,
    onRendered: async ({ files: [routes], table }, model) => {
      if (!routes) return;
      try {
        if (await writeAtomically(out, routes.content)) logger.info('route table written', { file: out, modelVersion: model.version, hosts: table.hosts.map((h) => h.host) });
      } catch (err) {
        logger.error('writing the route table failed', { file: out, error: (err as Error).message });
      }
    },
    logger,
    signal,
  });
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
  if ('help' in parsed) return void console.log(USAGE);
  if ('error' in parsed) {
    console.error(`${parsed.error}\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  const logger = jsonLogger();
  logger.info('starting', { core: parsed.options.core, serviceCluster: parsed.options.cluster, out: parsed.options.out });
  await run({ ...parsed.options, logger }, abortOnSignals());
  logger.info('stopped');
}

if (require.main === module) void main();
