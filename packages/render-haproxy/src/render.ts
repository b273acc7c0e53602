/**
 * `renderHaproxy`: ProxyModel → haproxy.cfg.
 */
import Handlebars from 'handlebars';
import type { Diagnostic, ProxyModel, RenderedFile } from '@switchyard/proto';
import { HAPROXY_CFG_TEMPLATE } from './templates/haproxy-cfg.js';
import { buildHaproxyView } from './view-model.js';
import type { HaproxyRenderOptions, HaproxyView } from './view-model.js';

/** Name of the main rendered file (`files[0].path`). */
export const HAPROXY_CONFIG_FILE = 'haproxy.cfg';

/** Output of a renderer: the files to write (the first is the main one) and what was wrong with the input. */
export interface RenderResult {
  files: RenderedFile[];
  diagnostics: Diagnostic[];
}

let compiled: Handlebars.TemplateDelegate<HaproxyView> | undefined;

function template(): Handlebars.TemplateDelegate<HaproxyView> {
  if (compiled === undefined) {
    const hbs = Handlebars.create();
    compiled = hbs.compile<HaproxyView>(HAPROXY_CFG_TEMPLATE, { strict: true, noEscape: true });
  }
  return compiled;
}

/**
 * Renders a complete haproxy.cfg (HAProxy 2.6+) for a proxy model. Pure and deterministic: the same model
 * and options always give byte-identical output. Unsafe or inconsistent model values are skipped and
 * reported in `diagnostics`; this function does not throw for bad input.
 * @example
 * const { files, diagnostics } = renderHaproxy(model, { httpPort: 8080, httpsPort: 8443 });
 * // files[0].path === 'haproxy.cfg'
 */
export function renderHaproxy(model: ProxyModel, options: HaproxyRenderOptions = {}): RenderResult {
  const { view, diagnostics } = buildHaproxyView(model, options);
  const content = template()(view);
  return { files: [{ path: HAPROXY_CONFIG_FILE, content }], diagnostics };
}
