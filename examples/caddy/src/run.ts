import { runExtension, type ExtensionCommonOptions, type TlsCredentials } from '@switchyard/extension-sdk';
import { ProxyKind } from '@switchyard/proto';
import { renderCaddy, resolveRenderOptions, type CaddyRenderResult } from './render.js';

/** Name registered with core unless told otherwise (core passes `--name <extension name>`). */
export const DEFAULT_EXTENSION_NAME = 'caddy';

/** Options of {@link run}: where core is, what to follow, how to render; the rest as `runExtension` takes it. */
export interface RunOptions extends Pick<ExtensionCommonOptions<CaddyRenderResult>, 'logger' | 'backoff' | 'onRendered' | 'onSubmitted' | 'version'> {
  /** core's gRPC address, `host:port`. */
  core: string;
  /** Service cluster to follow (`""` = the default cluster). */
  cluster: string;
  /** Name registered with core (default {@link DEFAULT_EXTENSION_NAME}); with TLS, the name in the credentials. */
  name?: string;
  /** Port Caddy listens on for HTTP (default 80). */
  httpPort?: number;
  /** Caddy's admin endpoint written into the config (default `localhost:2019`). */
  adminAddress?: string;
  /** Credentials core issued for this extension (absent: plaintext, only for an `InsecureControlPlane` core). */
  credentials?: TlsCredentials;
}

/**
 * Runs the extension until `signal` aborts: `runExtension` of `@switchyard/extension-sdk` with
 * {@link renderCaddy} as a `PROXY_KIND_OTHER` extension for `options.cluster` (register, watch the
 * model, render `caddy.json`, submit it with its checksum, reconnect with backoff). Never rejects
 * because of core; resolves once `signal` aborts.
 * @throws {CaddyRenderOptionsError} (as a rejection, before connecting) for a bad port or admin address.
 */
export async function run(options: RunOptions, signal: AbortSignal): Promise<void> {
  const { core, cluster, name = DEFAULT_EXTENSION_NAME, httpPort, adminAddress, credentials, version = '0.1.0', ...rest } = options;
  const renderOptions = resolveRenderOptions({ httpPort, adminAddress });
  await runExtension({
    ...rest,
    coreAddress: core,
    name,
    cluster,
    credentials,
    version,
    render: (model) => renderCaddy(model, renderOptions),
    proxyKind: ProxyKind.PROXY_KIND_OTHER,
    signal,
  });
}
