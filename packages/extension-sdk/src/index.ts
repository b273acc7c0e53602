export {
  runExtension,
  DEFAULT_EXTENSION_BACKOFF,
  ExtensionOptionsError,
  type RunExtensionOptions,
  type ExtensionCommonOptions,
  type RendererSource,
  type RenderFunctionSource,
  type Submission,
} from './run-extension.js';
export { jsonLogger, type ExtensionLogger } from './logger.js';
export { abortOnSignals } from './signals.js';
// The vocabulary an extension needs, so that an author depends on this package alone.
export type { Renderer, RendererOptions, RenderedFiles, ParsedRendererConfig, RendererConfigIssue, RendererIgnoredKey } from '@switchyard/proto';
export { credentialsFromEnv, loadCredentials, type TlsCredentials } from '@switchyard/proto/client';
export type { BackoffOptions, BackoffJitter } from '@switchyard/duration';
