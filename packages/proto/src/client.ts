import { createChannel, createClient, type Channel, type ChannelOptions } from 'nice-grpc';
import { ExtensionServiceDefinition, type ExtensionServiceClient } from './gen/switchyard/v1/extension.js';

/** Options of {@link connectExtensionClient}. */
export interface ConnectOptions {
  /** Channel options passed to grpc-js (keepalive and so on). */
  channelOptions?: ChannelOptions;
}

/** A connected client plus the channel behind it; call `close()` when done. */
export interface ExtensionConnection {
  client: ExtensionServiceClient;
  channel: Channel;
  close(): void;
}

/**
 * Opens a nice-grpc client for core's `ExtensionService`.
 *
 * @param address `host:port` of core's gRPC listener (e.g. `core:8080`), or a full
 *   `http://` / `https://` URL as nice-grpc accepts.
 */
export function connectExtensionClient(address: string, options: ConnectOptions = {}): ExtensionConnection {
  const channel = createChannel(address, undefined, options.channelOptions);
  const client = createClient(ExtensionServiceDefinition, channel);
  return { client, channel, close: () => channel.close() };
}
