import { parseArgs } from 'node:util';
import { PROXY_KIND_NAMES, RENDERERS, isProxyKindName, type ProxyKindName } from '@switchyard/config';
import type { Renderer, RendererOptions } from '@switchyard/extension-sdk';

/** Command-line help. */
export const USAGE = `usage: switchyard-extension --core HOST:PORT [--proxy ${PROXY_KIND_NAMES.join('|')}] [--cluster NAME] [--name NAME]
  proxy options (Interlock's [Extensions.*.Config] table plus ports) come as JSON in
  $SWITCHYARD_PROXY_OPTIONS: {"config": {...}, "httpPort": 80, "httpsPort": 443, "publishedHttpsPort": 443}`;

/** What the extension runs with, from its command line and `$SWITCHYARD_PROXY_OPTIONS`. */
export interface ExtensionSettings {
  core: string;
  proxy: ProxyKindName;
  cluster: string;
  name: string;
  renderer: Renderer;
  /** The proxy's `Config` table, parsed by its renderer. */
  config: unknown;
  renderOptions: RendererOptions;
}

/**
 * Reads the command line strictly (an unknown flag or a stray argument is an error; empty stray
 * arguments are allowed, Interlock's default `Args = [""]`; a flag's value may be empty) and the
 * proxy options, and picks the renderer from `RENDERERS` by `--proxy`. Never throws: a problem comes
 * back as `{ error }` (exit code 2), with `usage` set for a bad command line (the message ends with
 * {@link USAGE}).
 */
export function readSettings(
  argv: readonly string[],
  proxyOptionsJson: string | undefined,
): { settings: ExtensionSettings } | { help: true } | { error: string; usage: boolean } {
  let values: { core?: string; proxy: string; cluster: string; name: string; help: boolean };
  try {
    const parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        core: { type: 'string' },
        proxy: { type: 'string', default: 'nginx' },
        cluster: { type: 'string', default: '' },
        name: { type: 'string', default: 'default' },
        help: { type: 'boolean', default: false },
      },
      strict: true,
    });
    const stray = parsed.positionals.find((p) => p !== '');
    if (stray !== undefined) return { error: `Unexpected argument '${stray}'\n${USAGE}`, usage: true };
    values = parsed.values;
  } catch (err) {
    return { error: `${(err as Error).message}\n${USAGE}`, usage: true };
  }
  if (values.help) return { help: true };
  const { core, proxy, cluster, name } = values;
  if (!core || !isProxyKindName(proxy)) return { error: USAGE, usage: true };
  let opts: { config?: unknown; httpPort?: number; httpsPort?: number; publishedHttpsPort?: number };
  try {
    opts = JSON.parse(proxyOptionsJson ?? '{}');
  } catch (err) {
    return { error: `SWITCHYARD_PROXY_OPTIONS is not valid JSON: ${(err as Error).message}`, usage: false };
  }
  const renderer = RENDERERS[proxy];
  const parsed = renderer.parseConfig(opts.config ?? {});
  if (!parsed.ok) return { error: `invalid proxy options: ${parsed.message}`, usage: false };
  const renderOptions: RendererOptions = { httpPort: opts.httpPort, httpsPort: opts.httpsPort, publishedHttpsPort: opts.publishedHttpsPort };
  return { settings: { core, proxy, cluster, name, renderer, config: parsed.config, renderOptions } };
}
