import { parseArgs } from 'node:util';
import { isProxyKindNameSyntax } from '@switchyard/proto';

/** The agent's settings from the environment (core sets them on the proxy service). */
export interface AgentEnv {
  coreAddress: string;
  proxyService: string;
  /** `nginx`, `haproxy` or a third-party kind (which comes with {@link commands}). */
  kind: string;
  bootConfigPath: string;
  /** How to run, check and reload a third-party proxy; undefined for nginx and HAProxy. */
  commands: ProxyCommands | undefined;
  taskId: string;
  nodeId: string;
  liveRoot: string;
  bootWaitMs: number | undefined;
  minReloadIntervalMs: number | undefined;
  logLevel: string;
}

/** A third-party proxy's commands (the `[Extensions.<name>]` keys core passes on). */
export interface ProxyCommands {
  /** `ProxyArgs`: runs the proxy in the foreground. */
  start: string[];
  /** `ProxyCheckCommand`, when given. */
  check: string[] | undefined;
  /** `ProxyReloadCommand` or `ProxyReloadSignal`. */
  reload: { command: string[] } | { signal: NodeJS.Signals };
  /** `ProxyStopSignal` (default SIGTERM). */
  stopSignal: NodeJS.Signals;
}

/** Where the stock images keep the main file, by proxy kind. */
export const DEFAULT_BOOT_CONFIG = { nginx: '/etc/nginx/nginx.conf', haproxy: '/etc/haproxy/haproxy.cfg' } as const;

/** The variables the agent reads, for the usage message. */
export const ENV_USAGE = `switchyard-proxy-agent: runs the proxy as its child and applies core's configurations in place.
  SWITCHYARD_CORE_ADDRESS            core's gRPC address, host:port (required)
  SWITCHYARD_PROXY_SERVICE           the proxy's Swarm service name (required)
  SWITCHYARD_PROXY_KIND              nginx | haproxy | another kind (required; the images set it)
  SWITCHYARD_BOOT_CONFIG             main file Docker mounted (default /etc/nginx/nginx.conf or /etc/haproxy/haproxy.cfg;
                                     required for other kinds, and it stands for the configuration in their commands)
  For another kind (core sets these from ProxyArgs, ProxyCheckCommand, ProxyReloadCommand/Signal, ProxyStopSignal):
  SWITCHYARD_PROXY_START             JSON array: runs the proxy in the foreground (required)
  SWITCHYARD_PROXY_CHECK             JSON array: checks a configuration (optional)
  SWITCHYARD_PROXY_RELOAD            JSON array: reloads the running proxy (this or SWITCHYARD_PROXY_RELOAD_SIGNAL)
  SWITCHYARD_PROXY_RELOAD_SIGNAL     signal that reloads the proxy, e.g. SIGHUP
  SWITCHYARD_PROXY_STOP_SIGNAL       graceful stop signal (default SIGTERM)
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
  const argv = (name: string): string[] | undefined => {
    const v = text(name);
    if (!v) return undefined;
    let parsed: unknown;
    try {
      parsed = JSON.parse(v);
    } catch {
      parsed = undefined;
    }
    if (Array.isArray(parsed) && parsed.length > 0 && parsed.every((a) => typeof a === 'string') && parsed[0] !== '') return parsed as string[];
    errors.push(`${name} must be a JSON array of strings naming a command, got ${JSON.stringify(v)}`);
    return undefined;
  };
  const signalName = (name: string): NodeJS.Signals | undefined => {
    const v = text(name);
    if (!v) return undefined;
    if (/^SIG[A-Z0-9]+$/.test(v)) return v as NodeJS.Signals;
    errors.push(`${name} must be a signal name like SIGHUP, got ${JSON.stringify(v)}`);
    return undefined;
  };
  const kind = required('SWITCHYARD_PROXY_KIND');
  if (kind && !isProxyKindNameSyntax(kind)) errors.push(`SWITCHYARD_PROXY_KIND must be nginx, haproxy or another lower-case kind name, got ${JSON.stringify(kind)}`);
  const builtIn = kind === 'nginx' || kind === 'haproxy' ? kind : undefined;
  const bootConfigPath = text('SWITCHYARD_BOOT_CONFIG') || (builtIn ? DEFAULT_BOOT_CONFIG[builtIn] : '');
  if (!bootConfigPath) {
    if (kind) errors.push(`SWITCHYARD_BOOT_CONFIG is required for a proxy of kind ${JSON.stringify(kind)}`);
  } else if (!bootConfigPath.startsWith('/')) errors.push('SWITCHYARD_BOOT_CONFIG must be an absolute path');
  let commands: ProxyCommands | undefined;
  if (kind && !builtIn) {
    const start = argv('SWITCHYARD_PROXY_START');
    if (!start && !text('SWITCHYARD_PROXY_START')) errors.push(`SWITCHYARD_PROXY_START is required for a proxy of kind ${JSON.stringify(kind)} (the command that runs it)`);
    const reloadCommand = argv('SWITCHYARD_PROXY_RELOAD');
    const reloadSignal = signalName('SWITCHYARD_PROXY_RELOAD_SIGNAL');
    if (reloadCommand && reloadSignal) errors.push('set SWITCHYARD_PROXY_RELOAD or SWITCHYARD_PROXY_RELOAD_SIGNAL, not both');
    if (!reloadCommand && !reloadSignal && !text('SWITCHYARD_PROXY_RELOAD') && !text('SWITCHYARD_PROXY_RELOAD_SIGNAL')) {
      errors.push(`SWITCHYARD_PROXY_RELOAD or SWITCHYARD_PROXY_RELOAD_SIGNAL is required for a proxy of kind ${JSON.stringify(kind)} (how it reloads in place)`);
    }
    const reload = reloadCommand ? { command: reloadCommand } : reloadSignal ? { signal: reloadSignal } : undefined;
    if (start && reload) commands = { start, check: argv('SWITCHYARD_PROXY_CHECK'), reload, stopSignal: signalName('SWITCHYARD_PROXY_STOP_SIGNAL') ?? 'SIGTERM' };
  }
  const liveRoot = text('SWITCHYARD_LIVE_DIR') || '/run/switchyard';
  if (!liveRoot.startsWith('/')) errors.push('SWITCHYARD_LIVE_DIR must be an absolute path');
  const result: AgentEnv = {
    coreAddress,
    proxyService,
    kind,
    bootConfigPath,
    commands,
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
