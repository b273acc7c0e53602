#!/usr/bin/env node
/* Switchyard core entrypoint: wiring only (config, Docker, logger, gRPC and HTTP listeners). */
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import Docker from 'dockerode';
import { createServer } from 'nice-grpc';
import winston from 'winston';
import { ExtensionServiceDefinition } from '@switchyard/proto';
import { DockerodePort } from '@switchyard/reconciler';
import { parseHaproxyConfig } from '@switchyard/render-haproxy';
import { parseNginxConfig } from '@switchyard/render-nginx';
import { parseCoreConfig, readConfigObject, type CoreConfig } from './config.js';
import { Core } from './core.js';
import { countingDockerPort } from './counting-port.js';
import { CoreMetrics } from './metrics.js';

const USAGE = `usage: switchyard-core [--config FILE | --config-object NAME]
  --config FILE          read the TOML config from FILE (default: $SWITCHYARD_CONFIG or /config.toml)
  --config-object NAME   read it from the Docker Config object NAME (as Interlock does)`;

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function dockerFromUrl(cfg: CoreConfig): Docker {
  const url = new URL(cfg.DockerURL);
  if (url.protocol === 'unix:') return new Docker({ socketPath: url.pathname });
  const tls = cfg.TLSCert && cfg.TLSKey;
  return new Docker({
    host: url.hostname,
    port: Number(url.port || (tls ? 2376 : 2375)),
    protocol: tls ? 'https' : 'http',
    ...(tls ? { ca: cfg.TLSCACert ? readFileSync(cfg.TLSCACert) : undefined, cert: readFileSync(cfg.TLSCert!), key: readFileSync(cfg.TLSKey!) } : {}),
  });
}

function splitAddr(addr: string): { host: string; port: number } {
  const i = addr.lastIndexOf(':');
  return { host: addr.slice(0, i) || '0.0.0.0', port: Number(addr.slice(i + 1)) };
}

function validateProxyConfig(kind: 'nginx' | 'haproxy', raw: Record<string, unknown>): void {
  if (kind === 'haproxy') parseHaproxyConfig(raw);
  else parseNginxConfig(raw);
}

async function loadConfigText(logger: winston.Logger): Promise<string> {
  if (process.argv.includes('--help')) {
    console.log(USAGE);
    process.exit(0);
  }
  const objectName = arg('--config-object');
  if (objectName) {
    const text = await readConfigObject(new DockerodePort(new Docker({ socketPath: '/var/run/docker.sock' })), objectName);
    logger.info('read config from Docker Config object', { config: objectName });
    return text;
  }
  const file = arg('--config') ?? process.env.SWITCHYARD_CONFIG ?? '/config.toml';
  logger.info('reading config file', { file });
  return readFileSync(file, 'utf8');
}

async function main(): Promise<void> {
  const logger = winston.createLogger({
    level: process.env.SWITCHYARD_LOG_LEVEL ?? 'info',
    format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
    defaultMeta: { component: 'core' },
    transports: [new winston.transports.Console()],
  });
  let config: CoreConfig;
  try {
    config = parseCoreConfig(await loadConfigText(logger), validateProxyConfig);
  } catch (err) {
    logger.error((err as Error).message);
    process.exit(2);
  }
  logger.info('config loaded', {
    listenAddr: config.ListenAddr,
    extensions: config.Extensions.map((e) => ({ name: e.Name, proxyKind: e.ProxyKind, serviceCluster: e.ServiceCluster, proxyService: e.ProxyServiceName, ports: [e.PublishedPort, e.PublishedSSLPort], publishMode: e.PublishMode })),
  });

  const metrics = new CoreMetrics();
  const docker = countingDockerPort(new DockerodePort(dockerFromUrl(config)), (method) => metrics.dockerCalls.inc({ method }));
  const core = new Core({ config, docker, logger, metrics });

  const grpc = createServer();
  grpc.add(ExtensionServiceDefinition, core.service);
  const g = splitAddr(config.ListenAddr);
  await grpc.listen(`${g.host}:${g.port}`);
  logger.info('gRPC listening', { addr: config.ListenAddr });

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
    await core.stop();
    await grpc.shutdown();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((err) => {
  console.error(JSON.stringify({ level: 'error', message: `core failed: ${(err as Error).message}` }));
  process.exit(1);
});
