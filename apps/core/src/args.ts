import { parseArgs } from 'node:util';
import { ROLES, type Role } from '@switchyard/proto';

/** core's usage text (printed with `--help` and after a command-line error). */
export const USAGE = `usage: switchyard-core [--config FILE | --config-object NAME]
       switchyard-core issue --role operator|extension|proxy --name NAME [--cluster CLUSTER] [--config FILE]
  --config FILE          read the TOML config from FILE (default: $SWITCHYARD_CONFIG or /config.toml)
  --config-object NAME   read it from the Docker Config object NAME (as Interlock does)
  issue                  print a credentials bundle (certificate, key, CA) signed by this core's
                         control-plane CA; run it inside core's container (docker exec), e.g. an
                         operator certificate for the CLI, or one for a third-party extension
environment: SWITCHYARD_CONFIG, SWITCHYARD_LOG_LEVEL (error|warn|info|debug), SWITCHYARD_CA_FILE,
  SWITCHYARD_PKI_DIR`;

/** Where core reads its TOML: a file, or a Docker Config object. */
export type ConfigSource = { file: string } | { object: string };

/** What core's command line asks for. */
export type CoreCommand =
  | { command: 'help' }
  | { command: 'run'; config: ConfigSource }
  | { command: 'issue'; role: Exclude<Role, 'core'>; name: string; cluster: string; configFile: string };

/** Default config file when neither `--config` nor `$SWITCHYARD_CONFIG` names one. */
export const DEFAULT_CONFIG_FILE = '/config.toml';

/**
 * Parses core's command line strictly (node:util `parseArgs`, as the extension does): an unknown
 * flag, a stray argument or a missing value is an error, for which the caller prints the message and
 * {@link USAGE} and exits 2. Empty stray arguments are skipped (Interlock's `Args = [""]`). Reads
 * only `SWITCHYARD_CONFIG` from `env`. Never throws, never exits.
 */
export function parseCoreArgs(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): CoreCommand | { error: string } {
  // Only stray empty arguments are dropped (after parsing): an empty option value such as
  // `--cluster ""` (the default service cluster) is a value.
  const args = [...argv];
  while (args[0] === '') args.shift();
  const issue = args[0] === 'issue';
  let values: Record<string, string | boolean | undefined>;
  try {
    const parsed = parseArgs({
      args: issue ? args.slice(1) : args,
      allowPositionals: true,
      strict: true,
      options: issue
        ? { role: { type: 'string' }, name: { type: 'string' }, cluster: { type: 'string', default: '' }, config: { type: 'string' }, help: { type: 'boolean', default: false } }
        : { config: { type: 'string' }, 'config-object': { type: 'string' }, help: { type: 'boolean', default: false } },
    });
    const stray = parsed.positionals.find((p) => p !== '');
    if (stray !== undefined) return { error: `Unexpected argument '${stray}'` };
    values = parsed.values as Record<string, string | boolean | undefined>;
  } catch (err) {
    return { error: (err as Error).message };
  }
  if (values.help === true) return { command: 'help' };
  const configFile = (typeof values.config === 'string' ? values.config : undefined) ?? env.SWITCHYARD_CONFIG ?? DEFAULT_CONFIG_FILE;
  if (issue) {
    const role = values.role as Role | undefined;
    const name = values.name;
    if (role === undefined || !ROLES.includes(role) || role === 'core') return { error: `issue: --role must be one of ${ROLES.filter((r) => r !== 'core').join(', ')}` };
    if (typeof name !== 'string' || name === '') return { error: 'issue: --name is required' };
    return { command: 'issue', role, name, cluster: String(values.cluster ?? ''), configFile };
  }
  const object = values['config-object'];
  if (typeof object === 'string') {
    if (values.config !== undefined) return { error: 'give --config or --config-object, not both' };
    if (object === '') return { error: '--config-object needs a Docker Config name' };
    return { command: 'run', config: { object } };
  }
  return { command: 'run', config: { file: configFile } };
}
