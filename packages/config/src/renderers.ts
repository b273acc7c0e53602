import type { Renderer } from '@switchyard/proto';
import { renderer as haproxyRenderer } from '@switchyard/render-haproxy';
import { renderer as nginxRenderer } from '@switchyard/render-nginx';

const table = { nginx: nginxRenderer, haproxy: haproxyRenderer };

/** Proxies Switchyard renders for out of the box: the keys of {@link RENDERERS} (`ProxyKind` in the TOML). */
export type ProxyKindName = keyof typeof table;

/**
 * The one kind → renderer table: `ProxyKind = "nginx"` is `@switchyard/render-nginx`'s `renderer`,
 * `"haproxy"` is `@switchyard/render-haproxy`'s. core's config check, the extension and the CLI's
 * `render` all pick their renderer here; a new proxy kind is one new row.
 */
export const RENDERERS: Readonly<Record<ProxyKindName, Renderer>> = Object.freeze(table);

/** The kind names, in the table's order (`['nginx', 'haproxy']`). */
export const PROXY_KIND_NAMES: readonly ProxyKindName[] = Object.freeze(Object.keys(table) as ProxyKindName[]);

/** Whether `value` names a proxy kind of {@link RENDERERS}. */
export function isProxyKindName(value: unknown): value is ProxyKindName {
  return typeof value === 'string' && Object.hasOwn(table, value);
}
