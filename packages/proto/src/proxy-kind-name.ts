/**
 * The syntax of a proxy kind's name (`nginx`, `haproxy` or a third-party kind such as `caddy`), as
 * core's `ProxyKind` key and the proxy agent's `SWITCHYARD_PROXY_KIND` accept it. Imports nothing.
 */

/** A proxy kind's name: a lower-case letter, then up to 31 lower-case letters, digits or dashes. */
export const PROXY_KIND_NAME = /^[a-z][a-z0-9-]{0,31}$/;

/**
 * Whether `value` is spelled like a proxy kind's name ({@link PROXY_KIND_NAME}); says nothing about
 * whether the kind is built in.
 * @example isProxyKindNameSyntax('caddy') // true
 */
export function isProxyKindNameSyntax(value: string): boolean {
  return PROXY_KIND_NAME.test(value);
}
