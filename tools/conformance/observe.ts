/**
 * How each target answers a {@link ConformanceRequest}: the real proxies are asked over loopback
 * (HTTP, TLS with SNI, WebSocket), `explainRequest` is asked directly; both give an {@link Outcome}.
 */
import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import WebSocket from 'ws';
import { explainRequest, type RequestOutcome } from '@switchyard/model';
import type { ProxyModel } from '@switchyard/proto';
import type { ConformanceRequest, Outcome, TlsOutcome } from './outcome.js';
import { PUBLISHED_HTTPS_PORT, type EchoBody, type RunningProxy } from './world.js';

/** Prefix of the CN of a backend's own certificate (`backend.<service>`). */
const BACKEND_CN = 'backend.';

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  echo: EchoBody | undefined;
}

function serverName(host: string): string {
  return host.replace(/:\d+$/, '').toLowerCase();
}

/** One request to a proxy (no verification of the TLS certificate: the handshake is probed separately). */
function send(proxy: RunningProxy, req: ConformanceRequest, cookie?: string): Promise<Reply> {
  const options: https.RequestOptions = {
    host: '127.0.0.1',
    port: req.scheme === 'https' ? proxy.httpsPort : proxy.httpPort,
    path: req.path ?? '/',
    headers: { host: req.host, ...(cookie === undefined ? {} : { cookie }) },
    agent: false,
    timeout: 5000,
  };
  const client = req.scheme === 'https' ? https : http;
  if (req.scheme === 'https') Object.assign(options, { servername: serverName(req.host), rejectUnauthorized: false });
  return new Promise((resolve, reject) => {
    const r = client.request(options, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => {
        let echo: EchoBody | undefined;
        try {
          const parsed = JSON.parse(body) as Partial<EchoBody>;
          if (typeof parsed.service === 'string') echo = parsed as EchoBody;
        } catch {
          // not an echo answer (a proxy's own page)
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, echo });
      });
    });
    r.on('timeout', () => r.destroy(new Error('timeout')));
    r.on('error', reject);
    r.end();
  });
}

/** The certificate a TLS handshake with this server name gets, or `refused`. */
function probeTls(port: number, servername: string): Promise<TlsOutcome> {
  return new Promise((resolve) => {
    const socket = tls.connect({ host: '127.0.0.1', port, servername, rejectUnauthorized: false });
    socket.setTimeout(5000, () => socket.destroy(new Error('timeout')));
    socket.once('secureConnect', () => {
      const cn = String(socket.getPeerCertificate().subject?.CN ?? '');
      socket.destroy();
      resolve(cn.startsWith(BACKEND_CN) ? { passthrough: cn.slice(BACKEND_CN.length) } : { terminated: cn });
    });
    socket.once('error', () => resolve('refused'));
    socket.once('close', () => resolve('refused'));
  });
}

/** Whether a WebSocket upgrade on the path succeeds and a message comes back. */
function tryWebSocket(proxy: RunningProxy, req: ConformanceRequest): Promise<boolean> {
  const path = req.path ?? '/';
  return new Promise((resolve) => {
    const socket = new WebSocket(`ws://127.0.0.1:${proxy.httpPort}${path}`, { headers: { host: req.host }, handshakeTimeout: 3000 });
    const timer = setTimeout(() => finish(false), 4000);
    const finish = (ok: boolean): void => {
      clearTimeout(timer);
      socket.terminate();
      resolve(ok);
    };
    socket.on('open', () => socket.send('ping'));
    socket.on('message', (data) => finish(String(data) === `${path}:ping`));
    socket.on('unexpected-response', () => finish(false));
    socket.on('error', () => finish(false));
  });
}

/** What a real proxy answers. */
export async function observeProxy(proxy: RunningProxy, req: ConformanceRequest): Promise<Outcome> {
  const out: Outcome = {};
  if (req.scheme === 'https') {
    out.tls = await probeTls(proxy.httpsPort, serverName(req.host));
    if (out.tls === 'refused') return { ...out, status: 0, backends: [] };
  }
  const replies: Reply[] = [];
  for (let i = 0; i < (req.samples ?? 1); i++) replies.push(await send(proxy, req));
  const first = replies[0]!;
  const statuses = [...new Set(replies.map((r) => r.status))];
  out.status = statuses.length === 1 ? first.status : -1;
  const echoes = replies.flatMap((r) => (r.echo ? [r.echo] : []));
  out.backends = [...new Set(echoes.map((e) => e.service))].sort();
  out.tasks = new Set(echoes.map((e) => `${e.service}/${e.task}`)).size;
  const counts = new Map<string, number>();
  for (const e of echoes) counts.set(e.service, (counts.get(e.service) ?? 0) + 1);
  out.shares = Object.fromEntries([...counts].map(([s, n]) => [s, n / replies.length]));
  if (first.echo) {
    out.path = first.echo.url;
    out.backendTls = first.echo.tls;
    out.upstreamHeaders = Object.fromEntries(Object.entries(first.echo.headers).map(([k, v]) => [k, String(v)]));
  }
  if (typeof first.headers.location === 'string') out.location = first.headers.location;
  out.headers = Object.fromEntries(Object.entries(first.headers).map(([k, v]) => [k, String(v)]));
  if (req.sticky !== undefined) out.sticky = (await pinsByCookie(proxy, req, req.sticky)) ? req.sticky : '';
  if (req.websocket) out.websocket = await tryWebSocket(proxy, req);
  return out;
}

/** Whether every value of cookie `name` keeps reaching one task, and different values reach more than one. */
async function pinsByCookie(proxy: RunningProxy, req: ConformanceRequest, name: string): Promise<boolean> {
  const all = new Set<string>();
  for (let v = 0; v < 16; v++) {
    const tasks = new Set<string>();
    for (let i = 0; i < 3; i++) {
      const echo = (await send(proxy, req, `other=1; ${name}=value-${v}`)).echo;
      tasks.add(echo ? echo.task : '');
    }
    if (tasks.size !== 1) return false;
    all.add([...tasks][0]!);
  }
  return all.size > 1;
}

const STATUS: Readonly<Record<RequestOutcome['kind'], number>> = {
  proxy: 200,
  'default-backend': 200,
  passthrough: 200,
  redirect: 302,
  'https-redirect': 301,
  unavailable: 503,
  'no-tls': 0,
};

/** What `explainRequest` predicts for the request, in the same terms. */
export function observeExplain(model: ProxyModel, req: ConformanceRequest): Outcome {
  const target = req.path ?? '/';
  const e = explainRequest(model, req.host, target, { publishedHttpsPort: PUBLISHED_HTTPS_PORT });
  const o = req.scheme === 'https' ? e.https : e.http;
  const out: Outcome = { status: STATUS[o.kind] };
  if (req.scheme === 'https') {
    out.tls = o.kind === 'no-tls' ? 'refused' : o.kind === 'passthrough' ? { passthrough: o.upstream } : { terminated: o.certificate?.certSecret ?? '' };
  }
  const answering = ['proxy', 'default-backend', 'passthrough'].includes(o.kind);
  const upstream = answering ? e.upstreams.find((u) => u.upstream.name === o.upstream) : undefined;
  const endpoints = upstream?.upstream.endpoints ?? [];
  out.backends = [...new Set(endpoints.map((x) => x.service))].sort();
  out.tasks = upstream?.upstream.ipHash ? Math.min(1, endpoints.length) : endpoints.length;
  if (upstream) out.shares = Object.fromEntries(upstream.shares.filter((s) => s.share > 0).map((s) => [s.service, s.share]));
  if (answering) {
    const query = target.includes('?') ? target.slice(target.indexOf('?')) : '';
    out.path = o.forwardedPath !== undefined ? `${o.forwardedPath}${query}` : target;
    out.backendTls = o.kind === 'passthrough' || (upstream?.upstream.tls ?? false);
    if (o.kind === 'passthrough' && out.tls !== 'refused') out.tls = { passthrough: out.backends[0] ?? o.upstream };
  }
  if (o.location !== undefined) out.location = o.location;
  if (req.sticky !== undefined) out.sticky = upstream?.upstream.stickyCookie ?? '';
  if (req.websocket) out.websocket = o.kind === 'proxy' && (o.route?.websocket ?? false);
  return out;
}
