#!/usr/bin/env node
/* Switchyard extension entrypoint: reads args and env, picks the renderer by kind, runs the SDK's loop. */
import winston from 'winston';
import { abortOnSignals, credentialsFromEnv, runExtension } from '@switchyard/extension-sdk';
import { USAGE, readSettings } from './options.js';

function main(): void {
  const read = readSettings(process.argv.slice(2), process.env.SWITCHYARD_PROXY_OPTIONS);
  if ('help' in read) {
    console.log(USAGE);
    return;
  }
  if ('error' in read && read.usage) {
    console.error(read.error);
    process.exit(2);
  }
  const logger = winston.createLogger({
    level: process.env.SWITCHYARD_LOG_LEVEL ?? 'info',
    format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
    defaultMeta: { component: 'extension' },
    transports: [new winston.transports.Console()],
  });
  if ('error' in read) {
    logger.error(read.error);
    process.exit(2);
  }
  const { core, proxy, cluster, name, renderer, config, renderOptions } = read.settings;
  let credentials;
  try {
    // core puts the extension's client certificate in a secret and names it here.
    credentials = credentialsFromEnv();
  } catch (err) {
    logger.error(`cannot load the control-plane credentials: ${(err as Error).message}`);
    process.exit(2);
  }
  if (!credentials) logger.warn('no control-plane credentials (SWITCHYARD_TLS_BUNDLE): connecting without TLS, which only a core with InsecureControlPlane = true accepts');
  logger.info('starting', { core, proxy, serviceCluster: cluster });
  runExtension({ coreAddress: core, name, cluster, version: '0.1.0', credentials, renderer, config, renderOptions, logger, signal: abortOnSignals() }).then(
    () => logger.info('stopped'),
    (err: Error) => {
      logger.error(`cannot run: ${err.message}`);
      process.exitCode = 2;
    },
  );
}

main();
