import Handlebars from 'handlebars';
import type { ProxyModel } from '@switchyard/proto';
import { NGINX_CONF_TEMPLATE } from './templates/nginx-conf.js';
import type { NginxRenderOptions, RenderResult } from './types.js';
import { buildNginxView, type NginxView } from './view-model.js';

/** Path of the main rendered file (relative to the proxy's configuration directory). */
export const NGINX_CONF_PATH = 'nginx.conf';

let compiled: Handlebars.TemplateDelegate<NginxView> | undefined;

function template(): Handlebars.TemplateDelegate<NginxView> {
  if (!compiled) {
    const hbs = Handlebars.create();
    const options = { strict: true, noEscape: true, knownHelpersOnly: true, data: false } as const;
    compiled = hbs.compile<NginxView>(NGINX_CONF_TEMPLATE, options);
  }
  return compiled;
}

/**
 * Renders a complete nginx.conf for a proxy model.
 *
 * Pure and deterministic: the same model and options give byte-identical output. Nothing from
 * the model is trusted: unsafe hosts, paths, names, cookies, URLs and file names are skipped and
 * reported in `diagnostics` (code `unsafe-value`); the function never throws for bad input.
 *
 * @param model the proxy model of one service cluster
 * @param options Interlock config values, listener ports, secrets directory and proxy id
 * @returns `files[0]` is `nginx.conf`; `diagnostics` lists what was skipped or adjusted
 */
export function renderNginx(model: ProxyModel, options: NginxRenderOptions = {}): RenderResult {
  const { view, diagnostics } = buildNginxView(model, options);
  const content = template()(view);
  return { files: [{ path: NGINX_CONF_PATH, content }], diagnostics };
}
