import { ProxyKind, type ParsedRendererConfig, type Renderer } from '@switchyard/proto';
import { NginxConfigError, inspectNginxConfig, type NginxConfig } from './config.js';
import { NGINX_CONF_PATH, renderNginx } from './render.js';

/**
 * Parses an nginx extension's `Config` table as {@link inspectNginxConfig} does, returning the
 * problems instead of throwing {@link NginxConfigError}.
 */
function parseConfig(table: unknown): ParsedRendererConfig<NginxConfig> {
  try {
    const { config, ignored } = inspectNginxConfig(table);
    return { ok: true, config, ignored };
  } catch (err) {
    if (err instanceof NginxConfigError) return { ok: false, code: err.code, message: err.message, issues: err.issues };
    throw err;
  }
}

/**
 * The nginx renderer behind the extension SDK's `Renderer` contract (`@switchyard/proto`):
 * kind `nginx`, main file `nginx.conf`, `parseConfig` = {@link inspectNginxConfig} without throwing,
 * `render` = {@link renderNginx} with the parsed config.
 *
 * @example
 * const parsed = renderer.parseConfig({ WorkerProcesses: 2 });
 * if (parsed.ok) renderer.render(model, parsed.config, { httpPort: 8080 }).files[0].path; // 'nginx.conf'
 */
export const renderer: Renderer<NginxConfig> = Object.freeze<Renderer<NginxConfig>>({
  kind: 'nginx',
  proxyKind: ProxyKind.PROXY_KIND_NGINX,
  mainFile: NGINX_CONF_PATH,
  parseConfig,
  render: (model, config, options = {}) => renderNginx(model, { ...options, config }),
});
