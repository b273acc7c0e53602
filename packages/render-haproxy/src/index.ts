export { renderHaproxy, HAPROXY_CONFIG_FILE, type RenderResult } from './render.js';
export {
  buildHaproxyView,
  STATS_PATH,
  SERVER_INFO,
  DEFAULT_MAX_FILE_BYTES,
  MIN_MAX_FILE_BYTES,
  type HaproxyRenderOptions,
  type HaproxyView,
  type HaproxySection,
  type HaproxyPrintedSection,
} from './view-model.js';
export { HAPROXY_SPLIT_DIR } from './split.js';
export {
  parseHaproxyConfig,
  inspectHaproxyConfig,
  haproxyTime,
  HAPROXY_IGNORED_KEYS,
  HAPROXY_SSL_PROTOCOLS,
  haproxyConfigSchema,
  HAPROXY_CONFIG_DEFAULTS,
  HaproxyConfigError,
  type HaproxyConfig,
  type HaproxyConfigIssue,
  type IgnoredConfigKey,
} from './config.js';
export { renderer } from './renderer.js';
