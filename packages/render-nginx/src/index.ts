export { renderNginx, NGINX_CONF_PATH, NGINX_SPLIT_DIR, NGINX_PART_GLOB, NGINX_STREAM_DIR, NGINX_STREAM_PART_GLOB, NGINX_SNI_MAP_GLOB } from './render.js';
export { DEFAULT_MAX_FILE_BYTES, MIN_MAX_FILE_BYTES, type NginxRenderOptions, type RenderResult } from './types.js';
export {
  parseNginxConfig,
  inspectNginxConfig,
  nginxMsecTime,
  nginxMsecTimeMs,
  cipherListProblem,
  NGINX_IGNORED_KEYS,
  NGINX_SSL_PROTOCOLS,
  nginxConfigSchema,
  NginxConfigError,
  NGINX_CONFIG_DEFAULTS,
  DEFAULT_MAIN_LOG_FORMAT,
  DEFAULT_TRACE_LOG_FORMAT,
  type NginxConfig,
  type NginxConfigKey,
  type NginxConfigIssue,
  type IgnoredConfigKey,
} from './config.js';
export { SERVER_INFO, STATUS_PATH, CA_BUNDLE_PATH, MODULES_INCLUDE, TLS_SOCKET_NAME } from './view-model.js';
export { renderer } from './renderer.js';
