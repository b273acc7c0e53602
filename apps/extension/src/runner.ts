import { setTimeout as delay } from 'node:timers/promises';
import type { ProxyKind } from '@switchyard/proto';
import { configChecksum, type Diagnostic, type ProxyModel, type RenderedFile } from '@switchyard/proto';
import { connectExtensionClient, type TlsCredentials } from '@switchyard/proto/client';

/** The logging surface the runner uses (winston's logger fits). */
export interface RunnerLogger {
  debug(message: string, meta?: Record<string, unknown>): void;
  info(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
  error(message: string, meta?: Record<string, unknown>): void;
}

/** A renderer: model in, files and diagnostics out (both Switchyard renderers fit). */
export type Renderer = (model: ProxyModel) => { files: RenderedFile[]; diagnostics: Diagnostic[] };

/** Options of {@link runExtension}. */
export interface RunnerOptions {
  /** core's gRPC address, `host:port`. */
  coreAddress: string;
  name: string;
  serviceCluster: string;
  proxyKind: ProxyKind;
  version: string;
  /** Mutual TLS credentials for core (absent only for a core with `InsecureControlPlane = true`). */
  tls?: TlsCredentials;
  render: Renderer;
  logger: RunnerLogger;
  /** Retry delays when core is away (default 500 ms doubling to 10 s). */
  backoff?: { initialMs: number; maxMs: number };
  /** Called after each submission (tests, metrics). */
  onSubmitted?: (result: { modelVersion: number; accepted: boolean; reasons: string[]; configName: string }) => void;
}

/**
 * Runs an extension until `signal` aborts: registers with core, follows the model stream, renders
 * each model and submits the files. Any failure (core away, stream broken) is logged and retried
 * with exponential backoff; registration is renewed on every reconnect.
 */
export async function runExtension(options: RunnerOptions, signal: AbortSignal): Promise<void> {
  const { logger } = options;
  const backoff = options.backoff ?? { initialMs: 500, maxMs: 10_000 };
  let attempt = 0;
  while (!signal.aborted) {
    const conn = connectExtensionClient(options.coreAddress, { tls: options.tls });
    try {
      const { extensionId } = await conn.client.register(
        { name: options.name, serviceCluster: options.serviceCluster, proxyKind: options.proxyKind, version: options.version },
        { signal },
      );
      logger.info('registered with core', { core: options.coreAddress, extensionId, serviceCluster: options.serviceCluster });
      attempt = 0;
      let lastChecksum = '';
      for await (const { model } of conn.client.watchModel({ serviceCluster: options.serviceCluster, extensionId }, { signal })) {
        if (!model) continue;
        const started = Date.now();
        const { files, diagnostics } = options.render(model);
        for (const d of diagnostics) logger.warn(`render: ${d.message}`, { code: d.code, service: d.service, modelVersion: model.version });
        const checksum = configChecksum(files);
        const res = await conn.client.submitConfig({ extensionId, modelVersion: model.version, files, checksum }, { signal });
        const meta = { modelVersion: model.version, renderMs: Date.now() - started, bytes: files.reduce((n, f) => n + f.content.length, 0), unchangedContent: checksum === lastChecksum };
        if (res.accepted) {
          lastChecksum = checksum;
          logger.info('config accepted', { ...meta, configName: res.configName });
        } else {
          logger.warn('config rejected by core', { ...meta, reasons: res.reasons });
        }
        options.onSubmitted?.({ modelVersion: model.version, ...res });
      }
      if (!signal.aborted) logger.warn('model stream ended; reconnecting', {});
    } catch (err) {
      if (signal.aborted) break;
      const wait = Math.min(backoff.maxMs, backoff.initialMs * 2 ** attempt);
      attempt += 1;
      logger.warn('core unreachable or stream failed; retrying', { error: (err as Error).message, retryInMs: wait, attempt });
      await delay(wait, undefined, { signal }).catch(() => undefined);
    } finally {
      conn.close();
    }
  }
}
