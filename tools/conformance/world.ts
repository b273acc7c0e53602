/**
 * The conformance world: one labelled swarm snapshot whose tasks are small Node servers on loopback
 * addresses (127.0.1.N, one per task), a test CA for the certificates the labels name, and the models
 * `buildModel` makes of it for two service clusters. `startWorld` starts the backends, builds the
 * models and starts, per model, the real nginx and the real HAProxy in its one-file and its split
 * layout; `stop` stops everything it started. Bounded: every start has its own timeout.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import { WebSocketServer } from 'ws';
import { buildModel } from '@switchyard/model';
import { Severity, type ProxyModel, type SwarmSnapshot } from '@switchyard/proto';
import { SnapshotBuilder } from '../../packages/model/tests/snapshot-builder.js';
import { startHaproxy } from '../../packages/render-haproxy/tests/helpers/live.js';
import { makeCa, startNginx, type TestCa } from '../../packages/render-nginx/tests/suites/live.js';

/** The service clusters of the world: `""` (the default cluster) and `east`. */
export type ClusterName = 'default' | 'east';

/** A proxy under test: a real binary serving one cluster's model on two loopback ports. */
export type ProxyTargetName = 'nginx' | 'haproxy' | 'haproxy-split';

/** Every target a row runs against: the three real proxies and `explainRequest`. */
export type TargetName = ProxyTargetName | 'explain';

/** The targets, in the order the suite runs them. */
export const TARGETS: readonly TargetName[] = ['nginx', 'haproxy', 'haproxy-split', 'explain'];

/**
 * The port clients reach the proxies' TLS listener on, as Docker would publish it (`PublishedSSLPort`):
 * both renderers and `explainRequest` get it as `publishedHttpsPort`. It differs from every listening
 * port of the suite, so an ssl_only redirect shows which one a target uses.
 */
export const PUBLISHED_HTTPS_PORT = 8443;

/** `maxFileBytes` of the split HAProxy layout: small enough that `switchyard.d/` parts are produced. */
export const SPLIT_MAX_FILE_BYTES = 5400;

/** A running proxy of one cluster. */
export interface RunningProxy {
  httpPort: number;
  httpsPort: number;
  /** Paths of the rendered files (the split layout has `switchyard.d/` parts). */
  files: string[];
  stop(): Promise<void>;
}

/** Everything the suite started. */
export interface World {
  models: Record<ClusterName, ProxyModel>;
  proxies: Record<ClusterName, Record<ProxyTargetName, RunningProxy>>;
  /** PEM of the test CA (certificates of terminated hosts and of TLS backends). */
  caPem: string;
  stop(): Promise<void>;
}

/** What an echo backend answers: which service and task it is, and what it received. */
export interface EchoBody {
  service: string;
  task: string;
  url: string;
  host: string;
  /** The connection to the backend was TLS (ssl_backend, passthrough). */
  tls: boolean;
  headers: http.IncomingHttpHeaders;
}

/** A backend service of the world: its labels and how its tasks listen. */
interface ServiceDef {
  name: string;
  labels: Record<string, string>;
  replicas: number;
  /** The tasks speak TLS with a certificate whose CN is `backend.<name>`. */
  tls?: boolean;
  /** Answer WebSocket upgrades (echo `<url>:<message>`). */
  websocket?: boolean;
  /** backend_mode=vip: only the VIP listens; the tasks' own addresses are never used. */
  vip?: boolean;
}

const lb = (labels: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.entries(labels).map(([k, v]) => [k.includes('.') ? k : `com.docker.lb.${k}`, v]));

/**
 * The services of the world (the port label is filled in when the backends listen). Host names end in
 * `.conf.test`; every feature of docs/routing/*.md has at least one service here.
 */
export const SERVICES: readonly ServiceDef[] = [
  // hosts-and-paths: one host, a root service, a context root with rewrite, a longer context root without.
  { name: 'web', labels: lb({ hosts: 'web.conf.test,www.conf.test' }), replicas: 2, websocket: true },
  { name: 'api', labels: lb({ hosts: 'web.conf.test', context_root: '/api', context_root_rewrite: 'true', redirects: 'http://web.conf.test/api/old,http://new.conf.test/moved' }), replicas: 1 },
  { name: 'apiv2', labels: lb({ hosts: 'web.conf.test', context_root: '/api/v2' }), replicas: 1 },
  // A host served only under a context root (other paths: no route).
  { name: 'docs', labels: lb({ hosts: 'docs.conf.test', context_root: '/docs' }), replicas: 1 },
  // redirects: old → new, both names on the service.
  { name: 'site', labels: lb({ hosts: 'old.conf.test,new.conf.test', redirects: 'http://old.conf.test,http://new.conf.test' }), replicas: 1 },
  // redirect from / next to a context root of another service: the most specific path wins.
  { name: 'legacy', labels: lb({ hosts: 'legacy.conf.test', redirects: 'http://legacy.conf.test,http://new.conf.test' }), replicas: 1 },
  { name: 'legacyapi', labels: lb({ hosts: 'legacy.conf.test', context_root: '/api' }), replicas: 1 },
  // tls-termination + ssl_only.
  { name: 'shop', labels: lb({ hosts: 'shop.conf.test', ssl_cert: 'shop-cert', ssl_key: 'shop-key', ssl_only: 'true' }), replicas: 1 },
  // tls-termination with a wildcard host and certificate (SNI picks it).
  { name: 'wild', labels: lb({ hosts: '*.wild.conf.test', ssl_cert: 'wild-cert', ssl_key: 'wild-key' }), replicas: 1 },
  // sticky-sessions.
  { name: 'sticky', labels: lb({ hosts: 'sticky.conf.test', sticky_session_cookie: 'SESSION' }), replicas: 2 },
  { name: 'iphash', labels: lb({ hosts: 'iphash.conf.test', ip_hash: 'true' }), replicas: 2 },
  // canary by weight: 3 : 1 whatever the replica counts.
  { name: 'stable', labels: lb({ hosts: 'canary.conf.test', 'com.switchyard.lb.weight': '300' }), replicas: 2 },
  { name: 'canary', labels: lb({ hosts: 'canary.conf.test', 'com.switchyard.lb.weight': '100' }), replicas: 1 },
  // canary by replica count (Interlock's pattern): 2 : 1.
  { name: 'blue', labels: lb({ hosts: 'bluegreen.conf.test' }), replicas: 2 },
  { name: 'green', labels: lb({ hosts: 'bluegreen.conf.test' }), replicas: 1 },
  // default-backend.
  { name: 'fallback', labels: lb({ default_backend: 'true' }), replicas: 1 },
  // websockets.
  { name: 'chat', labels: lb({ hosts: 'chat.conf.test', websocket_endpoints: '/ws' }), replicas: 1, websocket: true },
  // ssl_backend: the tasks speak TLS.
  { name: 'tlsback', labels: lb({ hosts: 'tlsback.conf.test', ssl_backend: 'true' }), replicas: 1, tls: true },
  // tls-passthrough: the tasks terminate TLS themselves.
  { name: 'pass', labels: lb({ hosts: 'pass.conf.test', ssl_passthrough: 'true' }), replicas: 1, tls: true },
  // vip-mode: one endpoint, the service's virtual IP.
  { name: 'vipsvc', labels: lb({ hosts: 'vip.conf.test', backend_mode: 'vip' }), replicas: 2, vip: true },
  // A routed service without running tasks: its upstream has no endpoints.
  { name: 'idle', labels: lb({ hosts: 'idle.conf.test' }), replicas: 0 },
  // service-clusters: routed by the east proxies only.
  { name: 'east', labels: lb({ hosts: 'east.conf.test', service_cluster: 'east' }), replicas: 1 },
];

/** Certificates the labels name: secret name → names (the CN is the secret name, so a client can tell which one it got). */
const CERTIFICATES: Readonly<Record<string, string[]>> = {
  'shop-cert': ['shop.conf.test'],
  'wild-cert': ['*.wild.conf.test'],
};

const VIP_ADDRESS = '127.0.1.250';

/** Runs `work` with a time limit. */
async function within<T>(ms: number, what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} took over ${ms} ms`)), ms)));
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

function listenOn(server: net.Server, address: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, address, () => resolve((server.address() as net.AddressInfo).port));
  });
}

/** Starts the world: backends, models of both clusters, and the three proxies per cluster. */
export async function startWorld(): Promise<World> {
  const servers: http.Server[] = [];
  const sockets: WebSocketServer[] = [];
  const proxies: { stop(): Promise<void> }[] = [];
  let ca: TestCa | undefined;
  const stop = async (): Promise<void> => {
    await Promise.all(proxies.map((p) => p.stop()));
    for (const wss of sockets) {
      for (const client of wss.clients) client.terminate();
      wss.close();
    }
    await Promise.all(
      servers.map(
        (s) =>
          new Promise<void>((resolve) => {
            s.close(() => resolve());
            s.closeAllConnections();
          }),
      ),
    );
    ca?.cleanup();
  };
  try {
    ca = makeCa();
    for (const [secret, names] of Object.entries(CERTIFICATES)) ca.issue(`${secret}.pem`, [secret, ...names]);
    const tlsServers = new Map<string, { cert: string; key: string }>();
    for (const def of SERVICES.filter((s) => s.tls)) {
      const file = `backend-${def.name}.pem`;
      ca.issue(file, [`backend.${def.name}`, ...def.labels['com.docker.lb.hosts']!.split(',')]);
      tlsServers.set(def.name, { cert: readPem(ca.dir, file), key: readPem(ca.dir, `${file}.key`) });
    }

    const builder = new SnapshotBuilder();
    builder.network('app');
    for (const secret of Object.keys(CERTIFICATES)) builder.secret(secret).secret(secret.replace(/-cert$/, '-key'));
    let next = 2;
    for (const def of SERVICES) {
      const addresses = Array.from({ length: def.replicas }, () => `127.0.1.${next++}`);
      const listening = def.vip ? [VIP_ADDRESS] : addresses;
      let port = 0; // stays 0 only for a service without tasks (its port label, 8080, is never used)
      for (const [i, address] of listening.entries()) {
        const task = def.vip ? 'vip' : `${def.name}.${i + 1}`;
        const server = echoServer(def, task, tlsServers.get(def.name));
        servers.push(server);
        if (def.websocket) sockets.push(wsEcho(server));
        port = await within(5000, `listening for ${task}`, listenOn(server, address, port));
      }
      builder.service(def.name, { ...def.labels, 'com.docker.lb.port': String(port || 8080) }, { replicas: 0, ...(def.vip ? { vips: { app: VIP_ADDRESS } } : {}) });
      for (const address of addresses) builder.task(def.name, { addresses: { app: [address] } });
    }
    const snapshot: SwarmSnapshot = builder.build();
    const models: Record<ClusterName, ProxyModel> = {
      default: buildModel(snapshot, { serviceCluster: '', version: 1 }),
      east: buildModel(snapshot, { serviceCluster: 'east', version: 1 }),
    };
    for (const [cluster, model] of Object.entries(models)) {
      const errors = model.diagnostics.filter((d) => d.severity === Severity.SEVERITY_ERROR);
      if (errors.length > 0) throw new Error(`model of cluster ${cluster} has errors: ${JSON.stringify(errors)}`);
    }

    const start = async (model: ProxyModel): Promise<Record<ProxyTargetName, RunningProxy>> => {
      const [nginx, haproxy, haproxySplit] = await within(
        20_000,
        'starting the proxies',
        Promise.all([
          startNginx(model, ca!.dir, { publishedHttpsPort: PUBLISHED_HTTPS_PORT }),
          startHaproxy(model, ca!.dir, { publishedHttpsPort: PUBLISHED_HTTPS_PORT }),
          startHaproxy(model, ca!.dir, { publishedHttpsPort: PUBLISHED_HTTPS_PORT, maxFileBytes: SPLIT_MAX_FILE_BYTES }),
        ]),
      );
      const running = { nginx, haproxy, 'haproxy-split': haproxySplit };
      const out = {} as Record<ProxyTargetName, RunningProxy>;
      for (const [name, p] of Object.entries(running) as [ProxyTargetName, typeof nginx][]) {
        proxies.push(p);
        const errors = p.diagnostics.filter((d) => d.severity === Severity.SEVERITY_ERROR);
        if (errors.length > 0) throw new Error(`${name} render has errors: ${JSON.stringify(errors)}`);
        out[name] = { httpPort: p.httpPort, httpsPort: p.httpsPort, files: p.files.map((f) => f.path), stop: p.stop };
      }
      return out;
    };
    const byCluster = { default: await start(models.default), east: await start(models.east) };
    return { models, proxies: byCluster, caPem: readPem(ca.dir, 'ca.pem'), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

function readPem(dir: string, file: string): string {
  return readFileSync(`${dir}/${file}`, 'utf8');
}

/** An HTTP (or HTTPS) server answering {@link EchoBody} as JSON. */
function echoServer(def: ServiceDef, task: string, tls: { cert: string; key: string } | undefined): http.Server {
  const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const body: EchoBody = {
      service: def.name,
      task,
      url: req.url ?? '',
      host: req.headers.host ?? '',
      tls: 'encrypted' in req.socket && req.socket.encrypted === true,
      headers: req.headers,
    };
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(body));
  };
  return tls ? https.createServer(tls, handler) : http.createServer(handler);
}

/** Answers WebSocket upgrades on `server`: each message comes back as `<url>:<message>`. */
function wsEcho(server: http.Server): WebSocketServer {
  const wss = new WebSocketServer({ server });
  wss.on('connection', (socket, req) => socket.on('message', (data) => socket.send(`${req.url ?? ''}:${String(data)}`)));
  return wss;
}
