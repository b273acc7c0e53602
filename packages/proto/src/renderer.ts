/**
 * The renderer contract: what an extension needs from a proxy renderer. Types only (this module
 * loads nothing), so a renderer package implements it without depending on gRPC or the extension SDK.
 */
import type { Diagnostic, ProxyModel } from './gen/switchyard/v1/model.js';
import type { ProxyKind, RenderedFile } from './gen/switchyard/v1/extension.js';

/** One problem with a `Config` table: the key concerned (for an unknown key, the key itself) and what is wrong. */
export interface RendererConfigIssue {
  key: string;
  message: string;
}

/** A key of a `Config` table that the renderer accepts but does not use, and why. */
export interface RendererIgnoredKey {
  key: string;
  reason: string;
}

/**
 * What {@link Renderer.parseConfig} returns: the validated configuration with Interlock's defaults
 * filled in and the ignored keys, or the problems. Bad input is data, never an exception.
 */
export type ParsedRendererConfig<C> =
  | { ok: true; config: C; ignored: RendererIgnoredKey[] }
  | {
      ok: false;
      /** Stable machine-readable code (e.g. `invalid-nginx-config`). */
      code: string;
      /** One line naming every bad key (the message the renderer's typed error would carry). */
      message: string;
      /** Every problem, one per bad key. */
      issues: RendererConfigIssue[];
    };

/** Options every renderer takes besides its configuration. Every field is optional. */
export interface RendererOptions {
  /** Port of the plain HTTP listener (default 80). */
  httpPort?: number;
  /** Port of the TLS listener (default 443). */
  httpsPort?: number;
  /** Port clients reach the TLS listener on (Interlock's `PublishedSSLPort`; default `httpsPort`). */
  publishedHttpsPort?: number;
  /** Directory where certificate secrets are mounted (default `/run/secrets`). */
  secretsDir?: string;
  /** Value of the `x-proxy-id` response header (default: the proxy's host name at run time). */
  proxyId?: string;
  /** Largest file to produce, in bytes; a larger configuration is split into several files. */
  maxFileBytes?: number;
}

/** What a renderer produces: the files (`files[0]` is the main one) and what was wrong with the input. */
export interface RenderedFiles {
  files: RenderedFile[];
  diagnostics: Diagnostic[];
}

/**
 * A proxy renderer: parses its `[Extensions.<name>.Config]` table and turns a model into files.
 * `@switchyard/render-nginx` and `@switchyard/render-haproxy` each export one as `renderer`;
 * `runExtension` of `@switchyard/extension-sdk` runs any of them.
 *
 * @typeParam C the parsed configuration.
 */
export interface Renderer<C = unknown> {
  /** The proxy kind's name as core's TOML writes it (`ProxyKind = "nginx"`); the key of a renderer table. */
  readonly kind: string;
  /** The kind an extension using this renderer registers with. */
  readonly proxyKind: ProxyKind;
  /** Path of the main rendered file (`files[0].path`), e.g. `nginx.conf`. */
  readonly mainFile: string;
  /**
   * Validates a `Config` table (PascalCase keys, as in the TOML) and fills the defaults; `undefined`
   * or `null` give the defaults. Never throws.
   */
  parseConfig(table: unknown): ParsedRendererConfig<C>;
  /**
   * Renders the model with a configuration from {@link parseConfig}. Pure and deterministic (the same
   * input gives byte-identical files); bad model values are skipped and reported as diagnostics,
   * never thrown.
   */
  render(model: ProxyModel, config: C, options?: RendererOptions): RenderedFiles;
}
