import { ProxyKind, configParserOf, type Renderer } from '@switchyard/proto';
import { NginxConfigError, inspectNginxConfig, type NginxConfig } from './config.js';
import { NGINX_CONF_PATH, renderNginx } from './render.js';

/**
 * The nginx renderer behind the extension SDK's `Renderer` contract (`@switchyard/proto`):
 * kind `nginx`, main file `nginx.conf`, `parseConfig` = {@link inspectNginxConfig} returning the issues
 * of a {@link NginxConfigError} instead of throwing it, `render` = {@link renderNginx} with the parsed config.
 *
 * @example
 * const parsed = renderer.parseConfig({ WorkerProcesses: 2 });
 * if (parsed.ok) renderer.render(model, parsed.config, { httpPort: 8080 }).files[0].path; // 'nginx.conf'
 */
export const renderer: Renderer<NginxConfig> = Object.freeze<Renderer<NginxConfig>>({
  kind: 'nginx',
  proxyKind: ProxyKind.PROXY_KIND_NGINX,
  mainFile: NGINX_CONF_PATH,
  parseConfig: configParserOf(inspectNginxConfig, NginxConfigError),
  render: (model, config, options = {}) => renderNginx(model, { ...options, config }),
});
