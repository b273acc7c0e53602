#!/usr/bin/env node
/* Switchyard extension entrypoint: parses args, picks the renderer, runs the loop. */
import { parseArgs } from 'node:util';
import winston from 'winston';
import { ProxyKind } from '@switchyard/proto';
import { credentialsFromEnv } from '@switchyard/proto/client';
import { parseHaproxyConfig, renderHaproxy } from '@switchyard/render-haproxy';
import { parseNginxConfig, renderNginx } from '@switchyard/render-nginx';
import { runExtension, type Renderer } from './runner.js';

const USAGE = `usage: switchyard-extension --core HOST:PORT [--proxy nginx|haproxy] [--cluster NAME] [--name NAME]
  proxy options (Interlock's [Extensions.*.Config] table plus ports) come as JSON in
  $SWITCHYARD_PROXY_OPTIONS: {"config": {...}, "httpPort": 80, "httpsPort": 443, "publishedHttpsPort": 443}`;

/**
 * The command line, strictly: an unknown flag or a stray argument is an error (exit 2). Empty stray
 * arguments are allowed (Interlock's default `Args = [""]`); a flag's value may be empty (`--cluster ""`).
 */
function readArgs(): { core?: string; proxy: string; cluster: string; name: string; help: boolean } {
  try {
    const { values, positionals } = parseArgs({
      args: process.argv.slice(2),
      allowPositionals: true,
      options: {
        core: { type: 'string' },
        proxy: { type: 'string', default: 'nginx' },
        cluster: { type: 'string', default: '' },
        name: { type: 'string', default: 'default' },
        help: { type: 'boolean', default: false },
      },
      strict: true,
    });
    const stray = positionals.find((p) => p !== '');
    if (stray !== undefined) throw new Error(`Unexpected argument '${stray}'`);
    return values;
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    process.exit(2);
  }
}

function main(): void {
  const args = readArgs();
  if (args.help) {
    console.log(USAGE);
    return;
  }
  const logger = winston.createLogger({
    level: process.env.SWITCHYARD_LOG_LEVEL ?? 'info',
    format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
    defaultMeta: { component: 'extension' },
    transports: [new winston.transports.Console()],
  });
  const { core, proxy } = args;
  if (!core || (proxy !== 'nginx' && proxy !== 'haproxy')) {
    console.error(USAGE);
    process.exit(2);
  }
  let opts: { config?: Record<string, unknown>; httpPort?: number; httpsPort?: number; publishedHttpsPort?: number } = {};
  try {
    opts = JSON.parse(process.env.SWITCHYARD_PROXY_OPTIONS ?? '{}');
  } catch (err) {
    logger.error('SWITCHYARD_PROXY_OPTIONS is not valid JSON', { error: (err as Error).message });
    process.exit(2);
  }
  let render: Renderer;
  try {
    if (proxy === 'haproxy') {
      const config = parseHaproxyConfig(opts.config ?? {});
      render = (model) => renderHaproxy(model, { config, httpPort: opts.httpPort, httpsPort: opts.httpsPort, publishedHttpsPort: opts.publishedHttpsPort });
    } else {
      const config = parseNginxConfig(opts.config ?? {});
      render = (model) => renderNginx(model, { config, httpPort: opts.httpPort, httpsPort: opts.httpsPort, publishedHttpsPort: opts.publishedHttpsPort });
    }
  } catch (err) {
    logger.error(`invalid proxy options: ${(err as Error).message}`);
    process.exit(2);
  }
  let tls;
  try {
    // core puts the extension's client certificate in a secret and names it here.
    tls = credentialsFromEnv();
  } catch (err) {
    logger.error(`cannot load the control-plane credentials: ${(err as Error).message}`);
    process.exit(2);
  }
  if (!tls) logger.warn('no control-plane credentials (SWITCHYARD_TLS_BUNDLE): connecting without TLS, which only a core with InsecureControlPlane = true accepts');
  const controller = new AbortController();
  for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => controller.abort());
  const { name, cluster } = args;
  logger.info('starting', { core, proxy, serviceCluster: cluster });
  runExtension(
    {
      coreAddress: core,
      name,
      serviceCluster: cluster,
      proxyKind: proxy === 'haproxy' ? ProxyKind.PROXY_KIND_HAPROXY : ProxyKind.PROXY_KIND_NGINX,
      version: '0.1.0',
      tls,
      render,
      logger,
    },
    controller.signal,
  ).then(() => logger.info('stopped'));
}

main();
