/**
 * `renderHaproxy`: ProxyModel → haproxy.cfg (plus `switchyard.d/` files when it would be too large).
 */
import Handlebars from 'handlebars';
import { byteLength, oversizedFiles, partNumber } from '@switchyard/proto';
import type { ProxyModel, RenderedFile, RenderedFiles } from '@switchyard/proto';
import { HAPROXY_CFG_TEMPLATE } from './templates/haproxy-cfg.js';
import { HAPROXY_SPLIT_DIR, PART_COMMENT, splitLayout } from './split.js';
import { analyzeModel, bindLineProblems, certListFiles, printSection, singleFileSections } from './view-model.js';
import type { HaproxyRenderOptions, HaproxySection, HaproxyView } from './view-model.js';

/** Name of the main rendered file (`files[0].path`). */
export const HAPROXY_CONFIG_FILE = 'haproxy.cfg';

/** Output of a renderer: the files to write (the first is the main one) and what was wrong with the input. */
export type RenderResult = RenderedFiles;

/** What a `file-too-large` error says could not be split further. */
const UNSPLITTABLE = 'one section, table line or certificate list is too large to split further';

let compiled: Handlebars.TemplateDelegate<HaproxyView> | undefined;

function template(): Handlebars.TemplateDelegate<HaproxyView> {
  if (compiled === undefined) {
    const hbs = Handlebars.create();
    compiled = hbs.compile<HaproxyView>(HAPROXY_CFG_TEMPLATE, { strict: true, noEscape: true });
  }
  return compiled;
}

function print(header: string[], sections: HaproxySection[]): string {
  return template()({ header, sections: sections.map(printSection) });
}

/**
 * Renders a complete haproxy.cfg (HAProxy 2.6+) for a proxy model. Pure and deterministic: the same model
 * and options always give byte-identical output. Unsafe or inconsistent model values are skipped and
 * reported in `diagnostics`; this function does not throw for bad input.
 *
 * When the configuration fits in `options.maxFileBytes` (default 400,000 bytes) the result is one file,
 * `haproxy.cfg`, plus `switchyard.d/certificates.crt-list` when TLS is terminated (each certificate with
 * the hosts it is presented for). Otherwise `files[0]` is still `haproxy.cfg` and the other files (sorted by path) are
 * `switchyard.d/part-NNN.cfg` (backends) and `switchyard.d/*.map` (host, redirect, route and SNI
 * tables), each at most `maxFileBytes`; HAProxy must then be started with
 * `-f <dir>/haproxy.cfg -f <dir>/switchyard.d`. In either layout, a certificate list larger than
 * `maxFileBytes` becomes `switchyard.d/certificates-NNN.crt-list` files, all named by the terminating
 * bind line (a `too-many-certificate-lists` error when that line would pass HAProxy's 64 words).
 * @example
 * const { files, diagnostics } = renderHaproxy(model, { httpPort: 8080, httpsPort: 8443 });
 * // files[0].path === 'haproxy.cfg'
 */
export function renderHaproxy(model: ProxyModel, options: HaproxyRenderOptions = {}): RenderResult {
  const analysis = analyzeModel(model, options);
  const max = analysis.maxFileBytes;
  const certLists = certListFiles(analysis);
  const single = print(analysis.header, singleFileSections(analysis));
  if (byteLength(single) <= max) {
    const files = [{ path: HAPROXY_CONFIG_FILE, content: single }, ...certLists];
    return { files, diagnostics: [...analysis.diagnostics, ...oversizedFiles(files, max, UNSPLITTABLE), ...bindLineProblems(analysis)] };
  }

  const empty = byteLength(print([], []));
  const sectionBytes = (s: HaproxySection): number => byteLength(print([], [s])) - empty;
  const layout = splitLayout(analysis, sectionBytes, max, byteLength(print(analysis.header, [])));
  const partHeader = [...analysis.header, PART_COMMENT];
  const extra: RenderedFile[] = [
    ...layout.parts.map((sections, i) => ({ path: `${HAPROXY_SPLIT_DIR}/part-${partNumber(i)}.cfg`, content: print(partHeader, sections) })),
    ...layout.maps,
    ...certLists,
  ].sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
  const files = [{ path: HAPROXY_CONFIG_FILE, content: print([...analysis.header, ...layout.mainHeader], layout.main) }, ...extra];

  return { files, diagnostics: [...analysis.diagnostics, ...oversizedFiles(files, max, UNSPLITTABLE), ...bindLineProblems(analysis)] };
}
