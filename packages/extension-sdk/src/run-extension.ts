import { setTimeout as delay } from 'node:timers/promises';
import { Backoff, type BackoffOptions, type RandomSource } from '@switchyard/duration';
import { ProxyKind, configChecksum, type ExtensionServiceClient, type ProxyModel, type RenderedFiles, type Renderer, type RendererOptions } from '@switchyard/proto';
import { connectExtensionClient, type TlsCredentials } from '@switchyard/proto/client';
import { jsonLogger, type ExtensionLogger } from './logger.js';

/** What core answered to one submission. */
export interface Submission {
  modelVersion: number;
  accepted: boolean;
  reasons: string[];
  /** The Docker Config core stored the files in ("" when there was nothing to deliver). */
  configName: string;
}

/**
 * Default reconnect backoff: 500 ms growing up to 10 s with decorrelated jitter (extensions of every
 * cluster reconnect at once when core restarts; jitter spreads them).
 */
export const DEFAULT_EXTENSION_BACKOFF: Readonly<BackoffOptions> = Object.freeze({ initialMs: 500, maxMs: 10_000, jitter: 'decorrelated' });

/** The options every extension gives {@link runExtension}, whatever renders its files. */
export interface ExtensionCommonOptions<R extends RenderedFiles> {
  /** core's gRPC address, `host:port`. */
  coreAddress: string;
  /** Name to register with (1-64 of `[A-Za-z0-9_.-]`); with TLS it must be the name in the certificate. */
  name: string;
  /** Service cluster to follow (`""` = the default cluster); with TLS it must be the certificate's. */
  cluster: string;
  /** Mutual TLS credentials issued by core's CA (absent: plaintext, only for an `InsecureControlPlane` core). */
  credentials?: TlsCredentials;
  /** Stops the extension: `runExtension` resolves soon after it aborts. */
  signal: AbortSignal;
  /** Version reported at registration (default `0.0.0`). */
  version?: string;
  /** Default: {@link jsonLogger} on stdout. */
  logger?: ExtensionLogger;
  /** Reconnect delays, merged over {@link DEFAULT_EXTENSION_BACKOFF}. */
  backoff?: Partial<BackoffOptions>;
  /** Random source of the backoff's jitter (default `Math.random`). */
  random?: RandomSource;
  /**
   * Called with each render's result before it is submitted, and awaited (write the files somewhere,
   * export metrics). What it throws is logged; the submission goes ahead.
   */
  onRendered?: (result: R, model: ProxyModel) => void | Promise<void>;
  /** Called after core answered each submission (tests, metrics). */
  onSubmitted?: (submission: Submission) => void;
}

/** Render with a {@link Renderer} (nginx, HAProxy, or your own implementing the contract). */
export interface RendererSource<C> {
  renderer: Renderer<C>;
  /** The parsed configuration (`renderer.parseConfig(table)`'s `config`; default: the renderer's defaults). */
  config?: C;
  /** Ports and the like, passed to every render. */
  renderOptions?: RendererOptions;
  render?: never;
  proxyKind?: never;
}

/** Render with a plain function (a third-party format); registers as `proxyKind`. */
export interface RenderFunctionSource<R extends RenderedFiles> {
  /** Model in, files (the first is the main one) and diagnostics out; should be pure and deterministic. */
  render: (model: ProxyModel) => R;
  /** Kind to register with (default `PROXY_KIND_OTHER`: core accepts the files but delivers them nowhere). */
  proxyKind?: ProxyKind;
  renderer?: never;
  config?: never;
  renderOptions?: never;
}

/** Options of {@link runExtension}: the common ones plus either a `renderer` or a `render` function. */
export type RunExtensionOptions<C = unknown, R extends RenderedFiles = RenderedFiles> = ExtensionCommonOptions<R> & (RendererSource<C> | RenderFunctionSource<R>);

/** Thrown by {@link runExtension} (at once, before connecting) for options it cannot run with. */
export class ExtensionOptionsError extends Error {
  /** Stable machine-readable code. */
  readonly code = 'invalid-extension-options';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ExtensionOptionsError';
  }
}

/** How one model's round ended. */
type ModelOutcome = 'done' | 'registration-lost';

/** One extension's loop, with what it resolved from its options. */
interface Resolved<R extends RenderedFiles> {
  options: ExtensionCommonOptions<R>;
  logger: ExtensionLogger;
  render: (model: ProxyModel) => R;
  proxyKind: ProxyKind;
}

function resolveRender<C, R extends RenderedFiles>(options: RunExtensionOptions<C, R>): { render: (model: ProxyModel) => R; proxyKind: ProxyKind } {
  if (options.renderer !== undefined) {
    const { renderer, renderOptions = {} } = options;
    let config = options.config;
    if (config === undefined) {
      const parsed = renderer.parseConfig(undefined);
      if (!parsed.ok) throw new ExtensionOptionsError(`renderer ${renderer.kind}: its default configuration does not parse: ${parsed.message}`);
      config = parsed.config;
    }
    const fixed = config;
    // With a renderer, R is RenderedFiles (the type of RendererSource leaves no other choice).
    return { render: (model) => renderer.render(model, fixed, renderOptions) as R, proxyKind: renderer.proxyKind };
  }
  if (typeof options.render !== 'function') throw new ExtensionOptionsError('runExtension needs a renderer or a render function');
  return { render: options.render, proxyKind: options.proxyKind ?? ProxyKind.PROXY_KIND_OTHER };
}

const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/**
 * Reads `stream` ahead of its consumer and yields only the newest item each time the consumer asks.
 * gRPC delivers every model core publishes, in order; an extension that renders and submits slower
 * than the swarm changes (a burst of tasks coming up) would otherwise work through a backlog of
 * versions that are already superseded, each one submitted only to be refused as stale.
 * A stream error is thrown once the items before it are consumed.
 */
export async function* newestOnly<T>(stream: AsyncIterable<T>): AsyncGenerator<T> {
  let pending: { item: T } | undefined;
  let done = false;
  let failure: { error: unknown } | undefined;
  let wake: (() => void) | undefined;
  void (async () => {
    try {
      for await (const item of stream) {
        pending = { item };
        wake?.();
      }
    } catch (error) {
      failure = { error };
    } finally {
      done = true;
      wake?.();
    }
  })();
  for (;;) {
    if (!pending && !done) await new Promise<void>((resolve) => (wake = resolve));
    wake = undefined;
    if (pending) {
      const { item } = pending;
      pending = undefined;
      yield item;
      continue;
    }
    if (failure) throw failure.error;
    return;
  }
}

/** What one connection remembers between models: the last accepted checksum and the diagnostics logged. */
interface ConnectionState {
  checksum: string;
  diagnostics: Set<string>;
}

/** Renders one model, hands it to `onRendered`, submits it and logs core's answer. */
async function handleModel<R extends RenderedFiles>(run: Resolved<R>, client: ExtensionServiceClient, extensionId: string, model: ProxyModel, state: ConnectionState): Promise<ModelOutcome> {
  const { options, logger } = run;
  const { signal } = options;
  const started = Date.now();
  let result: R;
  try {
    result = run.render(model);
  } catch (err) {
    // A render function that throws breaks its contract: skip this model, the next one may render.
    logger.error('render failed; this model is not submitted', { modelVersion: model.version, error: errorText(err) });
    return 'done';
  }
  const renderMs = Date.now() - started;
  // Each diagnostic once while it lasts: a burst of services without tasks yet would otherwise log
  // every one of them again for every model version.
  const diagnostics = new Set<string>();
  for (const d of result.diagnostics) {
    const key = `${d.code}\0${d.service}\0${d.message}`;
    diagnostics.add(key);
    if (!state.diagnostics.has(key)) logger.warn(`render: ${d.message}`, { code: d.code, service: d.service, modelVersion: model.version });
  }
  state.diagnostics = diagnostics;
  if (options.onRendered) {
    try {
      await options.onRendered(result, model);
    } catch (err) {
      logger.error('onRendered failed', { modelVersion: model.version, error: errorText(err) });
    }
  }
  const { files } = result;
  const checksum = configChecksum(files);
  const res = await client.submitConfig({ extensionId, modelVersion: model.version, files, checksum }, { signal });
  options.onSubmitted?.({ modelVersion: model.version, ...res });
  const meta = {
    modelVersion: model.version,
    checksum: checksum.slice(0, 12),
    renderMs,
    bytes: files.reduce((n, f) => n + f.content.length, 0),
    unchangedContent: checksum === state.checksum,
  };
  if (res.accepted) {
    state.checksum = checksum;
    logger.info('config accepted', { ...meta, configName: res.configName });
    return 'done';
  }
  if (res.reasons.some((r) => /unknown extension id/i.test(r))) {
    logger.warn('core does not know this extension any more; registering again', { ...meta, reasons: res.reasons });
    return 'registration-lost';
  }
  if (res.reasons.some((r) => r.startsWith('stale'))) {
    // A newer model exists; the stream delivers it next.
    logger.info('config superseded by a newer model', { ...meta, reasons: res.reasons });
    return 'done';
  }
  logger.warn('config rejected by core', { ...meta, reasons: res.reasons });
  return 'done';
}

/**
 * Runs an extension until `options.signal` aborts: registers with core, follows `WatchModel` for
 * `options.cluster`, renders each model (with `renderer` and its `config`, or with `render`), calls
 * `onRendered`, and submits the files with their `configChecksum` and the model version.
 *
 * Core's answers are data: accepted and stale ones are logged at info, `unknown extension id` (core
 * restarted) makes it register again, other rejections are logged with core's reasons. Connection
 * problems (core unreachable, stream broken or ended, registration lost) are logged and retried with
 * jittered exponential backoff ({@link DEFAULT_EXTENSION_BACKOFF}, reset when a model arrives),
 * registering again on every reconnect. It never rejects because of core; it resolves once the signal
 * aborts (at once when it already has).
 *
 * @throws {ExtensionOptionsError} (as a rejection, before connecting) when neither a renderer nor a
 *   render function is given, or the renderer's defaults do not parse.
 */
export async function runExtension<C = unknown, R extends RenderedFiles = RenderedFiles>(options: RunExtensionOptions<C, R>): Promise<void> {
  const { signal } = options;
  const logger = options.logger ?? jsonLogger();
  const run: Resolved<R> = { options, logger, ...resolveRender(options) };
  const backoff = new Backoff({ ...DEFAULT_EXTENSION_BACKOFF, ...options.backoff }, options.random);
  const registration = { name: options.name, serviceCluster: options.cluster, proxyKind: run.proxyKind, version: options.version ?? '0.0.0' };
  while (!signal.aborted) {
    let conn: ReturnType<typeof connectExtensionClient> | undefined;
    let reason = 'model stream ended';
    try {
      conn = connectExtensionClient(options.coreAddress, { tls: options.credentials });
      const { extensionId } = await conn.client.register(registration, { signal });
      logger.info('registered with core', { core: options.coreAddress, extensionId, serviceCluster: options.cluster });
      const state: ConnectionState = { checksum: '', diagnostics: new Set() };
      for await (const { model } of newestOnly(conn.client.watchModel({ serviceCluster: options.cluster, extensionId }, { signal }))) {
        if (!model) continue;
        backoff.reset();
        if ((await handleModel(run, conn.client, extensionId, model, state)) === 'registration-lost') {
          reason = 'registration lost';
          break;
        }
      }
    } catch (err) {
      if (signal.aborted) break;
      reason = errorText(err);
    } finally {
      conn?.close();
    }
    if (signal.aborted) break;
    const retryInMs = backoff.next();
    logger.warn('disconnected from core; reconnecting', { reason, retryInMs, attempt: backoff.attempt });
    await delay(retryInMs, undefined, { signal }).catch(() => undefined);
  }
}
