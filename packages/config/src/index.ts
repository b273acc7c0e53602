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
  type ProxyKindName,
} from './core-config.js';
export { parseDuration, durationMs } from '@switchyard/duration';
