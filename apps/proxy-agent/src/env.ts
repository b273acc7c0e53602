import { parseArgs } from 'node:util';

/** The agent's settings from the environment (core sets them on the proxy service). */
export interface AgentEnv {
  coreAddress: string;
  proxyService: string;
  kind: 'nginx' | 'haproxy';
  bootConfigPath: string;
  taskId: string;
  nodeId: string;
  liveRoot: string;
  bootWaitMs: number | undefined;
  minReloadIntervalMs: number | undefined;
  logLevel: string;
}

/** Where the stock images keep the main file, by proxy kind. */
export const DEFAULT_BOOT_CONFIG = { nginx: '/etc/nginx/nginx.conf', haproxy: '/etc/haproxy/haproxy.cfg' } as const;

/** The variables the agent reads, for the usage message. */
export const ENV_USAGE = `switchyard-proxy-agent: runs the proxy as its child and applies core's configurations in place.
  SWITCHYARD_CORE_ADDRESS            core's gRPC address, host:port (required)
  SWITCHYARD_PROXY_SERVICE           the proxy's Swarm service name (required)
  SWITCHYARD_PROXY_KIND              nginx | haproxy (required; the images set it)
  SWITCHYARD_BOOT_CONFIG             main file Docker mounted (default /etc/nginx/nginx.conf or /etc/haproxy/haproxy.cfg)
  SWITCHYARD_TASK_ID, SWITCHYARD_NODE_ID   this replica ({{.Task.ID}}, {{.Node.ID}})
  SWITCHYARD_LIVE_DIR                generations and the live symlink (default /run/switchyard)
  SWITCHYARD_BOOT_WAIT_MS            wait for core's first configuration at start (default 3000)
  SWITCHYARD_RELOAD_MIN_INTERVAL_MS  at most one reload per interval (default 250)
  SWITCHYARD_LOG_LEVEL               error | warn | info | debug (default info)`;

/**
 * Reads the agent's settings. Returns the settings, or the list of problems (each names the
 * variable); never throws.
 */
export function readAgentEnv(env: Readonly<Record<string, string | undefined>>): { env: AgentEnv; errors: [] } | { env: undefined; errors: string[] } {
  const errors: string[] = [];
  const text = (name: string): string => (env[name] ?? '').trim();
  const required = (name: string): string => {
    const v = text(name);
    if (!v) errors.push(`${name} is required`);
    return v;
  };
  const millis = (name: string): number | undefined => {
    const v = text(name);
    if (!v) return undefined;
    if (!/^\d{1,9}$/.test(v)) {
      errors.push(`${name} must be a whole number of milliseconds, got ${JSON.stringify(v)}`);
      return undefined;
    }
    return Number(v);
  };
  const coreAddress = required('SWITCHYARD_CORE_ADDRESS');
  const proxyService = required('SWITCHYARD_PROXY_SERVICE');
  const kindText = required('SWITCHYARD_PROXY_KIND');
  if (kindText && kindText !== 'nginx' && kindText !== 'haproxy') errors.push(`SWITCHYARD_PROXY_KIND must be nginx or haproxy, got ${JSON.stringify(kindText)}`);
  const kind = kindText === 'haproxy' ? 'haproxy' : 'nginx';
  const bootConfigPath = text('SWITCHYARD_BOOT_CONFIG') || DEFAULT_BOOT_CONFIG[kind];
  if (!bootConfigPath.startsWith('/')) errors.push('SWITCHYARD_BOOT_CONFIG must be an absolute path');
  const liveRoot = text('SWITCHYARD_LIVE_DIR') || '/run/switchyard';
  if (!liveRoot.startsWith('/')) errors.push('SWITCHYARD_LIVE_DIR must be an absolute path');
  const result: AgentEnv = {
    coreAddress,
    proxyService,
    kind,
    bootConfigPath,
    taskId: text('SWITCHYARD_TASK_ID'),
    nodeId: text('SWITCHYARD_NODE_ID'),
    liveRoot,
    bootWaitMs: millis('SWITCHYARD_BOOT_WAIT_MS'),
    minReloadIntervalMs: millis('SWITCHYARD_RELOAD_MIN_INTERVAL_MS'),
    logLevel: text('SWITCHYARD_LOG_LEVEL') || 'info',
  };
  return errors.length > 0 ? { env: undefined, errors } : { env: result, errors: [] };
}

/**
 * The agent's command line: only `--help`; its settings are the variables of {@link ENV_USAGE}. Parsed
 * strictly with node:util `parseArgs` (as the extension does): an unknown flag or a stray argument is
 * an error, for which the caller prints it with the usage and exits 2. Empty arguments are skipped.
 * Never throws.
 */
export function readAgentArgs(argv: readonly string[]): { help: boolean } | { error: string } {
  try {
    const { values, positionals } = parseArgs({ args: [...argv], allowPositionals: true, strict: true, options: { help: { type: 'boolean', default: false } } });
    const stray = positionals.find((p) => p !== '');
    if (stray !== undefined) return { error: `Unexpected argument '${stray}' (the agent's settings are SWITCHYARD_* variables)` };
    return { help: values.help };
  } catch (err) {
    return { error: (err as Error).message };
  }
}
