import http from 'node:http';
import net from 'node:net';

/** Options for {@link httpGet}. */
export interface HttpGetOptions {
  /** Port on `address`. */
  port: number;
  /**
   * Address to connect to: 127.0.0.1 (the default), or the address of a container the test itself
   * created (e.g. a proxy task reached on its bridge address where no port is published on loopback).
   */
  address?: string;
  /** Request path with query (default `/`). */
  path?: string;
  /** `Host` header (default `127.0.0.1:<port>`). */
  host?: string;
  /** Extra request headers. */
  headers?: Record<string, string>;
  /** Reject when no complete response arrived within this many milliseconds (default 5000). */
  timeoutMs?: number;
}

/** A complete HTTP response. */
export interface HttpResponse {
  /** Status code. */
  status: number;
  /** Response headers (lower-case names). */
  headers: http.IncomingHttpHeaders;
  /** Body as UTF-8 text. */
  body: string;
}

/**
 * Sends one GET to http://<address>:<port><path> on a fresh connection (no keep-alive, so each
 * call is load-balanced on its own) and resolves with the whole response. Any status resolves;
 * connection errors and timeouts reject. Talks to loopback unless given a test container's address.
 */
export function httpGet(options: HttpGetOptions): Promise<HttpResponse> {
  const timeoutMs = options.timeoutMs ?? 5000;
  const address = options.address ?? '127.0.0.1';
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: address,
        port: options.port,
        path: options.path ?? '/',
        method: 'GET',
        agent: false,
        headers: { ...(options.host === undefined ? {} : { host: options.host }), connection: 'close', ...options.headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') });
        });
        res.on('error', (error) => {
          clearTimeout(timer);
          reject(error);
        });
      },
    );
    const timer = setTimeout(() => req.destroy(new Error(`GET ${address}:${options.port}${options.path ?? '/'}: no response within ${timeoutMs} ms`)), timeoutMs);
    req.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    req.end();
  });
}

/** True when something accepts TCP connections on 127.0.0.1:<port> (checked within `timeoutMs`). */
export function isPortOpen(port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
