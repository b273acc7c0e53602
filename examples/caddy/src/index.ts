export {
  CADDY_FILE,
  CADDY_SERVER_NAME,
  CaddyRenderOptionsError,
  DEFAULT_ADMIN_ADDRESS,
  DEFAULT_HTTP_PORT,
  buildCaddyConfig,
  endpointDial,
  hostMatcher,
  matchingOrder,
  pathPatterns,
  renderCaddy,
  resolveRenderOptions,
  type CaddyRenderOptions,
  type CaddyRenderResult,
} from './render.js';
export type { CaddyConfig, CaddyHandler, CaddyMatcherSet, CaddyRoute, CaddyServer, ReverseProxyHandler, RewriteHandler, StaticResponseHandler } from './caddy-types.js';
export { DEFAULT_EXTENSION_NAME, run, type RunOptions } from './run.js';
export { PROXY_KIND, USAGE, cliMain, parseCliArgs, type CliIo, type ParsedCli } from './cli.js';
