export {
  parseCoreConfig,
  describeIgnoredKeys,
  keyNotice,
  IGNORED_KEY,
  REPLACED_KEY,
  CoreConfigError,
  IGNORED_EXTENSION_KEYS,
  DEFAULT_EXTENSION_IMAGE,
  type CoreConfig,
  type ExtensionConfig,
  type IgnoredKey,
} from './core-config.js';
export { RENDERERS, PROXY_KIND_NAMES, isProxyKindName, type ProxyKindName } from './renderers.js';
export { parseDuration, durationMs } from '@switchyard/duration';
