#!/usr/bin/env node
/* Switchyard core entrypoint: wiring only (config, Docker, logger, gRPC and HTTP listeners). */
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import https from 'node:https';
import { hostname } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { createServer } from 'nice-grpc';
import winston from 'winston';
import { ExtensionServiceDefinition } from '@switchyard/proto';
import { DEFAULT_DOCKER_TIMEOUT_MS, DockerodePort, withDockerTimeout } from '@switchyard/reconciler';
import { parseCoreArgs, USAGE, type ConfigSource, type CoreCommand } from './args.js';
import { CA_SECRET_FILE, loadControlPlaneCa, type CaLocation } from './ca-store.js';
import { parseCoreConfig, readConfigObject, type CoreConfig } from './config.js';
import { ControlPlaneTls, insecureCallers } from './control-plane.js';
import { Core } from './core.js';
import { instrumentedDockerPort } from './counting-port.js';
import { ServiceCredentials } from './credentials.js';
import { CoreMetrics } from './metrics.js';
import { credentialsBundle, issueCertificate } from './pki.js';

/** Where core finds its control-plane CA (see ca-store.ts). */
function caLocation(config: Pick<CoreConfig, 'ControlPlaneCACert' | 'ControlPlaneCAKey'> | undefined): CaLocation {
  return {
    certFile: config?.ControlPlaneCACert,
    keyFile: config?.ControlPlaneCAKey,
    mountedFile: process.env.SWITCHYARD_CA_FILE ?? join('/run/secrets', CA_SECRET_FILE),
    dir: process.env.SWITCHYARD_PKI_DIR || undefined,
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** `switchyard-core issue ...`: prints a credentials bundle for an operator or a third-party extension. */
async function issue(command: Extract<CoreCommand, { command: 'issue' }>, logger: winston.Logger): Promise<void> {
  const { role, name, cluster } = command;
  let config: CoreConfig | undefined;
  try {
    config = parseCoreConfig(readFileSync(command.configFile, 'utf8'));
  } catch {
    config = undefined;
  }
  const outcome = await loadControlPlaneCa(caLocation(config), config?.CoreNetwork ?? 'switchyard', logger);
  if ('restart' in outcome) throw new Error(outcome.restart);
  const issued = issueCertificate(outcome.ca, { identity: { role, name, serviceCluster: cluster } });
  process.stdout.write(credentialsBundle(issued, outcome.ca));
  logger.info('issued credentials', { role, name, serviceCluster: cluster, notAfter: issued.notAfter.toISOString() });
}

/** The ID of the swarm service this process runs in (from its own container's labels); undefined when unknown. */
async function selfServiceId(docker: Docker, timeoutMs: number): Promise<string | undefined> {
  try {
    const info = await withDockerTimeout('inspectContainer', (abortSignal) => docker.getContainer(hostname()).inspect({ abortSignal }), { timeoutMs });
    return info.Config.Labels?.['com.docker.swarm.service.id'];
  } catch {
    return undefined;
  }
}

function dockerFromUrl(cfg: CoreConfig): Docker {
  const url = new URL(cfg.DockerURL);
  if (url.protocol === 'unix:') return new Docker({ socketPath: url.pathname });
  const tls = cfg.TLSCert && cfg.TLSKey ? { ca: cfg.TLSCACert ? readFileSync(cfg.TLSCACert) : undefined, cert: readFileSync(cfg.TLSCert), key: readFileSync(cfg.TLSKey) } : undefined;
  return new Docker({
    host: url.hostname,
    port: Number(url.port || (tls ? 2376 : 2375)),
    protocol: tls ? 'https' : 'http',
    // Interlock's AllowInsecure: the Docker API's certificate is not verified (client certificate still sent).
    ...(tls ? (cfg.AllowInsecure ? { agent: new https.Agent({ ...tls, rejectUnauthorized: false }) } : tls) : {}),
  });
}

function splitAddr(addr: string): { host: string; port: number } {
  const i = addr.lastIndexOf(':');
  return { host: addr.slice(0, i) || '0.0.0.0', port: Number(addr.slice(i + 1)) };
}

async function loadConfigText(source: ConfigSource, logger: winston.Logger): Promise<string> {
  if ('object' in source) {
    // Before the config is read, DockerAPITimeout is not known: the default deadline applies.
    const port = new DockerodePort(new Docker({ socketPath: '/var/run/docker.sock' }), { timeoutMs: DEFAULT_DOCKER_TIMEOUT_MS });
    const text = await readConfigObject(port, source.object);
    logger.info('read config from Docker Config object', { config: source.object });
    return text;
  }
  logger.info('reading config file', { file: source.file });
  return readFileSync(source.file, 'utf8');
}

async function main(): Promise<void> {
  const command = parseCoreArgs(process.argv.slice(2), process.env);
  if ('error' in command) {
    console.error(`${command.error}\n${USAGE}`);
    process.exit(2);
  }
  if (command.command === 'help') {
    console.log(USAGE);
    return;
  }
  const logger = winston.createLogger({
    level: process.env.SWITCHYARD_LOG_LEVEL ?? 'info',
    format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
    defaultMeta: { component: 'core' },
    transports: [new winston.transports.Console()],
  });
  if (command.command === 'issue') {
    logger.configure({ transports: [new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'debug'] })] });
    await issue(command, logger);
    return;
  }
  let config: CoreConfig;
  try {
    config = parseCoreConfig(await loadConfigText(command.config, logger));
  } catch (err) {
    logger.error((err as Error).message);
    process.exit(2);
  }
  // Interlock keys Switchyard accepts but does not use: said once, at start (and shown by `switchyard status`).
  for (const i of config.IgnoredKeys) logger.warn(i.replacement === undefined ? 'config key ignored' : 'config key replaced', { key: i.key, reason: i.reason, replacement: i.replacement });
  logger.info('config loaded', {
    listenAddr: config.ListenAddr,
    dockerApiTimeoutMs: config.DockerAPITimeoutMs,
    extensions: config.Extensions.map((e) => ({ name: e.Name, proxyKind: e.ProxyKind, serviceCluster: e.ServiceCluster, proxyService: e.ProxyServiceName, ports: [e.PublishedPort, e.PublishedSSLPort], publishMode: e.PublishMode })),
  });

  const metrics = new CoreMetrics();
  const dockerode = dockerFromUrl(config);
  // Every Docker call core makes has this deadline (the open event stream has none).
  const docker = instrumentedDockerPort(new DockerodePort(dockerode, { timeoutMs: config.DockerAPITimeoutMs }), metrics, logger);
  const g = splitAddr(config.ListenAddr);

  let core: Core;
  let front: ControlPlaneTls | undefined;
  let grpcServer: { shutdown(): Promise<void> };
  if (config.InsecureControlPlane) {
    logger.warn(
      'InsecureControlPlane = true: core\'s gRPC API runs WITHOUT TLS or authentication. Anything that reaches this port can register as an extension and push proxy configurations. Use it only on a network you trust completely.',
      { addr: config.ListenAddr },
    );
    core = new Core({ config, docker, logger, metrics });
    const grpc = createServer().use(insecureCallers());
    grpcServer = grpc;
    grpc.add(ExtensionServiceDefinition, core.service);
    await grpc.listen(`${g.host}:${g.port}`);
    logger.info('gRPC listening (plaintext)', { addr: config.ListenAddr });
  } else {
    const outcome = await loadControlPlaneCa(caLocation(config), config.CoreNetwork, logger, { docker, selfServiceId: () => selfServiceId(dockerode, config.DockerAPITimeoutMs) });
    if ('restart' in outcome) {
      logger.info(outcome.restart);
      // Swarm replaces this task with one that has the secret; do not serve meanwhile.
      await sleep(120_000);
      process.exit(1);
    }
    logger.info('control-plane CA loaded', { source: outcome.source });
    const coreHost = config.CoreAddress.slice(0, config.CoreAddress.lastIndexOf(':')) || 'localhost';
    const server = issueCertificate(outcome.ca, { identity: { role: 'core', name: coreHost.replace(/[^A-Za-z0-9_.-]/g, '-') || 'core', serviceCluster: '' }, dnsNames: [...new Set([coreHost, 'localhost', hostname()])], ipAddresses: ['127.0.0.1'] });
    core = new Core({ config, docker, logger, metrics, credentials: new ServiceCredentials(docker, outcome.ca, config.CoreNetwork, logger) });
    front = new ControlPlaneTls({ ca: outcome.ca.certPem, cert: server.certPem, key: server.keyPem, logger, onRefused: (reason) => metrics.controlPlaneRefused.inc({ reason }) });
    const grpc = createServer().use(front.middleware());
    grpcServer = grpc;
    grpc.add(ExtensionServiceDefinition, core.service);
    const inner = await grpc.listen('127.0.0.1:0');
    await front.listen(g.host, g.port, inner);
    logger.info('gRPC listening (mutual TLS)', { addr: config.ListenAddr });
  }

  let ready = false;
  const http = createHttpServer((req, res) => {
    if (req.url === '/healthz' || req.url === '/health') {
      res.writeHead(ready ? 200 : 503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: ready, models: core.hub.all().map((m) => ({ serviceCluster: m.serviceCluster, version: m.version })) }));
    } else if (req.url === '/metrics') {
      metrics.registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': metrics.registry.contentType });
          res.end(text);
        },
        () => res.writeHead(500).end(),
      );
    } else {
      res.writeHead(404).end();
    }
  });
  const h = splitAddr(config.MetricsAddr);
  http.listen(h.port, h.host);
  core.start();
  ready = true;

  const shutdown = async (signal: string): Promise<void> => {
    logger.info('shutting down', { signal });
    ready = false;
    http.close();
    front?.close();
    await core.stop();
    await grpcServer.shutdown();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((err) => {
  console.error(JSON.stringify({ level: 'error', message: `core failed: ${(err as Error).message}` }));
  process.exit(1);
});
