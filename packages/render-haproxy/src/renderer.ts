import { ProxyKind, type ParsedRendererConfig, type Renderer } from '@switchyard/proto';
import { HaproxyConfigError, inspectHaproxyConfig, type HaproxyConfig } from './config.js';
import { HAPROXY_CONFIG_FILE, renderHaproxy } from './render.js';

/**
 * Parses an HAProxy extension's `Config` table as {@link inspectHaproxyConfig} does, returning the
 * problems instead of throwing {@link HaproxyConfigError}.
 */
function parseConfig(table: unknown): ParsedRendererConfig<HaproxyConfig> {
  try {
    const { config, ignored } = inspectHaproxyConfig(table);
    return { ok: true, config, ignored };
  } catch (err) {
    if (err instanceof HaproxyConfigError) return { ok: false, code: err.code, message: err.message, issues: err.issues };
    throw err;
  }
}

/**
 * The HAProxy renderer behind the extension SDK's `Renderer` contract (`@switchyard/proto`):
 * kind `haproxy`, main file `haproxy.cfg`, `parseConfig` = {@link inspectHaproxyConfig} without
 * throwing, `render` = {@link renderHaproxy} with the parsed config.
 *
 * @example
 * const parsed = renderer.parseConfig({ MaxConnections: 4096 });
 * if (parsed.ok) renderer.render(model, parsed.config, { httpPort: 8080 }).files[0].path; // 'haproxy.cfg'
 */
export const renderer: Renderer<HaproxyConfig> = Object.freeze<Renderer<HaproxyConfig>>({
  kind: 'haproxy',
  proxyKind: ProxyKind.PROXY_KIND_HAPROXY,
  mainFile: HAPROXY_CONFIG_FILE,
  parseConfig,
  render: (model, config, options = {}) => renderHaproxy(model, { ...options, config }),
});
