import { parseArgs } from 'node:util';
import { credentialsFromEnv, jsonLogger, loadCredentials, type ExtensionLogger, type TlsCredentials } from '@switchyard/extension-sdk';
import { DEFAULT_HTTP_PORT } from './render.js';
import { DEFAULT_EXTENSION_NAME, run, type RunOptions } from './run.js';

/** The only `--proxy` value this extension accepts (core passes `--proxy <ProxyKind>`). */
export const PROXY_KIND = 'caddy';

/** Command-line help. */
export const USAGE = `usage: switchyard-caddy-extension --core HOST:PORT [--cluster NAME] [--name NAME] [--proxy caddy]
                                  [--credentials FILE] [--http-port PORT]
  --core HOST:PORT    core's gRPC address
  --cluster NAME      service cluster to follow (default: the default cluster "")
  --name NAME         name to register with (default: ${DEFAULT_EXTENSION_NAME}); with TLS, the name in the credentials
  --proxy KIND        proxy kind core deploys this extension for; only "${PROXY_KIND}" is accepted
  --credentials FILE  PEM bundle core issued for this extension (default: $SWITCHYARD_TLS_BUNDLE, or
                      $SWITCHYARD_TLS_CA + $SWITCHYARD_TLS_CERT + $SWITCHYARD_TLS_KEY; none: plaintext)
  --http-port PORT    port Caddy serves HTTP on (default: httpPort of $SWITCHYARD_PROXY_OPTIONS, else ${DEFAULT_HTTP_PORT})
  --help              this text
  $SWITCHYARD_PROXY_OPTIONS is the JSON core sets on the extension service: {"httpPort": 80, ...}`;

/** What {@link parseCliArgs} returns; `usage` says whether to print {@link USAGE} with the error. */
export type ParsedCli = { options: RunOptions } | { help: true } | { error: string; usage: boolean };

const PORT_TEXT = /^[0-9]{1,5}$/;
const isPort = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= 65535;

/** The `httpPort` of `$SWITCHYARD_PROXY_OPTIONS` (undefined when absent), or an error message. */
function proxyOptionsHttpPort(json: string | undefined): { httpPort: number | undefined } | { error: string } {
  if (json === undefined || json.trim() === '') return { httpPort: undefined };
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (err) {
    return { error: `SWITCHYARD_PROXY_OPTIONS is not valid JSON: ${(err as Error).message}` };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { error: 'SWITCHYARD_PROXY_OPTIONS must be a JSON object' };
  const httpPort = (parsed as { httpPort?: unknown }).httpPort;
  if (httpPort === undefined || httpPort === null) return { httpPort: undefined };
  if (!isPort(httpPort)) return { error: `SWITCHYARD_PROXY_OPTIONS.httpPort must be an integer 1-65535, got ${JSON.stringify(httpPort)}` };
  return { httpPort };
}

/**
 * Reads the command line strictly (an unknown flag or a non-empty stray argument is an error; empty
 * stray arguments are dropped, as core's `Args = [""]` gives them) plus `$SWITCHYARD_PROXY_OPTIONS`
 * and the credentials. Never throws: a problem comes back as `{ error }`.
 */
export function parseCliArgs(argv: readonly string[], env: Readonly<Record<string, string | undefined>> = {}): ParsedCli {
  let values: { core?: string; cluster: string; name: string; proxy?: string; credentials?: string; 'http-port'?: string; help: boolean };
  try {
    const parsed = parseArgs({
      args: [...argv],
      options: {
        core: { type: 'string' },
        cluster: { type: 'string', default: '' },
        name: { type: 'string', default: DEFAULT_EXTENSION_NAME },
        proxy: { type: 'string' },
        credentials: { type: 'string' },
        'http-port': { type: 'string' },
        help: { type: 'boolean', default: false },
      },
      strict: true,
      allowPositionals: true,
    });
    const stray = parsed.positionals.find((p) => p !== '');
    if (stray !== undefined) return { error: `Unexpected argument '${stray}'`, usage: true };
    values = parsed.values;
  } catch (err) {
    return { error: (err as Error).message, usage: true };
  }
  if (values.help) return { help: true };
  if (!values.core) return { error: '--core HOST:PORT is required', usage: true };
  if (values.proxy !== undefined && values.proxy !== PROXY_KIND) {
    return { error: `--proxy ${JSON.stringify(values.proxy)}: this extension renders Caddy configuration only (--proxy ${PROXY_KIND}); set ProxyKind = "${PROXY_KIND}" in [Extensions.<name>]`, usage: true };
  }
  if (!values.name) return { error: '--name must not be empty', usage: true };
  let httpPort: number;
  const flag = values['http-port'];
  if (flag !== undefined) {
    if (!PORT_TEXT.test(flag) || !isPort(Number(flag))) return { error: `--http-port must be an integer 1-65535, got ${JSON.stringify(flag)}`, usage: true };
    httpPort = Number(flag);
  } else {
    const fromEnv = proxyOptionsHttpPort(env.SWITCHYARD_PROXY_OPTIONS);
    if ('error' in fromEnv) return { error: fromEnv.error, usage: false };
    httpPort = fromEnv.httpPort ?? DEFAULT_HTTP_PORT;
  }
  let credentials: TlsCredentials | undefined;
  try {
    credentials = values.credentials !== undefined ? loadCredentials({ bundle: values.credentials }) : credentialsFromEnv(env);
  } catch (err) {
    return { error: `cannot load the control-plane credentials: ${(err as Error).message}`, usage: false };
  }
  return { options: { core: values.core, cluster: values.cluster, name: values.name, httpPort, ...(credentials ? { credentials } : {}) } };
}

/** What {@link cliMain} writes to and stops on. */
export interface CliIo {
  /** Help text. */
  out(text: string): void;
  /** Command-line errors. */
  err(text: string): void;
  /** Stops the extension (the entrypoint passes `abortOnSignals()`). */
  signal: AbortSignal;
  /** Default: {@link jsonLogger} on stdout. */
  logger?: ExtensionLogger;
}

/**
 * The command: parses `argv` and `env`, then runs the extension until `io.signal` aborts. Resolves
 * to the exit code (0, or 2 for a bad command line, environment or credentials); never calls
 * `process.exit` and never rejects.
 */
export async function cliMain(argv: readonly string[], env: Readonly<Record<string, string | undefined>>, io: CliIo): Promise<number> {
  const parsed = parseCliArgs(argv, env);
  if ('help' in parsed) {
    io.out(USAGE);
    return 0;
  }
  if ('error' in parsed) {
    io.err(parsed.usage ? `${parsed.error}\n${USAGE}` : parsed.error);
    return 2;
  }
  const logger = io.logger ?? jsonLogger();
  const { options } = parsed;
  if (!options.credentials) {
    logger.warn('no control-plane credentials (--credentials or SWITCHYARD_TLS_BUNDLE): connecting without TLS, which only a core with InsecureControlPlane = true accepts');
  }
  logger.info('starting', { core: options.core, serviceCluster: options.cluster, name: options.name, httpPort: options.httpPort });
  try {
    await run({ ...options, logger }, io.signal);
  } catch (err) {
    logger.error(`cannot run: ${(err as Error).message}`);
    return 2;
  }
  logger.info('stopped');
  return 0;
}
