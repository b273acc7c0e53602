/**
 * The built-in proxies' own configuration checks, written once for the proxy agent (which checks
 * each candidate directory before a reload) and core's preflight (which checks a proxy spec before
 * it rolls out). Loads nothing but `node:path`.
 */
import { posix } from 'node:path';

/** The proxy kinds Switchyard has a built-in check for. */
export type BuiltInCheckKind = 'nginx' | 'haproxy';

/** Options of {@link builtInCheckCommand}. */
export interface BuiltInCheckOptions {
  /** The proxy binary (default `nginx` / `haproxy`, looked up on PATH). */
  binary?: string;
  /**
   * Leave out what the proxy prints when the configuration is fine, where that hides no error:
   * nginx's `-q`. HAProxy gets no `-q` (2.6 then prints no alerts either, and the alerts are the
   * reason for a refusal).
   */
  quiet?: boolean;
}

/**
 * The argv that checks the configuration whose main file is `configPath` (absolute), in the
 * renderers' layout: nginx `nginx -t [-q] -c <configPath>` (nginx resolves `switchyard.d/*.conf`
 * against the directory of `-c`); HAProxy `haproxy -c -f <configPath> -f <dir>/switchyard.d` (the
 * split layout's extra `*.cfg`).
 * @example builtInCheckCommand('haproxy', '/etc/haproxy/haproxy.cfg') // ['haproxy', '-c', '-f', '/etc/haproxy/haproxy.cfg', '-f', '/etc/haproxy/switchyard.d']
 */
export function builtInCheckCommand(kind: BuiltInCheckKind, configPath: string, options: BuiltInCheckOptions = {}): string[] {
  const bin = options.binary ?? kind;
  if (kind === 'haproxy') return [bin, '-c', '-f', configPath, '-f', posix.join(posix.dirname(configPath), 'switchyard.d')];
  return [bin, '-t', ...(options.quiet ? ['-q'] : []), '-c', configPath];
}
