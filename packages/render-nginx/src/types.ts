import { DEFAULT_MAX_FILE_BYTES, MIN_MAX_FILE_BYTES, type RenderedFiles, type RendererOptions } from '@switchyard/proto';
import type { NginxConfig } from './config.js';

/** Options of {@link renderNginx}. Every field is optional. */
export interface NginxRenderOptions extends RendererOptions {
  /**
   * Interlock `[Extensions.<name>.Config]` values (PascalCase keys); missing keys get Interlock's
   * defaults. Prefer passing the result of `parseNginxConfig`. Invalid values are reported as
   * `invalid-config` diagnostics and replaced by their defaults (the renderer never throws).
   */
  config?: Partial<NginxConfig>;
  /**
   * Largest file to produce, in bytes (default {@link DEFAULT_MAX_FILE_BYTES}; a Docker Config holds
   * at most 500 KiB). A configuration that fits is rendered as one `nginx.conf`, exactly as without
   * this option; a larger one is split: its `upstream` and host `server` blocks move to
   * `switchyard.d/part-NNN.conf`, which nginx.conf includes inside `http {}` (see the README). At
   * least {@link MIN_MAX_FILE_BYTES}; `Infinity` never splits.
   */
  maxFileBytes?: number;
}

// Default and smallest accepted maxFileBytes: the renderer contract's (`@switchyard/proto`), re-exported.
export { DEFAULT_MAX_FILE_BYTES, MIN_MAX_FILE_BYTES };

/** What a renderer returns: the files (files[0] is the main one) and what was wrong with the input. */
export type RenderResult = RenderedFiles;
