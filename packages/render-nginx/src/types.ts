import type { Diagnostic, RenderedFile } from '@switchyard/proto';
import type { NginxConfig } from './config.js';

/** Options of {@link renderNginx}. Every field is optional. */
export interface NginxRenderOptions {
  /**
   * Interlock `[Extensions.<name>.Config]` values (PascalCase keys); missing keys get Interlock's
   * defaults. Prefer passing the result of `parseNginxConfig`. Invalid values are reported as
   * `invalid-config` diagnostics and replaced by their defaults (the renderer never throws).
   */
  config?: Partial<NginxConfig>;
  /** Port of the plain HTTP listener (default 80). */
  httpPort?: number;
  /** Port of the TLS listener, terminated and SNI passthrough alike (default 443). */
  httpsPort?: number;
  /** Absolute directory where certificate files are mounted (default `/run/secrets`). */
  secretsDir?: string;
  /**
   * Value of the `x-proxy-id` response header (`[A-Za-z0-9_.-]+`). Default: nginx's `$hostname`,
   * i.e. the proxy container's host name, like Interlock.
   */
  proxyId?: string;
}

/** What a renderer returns: the files (files[0] is the main one) and what was wrong with the input. */
export interface RenderResult {
  files: RenderedFile[];
  diagnostics: Diagnostic[];
}
