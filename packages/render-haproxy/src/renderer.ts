import { ProxyKind, configParserOf, type Renderer } from '@switchyard/proto';
import { HaproxyConfigError, inspectHaproxyConfig, type HaproxyConfig } from './config.js';
import { HAPROXY_CONFIG_FILE, renderHaproxy } from './render.js';

/**
 * The HAProxy renderer behind the extension SDK's `Renderer` contract (`@switchyard/proto`):
 * kind `haproxy`, main file `haproxy.cfg`, `parseConfig` = {@link inspectHaproxyConfig} returning the
 * issues of a {@link HaproxyConfigError} instead of throwing it, `render` = {@link renderHaproxy} with
 * the parsed config.
 *
 * @example
 * const parsed = renderer.parseConfig({ MaxConnections: 4096 });
 * if (parsed.ok) renderer.render(model, parsed.config, { httpPort: 8080 }).files[0].path; // 'haproxy.cfg'
 */
export const renderer: Renderer<HaproxyConfig> = Object.freeze<Renderer<HaproxyConfig>>({
  kind: 'haproxy',
  proxyKind: ProxyKind.PROXY_KIND_HAPROXY,
  mainFile: HAPROXY_CONFIG_FILE,
  parseConfig: configParserOf(inspectHaproxyConfig, HaproxyConfigError),
  render: (model, config, options = {}) => renderHaproxy(model, { ...options, config }),
});
