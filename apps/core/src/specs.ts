import { posix } from 'node:path';
import type Dockerode from 'dockerode';
import type { ProxyModel } from '@switchyard/proto';
import { isProxyKindName, type CoreConfig, type ExtensionConfig } from './config.js';

/** Label keys core puts on what it creates, so it can find (and only touch) its own objects. */
export const MANAGED_BY = 'com.switchyard.managed-by';
export const MANAGED_BY_VALUE = 'switchyard-core';
export const ROLE = 'com.switchyard.role';
export const EXTENSION = 'com.switchyard.extension';
export const PROXY_SERVICE = 'com.switchyard.proxy-service';
export const CONFIG_PATH = 'com.switchyard.config-path';
/** Identifies one Switchyard installation: the name of its core network. */
export const INSTALLATION = 'com.switchyard.core-network';

const NS_PER_MS = 1_000_000;

/** A Docker Config that holds one delivered file, as mounted into the proxy. */
export interface DeliveredConfig {
  id: string;
  name: string;
  /** Absolute path of the file inside the proxy container. */
  target: string;
}

/** A secret the proxy must have mounted. */
export interface MountedSecret {
  id: string;
  name: string;
  /** File name under /run/secrets. */
  file: string;
}

function placement(constraints: string[], preferences: string[]): Dockerode.Placement {
  return {
    Constraints: constraints,
    Preferences: preferences.map((p) => ({ Spread: { SpreadDescriptor: p.replace(/^spread=/, '') } })),
  };
}

/**
 * The extension service core runs for one `[Extensions.<name>]` section. `coreNetworkId` is the ID
 * of the overlay network core and the extensions share (IDs, not names: Docker stores IDs).
 */
export function extensionServiceSpec(core: CoreConfig, ext: ExtensionConfig, coreNetworkId: string, credentials?: MountedSecret): Dockerode.ServiceSpec {
  const env = {
    config: ext.Config,
    httpPort: ext.TargetPort,
    httpsPort: ext.TargetSSLPort,
    // Where clients reach the TLS port (the ssl_only redirect's port).
    publishedHttpsPort: ext.PublishedSSLPort,
  };
  return {
    Name: ext.ServiceName,
    Labels: { ...ext.Labels, [MANAGED_BY]: MANAGED_BY_VALUE, [ROLE]: 'extension', [EXTENSION]: ext.Name, [INSTALLATION]: core.CoreNetwork },
    TaskTemplate: {
      ContainerSpec: {
        Image: ext.Image,
        Args: [...ext.Args, '--core', core.CoreAddress, '--proxy', ext.ProxyKind, '--cluster', ext.ServiceCluster, '--name', ext.Name],
        Env: [`SWITCHYARD_PROXY_OPTIONS=${JSON.stringify(env)}`, ...(credentials ? [`SWITCHYARD_TLS_BUNDLE=/run/secrets/${credentials.file}`] : [])],
        Labels: ext.ContainerLabels,
        ...(credentials ? { Secrets: [{ SecretID: credentials.id, SecretName: credentials.name, File: { Name: credentials.file, UID: '0', GID: '0', Mode: 0o400 } }] } : {}),
      },
      Placement: placement(ext.Constraints, ext.PlacementPreferences),
      RestartPolicy: { Condition: 'any', Delay: 1000 * NS_PER_MS },
      Networks: [{ Target: coreNetworkId }],
    },
    Mode: { Replicated: { Replicas: 1 } },
    UpdateConfig: { Parallelism: 1, Delay: 0, FailureAction: 'pause', Order: 'stop-first' },
  };
}

/**
 * The proxy service for one extension, given the configs that hold its rendered files, the
 * networks it must join (IDs) and the secrets of the certificates it serves.
 */
export function proxyServiceSpec(
  installation: string,
  ext: ExtensionConfig,
  configs: DeliveredConfig[],
  networkIds: string[],
  secrets: MountedSecret[],
  /** Environment of the proxy container (the proxy agent's settings in hitless mode). */
  env: string[] = [],
): Dockerode.ServiceSpec {
  const updateConfig: Dockerode.UpdateConfig = {
    Parallelism: 1,
    Delay: ext.ProxyUpdateDelayMs * NS_PER_MS,
    FailureAction: 'rollback',
    Monitor: 5000 * NS_PER_MS,
    MaxFailureRatio: 0,
    // Host-mode ports allow one task per node: the old task must stop before the new one starts.
    Order: ext.PublishMode === 'host' ? 'stop-first' : 'start-first',
  };
  return {
    Name: ext.ProxyServiceName,
    Labels: { ...ext.ProxyLabels, [MANAGED_BY]: MANAGED_BY_VALUE, [ROLE]: 'proxy', [EXTENSION]: ext.Name, [INSTALLATION]: installation },
    TaskTemplate: {
      ContainerSpec: {
        Image: ext.ProxyImage,
        ...(ext.ProxyArgs.length > 0 ? { Args: ext.ProxyArgs } : {}),
        // With the agent as PID 1, a tiny init reaps whatever the proxy leaves behind.
        ...(env.length > 0 ? { Env: env, Init: true } : {}),
        Labels: ext.ProxyContainerLabels,
        StopSignal: ext.ProxyStopSignal,
        StopGracePeriod: ext.ProxyStopGracePeriodMs * NS_PER_MS,
        Configs: [...configs]
          .sort((a, b) => (a.target < b.target ? -1 : 1))
          .map((c) => ({ ConfigID: c.id, ConfigName: c.name, File: { Name: c.target, UID: '0', GID: '0', Mode: 0o444 } })),
        Secrets: [...secrets]
          .sort((a, b) => (a.file < b.file ? -1 : 1))
          .map((s) => ({ SecretID: s.id, SecretName: s.name, File: { Name: s.file, UID: '0', GID: '0', Mode: 0o400 } })),
      },
      Placement: placement(ext.ProxyConstraints, ext.ProxyPlacementPreferences),
      RestartPolicy: { Condition: 'any', Delay: 1000 * NS_PER_MS },
      Networks: [...new Set(networkIds)].sort().map((Target) => ({ Target })),
    },
    // Host-mode ports allow one proxy per node: with in-place updates run one on every eligible node
    // (global), so that a drained or lost node leaves no task pending that would hold every later
    // update. Rolling updates (HitlessServiceUpdate = false) keep Interlock's ProxyReplicas replicas:
    // Swarm (20.10) replaces a global task stop-first without waiting for its host port to be free
    // ("host-mode port already in use"), which made every rolling change take 7-36 s instead of ~6 s.
    Mode: ext.PublishMode === 'host' && ext.HitlessServiceUpdate && ext.ProxyReplicas > 0 ? { Global: {} } : { Replicated: { Replicas: ext.ProxyReplicas } },
    UpdateConfig: updateConfig,
    RollbackConfig: { ...updateConfig, FailureAction: 'pause' },
    EndpointSpec: {
      Mode: 'vip',
      Ports: [
        { Protocol: 'tcp', TargetPort: ext.TargetPort, PublishedPort: ext.PublishedPort, PublishMode: ext.PublishMode },
        { Protocol: 'tcp', TargetPort: ext.TargetSSLPort, PublishedPort: ext.PublishedSSLPort, PublishMode: ext.PublishMode },
      ],
    },
  };
}

/**
 * Environment that turns on the proxy agent in Switchyard's proxy images (hitless mode): where core
 * is, which proxy service and kind this is, where Docker mounted the boot configuration, and the
 * task's identity (Swarm fills the `{{...}}` templates per task).
 */
export function proxyAgentEnv(coreAddress: string, ext: ExtensionConfig, credentials?: MountedSecret): string[] {
  return [
    ...(credentials ? [`SWITCHYARD_TLS_BUNDLE=/run/secrets/${credentials.file}`] : []),
    `SWITCHYARD_CORE_ADDRESS=${coreAddress}`,
    `SWITCHYARD_PROXY_SERVICE=${ext.ProxyServiceName}`,
    `SWITCHYARD_PROXY_KIND=${ext.ProxyKind}`,
    `SWITCHYARD_BOOT_CONFIG=${ext.ProxyConfigPath}`,
    'SWITCHYARD_TASK_ID={{.Task.ID}}',
    'SWITCHYARD_NODE_ID={{.Node.ID}}',
    ...thirdPartyAgentEnv(ext),
  ];
}

/** How the agent runs, checks and reloads a proxy of a third-party kind (nothing for nginx and HAProxy). */
function thirdPartyAgentEnv(ext: ExtensionConfig): string[] {
  if (isProxyKindName(ext.ProxyKind)) return [];
  return [
    `SWITCHYARD_PROXY_START=${JSON.stringify(ext.ProxyArgs)}`,
    ...(ext.ProxyCheckCommand ? [`SWITCHYARD_PROXY_CHECK=${JSON.stringify(ext.ProxyCheckCommand)}`] : []),
    ...(ext.ProxyReloadCommand ? [`SWITCHYARD_PROXY_RELOAD=${JSON.stringify(ext.ProxyReloadCommand)}`] : []),
    ...(ext.ProxyReloadSignal ? [`SWITCHYARD_PROXY_RELOAD_SIGNAL=${ext.ProxyReloadSignal}`] : []),
    `SWITCHYARD_PROXY_STOP_SIGNAL=${ext.ProxyStopSignal}`,
  ];
}

/** The configs a service spec mounts, as {@link DeliveredConfig}s (what its tasks booted from). */
export function mountedConfigs(spec: Dockerode.ServiceSpec | undefined): DeliveredConfig[] {
  const c = ((spec?.TaskTemplate ?? {}) as Dockerode.ContainerTaskSpec).ContainerSpec;
  return (c?.Configs ?? []).flatMap((x) => (x.ConfigID && x.ConfigName && x.File?.Name ? [{ id: x.ConfigID, name: x.ConfigName, target: x.File.Name }] : []));
}

/** Where a rendered file lands in the proxy: the first file at ProxyConfigPath, others beside it. */
export function configTarget(ext: ExtensionConfig, filePath: string, index: number): string {
  if (index === 0) return ext.ProxyConfigPath;
  return posix.join(posix.dirname(ext.ProxyConfigPath), filePath);
}

/** Secrets of the model's certificates, resolved to IDs; names that do not resolve are returned apart. */
export function certificateSecrets(model: ProxyModel, secretIds: ReadonlyMap<string, string>): { secrets: MountedSecret[]; missing: string[] } {
  const secrets: MountedSecret[] = [];
  const missing: string[] = [];
  for (const cert of model.certificates) {
    for (const [name, file] of [
      [cert.certSecret, cert.certFile],
      [cert.keySecret, cert.keyFile],
    ] as const) {
      const id = secretIds.get(name);
      if (id === undefined) missing.push(name);
      else secrets.push({ id, name, file });
    }
  }
  return { secrets, missing };
}

/**
 * The parts of a service spec core owns, in a canonical form: two specs with the same
 * fingerprint need no update. Docker fills defaults and rewrites network names to IDs, so
 * only fields core sets are compared.
 */
export function specFingerprint(spec: Dockerode.ServiceSpec): string {
  const task = (spec.TaskTemplate ?? {}) as Dockerode.ContainerTaskSpec;
  const c = task.ContainerSpec ?? {};
  return JSON.stringify({
    name: spec.Name,
    labels: sortKeys(spec.Labels ?? {}),
    image: c.Image,
    args: c.Args ?? [],
    env: c.Env ?? [],
    clabels: sortKeys(c.Labels ?? {}),
    stop: [c.StopSignal ?? '', c.StopGracePeriod ?? 0],
    configs: (c.Configs ?? []).map((x) => [x.ConfigName, x.File?.Name]).sort(),
    secrets: (c.Secrets ?? []).map((x) => [x.SecretName, x.File?.Name]).sort(),
    networks: (task.Networks ?? spec.Networks ?? []).map((n) => n.Target).sort(),
    constraints: task.Placement?.Constraints ?? [],
    replicas: spec.Mode?.Global ? 'global' : spec.Mode?.Replicated?.Replicas,
    ports: (spec.EndpointSpec?.Ports ?? []).map((p) => [p.TargetPort, p.PublishedPort, p.PublishMode]),
    update: spec.UpdateConfig ? [spec.UpdateConfig.Delay ?? 0, spec.UpdateConfig.FailureAction, spec.UpdateConfig.Order] : null,
  });
}

function sortKeys(obj: Record<string, string>): [string, string][] {
  return Object.entries(obj).sort(([a], [b]) => (a < b ? -1 : 1));
}
