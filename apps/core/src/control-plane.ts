import { connect, type Socket } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer, type TLSSocket } from 'node:tls';
import { ServerError, Status, type CallContext, type ServerMiddleware, type ServerMiddlewareCall } from 'nice-grpc';
import { describeIdentity, identityFromSubjectAltName, type Identity } from '@switchyard/proto';
import type { Logger } from '@switchyard/reconciler';

/**
 * Who called: a verified identity, or `insecure` when core runs with `InsecureControlPlane = true`
 * (then every caller may do everything, as before mutual TLS).
 */
export type Caller = { kind: 'identity'; identity: Identity; address: string } | { kind: 'insecure'; address: string };

/** What each RPC handler sees besides nice-grpc's own context. */
export interface CallerContext {
  caller: Caller;
}

/** Why a connection or call was refused (the `reason` label of the refusal metric). */
export type RefusalReason = 'plaintext' | 'handshake' | 'no-certificate' | 'untrusted-certificate' | 'no-identity' | 'unknown-peer' | 'permission-denied';

export interface ControlPlaneTlsOptions {
  /** PEM: the CA that signs every client certificate, core's certificate and its key. */
  ca: string;
  cert: string;
  key: string;
  logger: Logger;
  /** Counts a refusal (a metric). */
  onRefused?(reason: RefusalReason): void;
}

/**
 * core's public gRPC port with mutual TLS. It terminates TLS itself, so it can refuse (and log,
 * with the peer's address) every connection that is plaintext, has no certificate, has one the
 * CA did not sign, or names no Switchyard identity, before any RPC is read. Verified connections
 * are relayed to the gRPC server on a loopback port; the relay remembers which identity each
 * relayed connection carries, and {@link ControlPlaneTls.middleware} hands it to the handlers.
 */
export class ControlPlaneTls {
  private readonly peers = new Map<number, { identity: Identity; address: string }>();
  private server: TlsServer | undefined;

  constructor(private readonly options: ControlPlaneTlsOptions) {}

  /** Listens on `host:port` and relays verified connections to `127.0.0.1:innerPort`. */
  async listen(host: string, port: number, innerPort: number): Promise<void> {
    const { ca, cert, key } = this.options;
    const server = createTlsServer({ ca, cert, key, requestCert: true, rejectUnauthorized: false, ALPNProtocols: ['h2'], minVersion: 'TLSv1.2' });
    server.on('tlsClientError', (err: NodeJS.ErrnoException, socket: TLSSocket) => {
      const plaintext = /wrong version number|http request|unknown protocol|record layer failure|packet length too long/i.test(err.message);
      this.refuse(plaintext ? 'plaintext' : 'handshake', socket.remoteAddress, plaintext ? 'the client did not speak TLS' : err.message);
    });
    server.on('secureConnection', (socket: TLSSocket) => this.accept(socket, innerPort));
    server.on('error', (err) => this.options.logger.error('control-plane listener failed', { error: err.message }));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
  }

  private refuse(reason: RefusalReason, address: string | undefined, detail: string): void {
    this.options.onRefused?.(reason);
    this.options.logger.warn('control-plane connection refused', { reason, peer: address ?? 'unknown', detail });
  }

  private accept(socket: TLSSocket, innerPort: number): void {
    const address = `${socket.remoteAddress ?? 'unknown'}:${socket.remotePort ?? 0}`;
    socket.on('error', () => socket.destroy());
    if (!socket.authorized) {
      const error = String(socket.authorizationError ?? '');
      const none = /PEER_DID_NOT_RETURN_A_CERTIFICATE|no certificate/i.test(error) || !socket.getPeerCertificate()?.raw;
      this.refuse(none ? 'no-certificate' : 'untrusted-certificate', address, none ? 'the client sent no certificate' : `certificate not signed by this core's CA (${error})`);
      socket.destroy();
      return;
    }
    const identity = identityFromSubjectAltName(socket.getPeerCertificate().subjectaltname);
    if (!identity) {
      this.refuse('no-identity', address, 'the certificate names no Switchyard identity');
      socket.destroy();
      return;
    }
    const inner: Socket = connect({ host: '127.0.0.1', port: innerPort });
    let local = 0;
    const close = () => {
      if (local) this.peers.delete(local);
      socket.destroy();
      inner.destroy();
    };
    inner.on('connect', () => {
      local = inner.localPort ?? 0;
      this.peers.set(local, { identity, address });
      socket.pipe(inner);
      inner.pipe(socket);
    });
    inner.on('error', close);
    inner.on('close', close);
    socket.on('close', close);
  }

  /** The verified peer behind a relayed connection (nice-grpc's `context.peer`), if any. */
  peerOf(grpcPeer: string): { identity: Identity; address: string } | undefined {
    const port = Number(/:(\d+)$/.exec(grpcPeer)?.[1]);
    return Number.isFinite(port) ? this.peers.get(port) : undefined;
  }

  /** nice-grpc middleware: refuses calls that did not come through the relay, adds `caller`. */
  middleware(): ServerMiddleware<CallerContext> {
    const peerOf = (p: string) => this.peerOf(p);
    const refuse = (reason: RefusalReason, address: string, detail: string) => this.refuse(reason, address, detail);
    return async function* authenticate<Request, Response>(call: ServerMiddlewareCall<Request, Response, CallerContext>, context: CallContext) {
      const peer = peerOf(context.peer);
      if (!peer) {
        refuse('unknown-peer', context.peer, 'a call that did not come through the mutual-TLS listener');
        throw new ServerError(Status.UNAUTHENTICATED, 'mutual TLS required');
      }
      return yield* call.next(call.request, { ...context, caller: { kind: 'identity', identity: peer.identity, address: peer.address } });
    };
  }

  /** Stops accepting connections and drops the relayed ones. */
  close(): void {
    this.server?.close();
  }
}

/** nice-grpc middleware for `InsecureControlPlane = true`: every caller is `insecure`. */
export function insecureCallers(): ServerMiddleware<CallerContext> {
  return async function* insecure<Request, Response>(call: ServerMiddlewareCall<Request, Response, CallerContext>, context: CallContext) {
    return yield* call.next(call.request, { ...context, caller: { kind: 'insecure', address: context.peer } });
  };
}

/** What a caller asks to do, for {@link authorize}. */
export type Action =
  | { kind: 'register'; name: string; serviceCluster: string }
  | { kind: 'read-model'; serviceCluster: string }
  | { kind: 'submit'; name: string; serviceCluster: string }
  | { kind: 'status' }
  | { kind: 'proxy-agent'; proxyService: string };

/**
 * Whether `caller` may do `action`; throws PERMISSION_DENIED naming who and what when not.
 * Extensions act only under their own name and service cluster; proxy agents only for their own
 * proxy service; operators only read (status and models); nobody else does anything.
 */
export function authorize(caller: Caller, action: Action, onDenied?: (caller: Caller, reason: string) => void): void {
  if (caller.kind === 'insecure') return;
  const id = caller.identity;
  const ok = (() => {
    switch (action.kind) {
      case 'register':
      case 'submit':
        return id.role === 'extension' && id.name === action.name && id.serviceCluster === action.serviceCluster;
      case 'read-model':
        return id.role === 'operator' || (id.role === 'extension' && id.serviceCluster === action.serviceCluster);
      case 'status':
        return id.role === 'operator' || id.role === 'extension';
      case 'proxy-agent':
        return id.role === 'proxy' && id.name === action.proxyService;
    }
  })();
  if (ok) return;
  const what =
    action.kind === 'register' || action.kind === 'submit'
      ? `${action.kind === 'register' ? 'register' : 'submit configs'} as extension ${JSON.stringify(action.name)} of service cluster ${JSON.stringify(action.serviceCluster)}`
      : action.kind === 'read-model'
        ? `read the model of service cluster ${JSON.stringify(action.serviceCluster)}`
        : action.kind === 'status'
          ? 'read the status'
          : `serve as a proxy of ${JSON.stringify(action.proxyService)}`;
  const reason = `${describeIdentity(id)} may not ${what}`;
  onDenied?.(caller, reason);
  throw new ServerError(Status.PERMISSION_DENIED, reason);
}
