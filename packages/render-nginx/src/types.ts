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
  /**
   * Port clients reach the TLS listener on (Interlock's `PublishedSSLPort`), which differs from
   * `httpsPort` when Docker publishes the proxy's target port on another port. `ssl_only` hosts
   * redirect plain HTTP to `https://<host>:<this port><uri>` (no port when it is 443).
   * Default: `httpsPort`.
   */
  publishedHttpsPort?: number;
  /** Absolute directory where certificate files are mounted (default `/run/secrets`). */
  secretsDir?: string;
  /**
   * Value of the `x-proxy-id` response header (`[A-Za-z0-9_.-]+`). Default: nginx's `$hostname`,
   * i.e. the proxy container's host name, like Interlock.
   */
  proxyId?: string;
  /**
   * Largest file to produce, in bytes (default {@link DEFAULT_MAX_FILE_BYTES}; a Docker Config holds
   * at most 500 KiB). A configuration that fits is rendered as one `nginx.conf`, exactly as without
   * this option; a larger one is split: its `upstream` and host `server` blocks move to
   * `switchyard.d/part-NNN.conf`, which nginx.conf includes inside `http {}` (see the README). At
   * least {@link MIN_MAX_FILE_BYTES}; `Infinity` never splits.
   */
  maxFileBytes?: number;
}

/** Default of {@link NginxRenderOptions.maxFileBytes}: comfortably below Docker's 500 KiB config limit. */
export const DEFAULT_MAX_FILE_BYTES = 400_000;
/** Smallest accepted {@link NginxRenderOptions.maxFileBytes}. */
export const MIN_MAX_FILE_BYTES = 1024;

/** What a renderer returns: the files (files[0] is the main one) and what was wrong with the input. */
export interface RenderResult {
  files: RenderedFile[];
  diagnostics: Diagnostic[];
}
