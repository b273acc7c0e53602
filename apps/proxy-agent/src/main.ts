#!/usr/bin/env node
/* Switchyard proxy agent entrypoint: reads the environment, wires logger, driver and gRPC client, runs the agent. */
import { hostname } from 'node:os';
import winston from 'winston';
import { connectExtensionClient, credentialsFromEnv, type TlsCredentials } from '@switchyard/proto/client';
import { commandDriver, haproxyDriver, nginxDriver, runProxyAgent, type ProxyDriver } from '@switchyard/proxy-agent';
import { ENV_USAGE, readAgentArgs, readAgentEnv, type AgentEnv } from './env.js';

const VERSION = '0.1.0';
const FORWARDED = ['SIGTERM', 'SIGINT', 'SIGQUIT', 'SIGUSR1'] as const;

function main(): void {
  const args = readAgentArgs(process.argv.slice(2));
  if ('error' in args) {
    console.error(`${args.error}\n${ENV_USAGE}`);
    process.exitCode = 2;
    return;
  }
  if (args.help) {
    console.log(ENV_USAGE);
    return;
  }
  const { env, errors } = readAgentEnv(process.env);
  const logger = winston.createLogger({
    level: env?.logLevel ?? 'info',
    format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
    defaultMeta: { component: 'proxy-agent' },
    transports: [new winston.transports.Console()],
  });
  if (!env) {
    for (const e of errors) logger.error(e);
    console.error(ENV_USAGE);
    process.exitCode = 2;
    return;
  }
  let tls: TlsCredentials | undefined;
  try {
    // core puts this proxy service's client certificate in a secret and names it here.
    tls = credentialsFromEnv(process.env);
  } catch (err) {
    logger.error(`cannot load the control-plane credentials: ${(err as Error).message}`);
    process.exitCode = 2;
    return;
  }
  if (!tls) logger.warn('no control-plane credentials (SWITCHYARD_TLS_BUNDLE): connecting without TLS, which only a core with InsecureControlPlane = true accepts');
  const controller = new AbortController();
  for (const sig of FORWARDED) {
    process.on(sig, () => {
      if (controller.signal.aborted) logger.info('already stopping', { signal: sig });
      else controller.abort(sig);
    });
  }
  const replica = { taskId: env.taskId, nodeId: env.nodeId, hostname: hostname(), agentVersion: VERSION };
  logger.info('starting', { core: env.coreAddress, proxyService: env.proxyService, proxy: env.kind, bootConfig: env.bootConfigPath, liveDir: env.liveRoot, taskId: env.taskId, nodeId: env.nodeId });
  runProxyAgent(
    {
      proxyService: env.proxyService,
      replica,
      driver: driverFor(env),
      bootConfigPath: env.bootConfigPath,
      liveRoot: env.liveRoot,
      connect: () => connectExtensionClient(env.coreAddress, { tls }),
      logger,
      bootWaitMs: env.bootWaitMs,
      minReloadIntervalMs: env.minReloadIntervalMs,
    },
    controller.signal,
  ).then((code) => {
    logger.info('stopped', { exitCode: code });
    process.exitCode = code;
    // Nothing should keep the event loop alive now; do not let a stray handle hold the container.
    setTimeout(() => process.exit(code), 1000).unref();
  });
}

/** The built-in driver of nginx or HAProxy, or one made of a third-party proxy's commands. */
function driverFor(env: AgentEnv): ProxyDriver {
  if (env.commands) return commandDriver({ kind: env.kind, configPath: env.bootConfigPath, ...env.commands });
  return env.kind === 'haproxy' ? haproxyDriver() : nginxDriver();
}

main();
