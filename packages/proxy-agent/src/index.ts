export { runProxyAgent, DEFAULT_RECONNECT_BACKOFF, type ProxyAgentOptions, type ProxyConfigClient, type CoreConnection } from './agent.js';
export {
  nginxDriver,
  haproxyDriver,
  commandDriver,
  runCommand,
  trimOutput,
  MAX_OUTPUT_CHARS,
  type ProxyDriver,
  type ProxyDriverBase,
  type SignalReloadDriver,
  type CommandReloadDriver,
  type DriverOptions,
  type CommandDriverOptions,
  type ReloadMethod,
  type ValidationResult,
  type CommandRunner,
} from './driver.js';
export { LiveConfigStore, UnsafeConfigPathError, safeRelativePath, type LiveConfigStoreOptions, type ConfigFile, type Generation } from './store.js';
export { spawnProxy, exitCodeOf, type ProxyChild, type ProxyExit, type SpawnProxy } from './process.js';
export { childProcesses, catchesSignal, type ProcEntry } from './proc.js';
export { silentLogger, type AgentLogger } from './logger.js';
