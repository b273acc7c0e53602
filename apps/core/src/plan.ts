import { createHash } from 'node:crypto';
import type { DockerConfig, DockerService, DockerServiceSpec, DockerTask } from '@switchyard/reconciler';
import type { RenderedFile } from '@switchyard/proto';
import type { ExtensionConfig } from './config.js';
import { DeliveryError } from './delivery-error.js';
import {
  CONFIG_PATH,
  EXTENSION,
  INSTALLATION,
  MANAGED_BY,
  MANAGED_BY_VALUE,
  PROXY_SERVICE,
  ROLE,
  configTarget,
  mountedConfigs,
  proxyServiceSpec,
  specFingerprint,
  type DeliveredConfig,
  type MountedSecret,
} from './specs.js';

/*
 * core's Docker decisions, as pure functions of what is desired and what Docker reported (observed).
 * Nothing here calls Docker, reads a clock or logs: a plan is an ordered list of steps, and the
 * executor (executor.ts) and the delivery (delivery.ts) carry it out. Every step says why it is there
 * (`message`, `meta`), which is what the executor logs.
 */

/** Which of core's services a step is about. */
export type ServiceRole = 'extension' | 'proxy';

/** One change to make in Docker. */
export type DockerAction =
  | { op: 'create-config'; name: string; path: string; labels: Record<string, string>; content: string; message: string; meta: Record<string, unknown> }
  | { op: 'create-service'; role: ServiceRole; spec: DockerServiceSpec; message: string; meta: Record<string, unknown> }
  | { op: 'update-service'; role: ServiceRole; id: string; version: number; spec: DockerServiceSpec; message: string; meta: Record<string, unknown> }
  | { op: 'remove-service'; role: ServiceRole; id: string; message: string; meta: Record<string, unknown> }
  | { op: 'remove-config'; id: string; name: string; message: string; meta: Record<string, unknown> };

/** A step of a proxy delivery: a Docker change, or one of the two steps that are not Docker writes. */
export type DeliveryStep =
  | DockerAction
  /** Run the proxy's own check on `spec` first: the rollout brings certificates (`secrets`) it has not loaded. */
  | { op: 'check-proxy'; spec: DockerServiceSpec; secrets: string[] }
  /** Hand the files to the running proxies' agents, which reload in place (hitless delivery). */
  | { op: 'publish-bundle' };

/** A service spec's mode, as Swarm keeps it: `global` or `replicated`. */
export function modeOf(spec: DockerServiceSpec | undefined): 'global' | 'replicated' {
  return spec?.Mode?.Global ? 'global' : 'replicated';
}

/** True for a service this installation's core deployed (never touch another's, e.g. Interlock's proxy under the same name). */
function isOurs(service: DockerService, installation: string): boolean {
  const labels = service.Spec?.Labels ?? {};
  return labels[MANAGED_BY] === MANAGED_BY_VALUE && labels[INSTALLATION] === installation;
}

/** Name of the Docker Config holding `file` for `proxyService`: content-addressed, so equal files share one. */
export function configName(proxyService: string, file: RenderedFile): string {
  const hash = createHash('sha256').update(file.path).update('\0').update(file.content).digest('hex').slice(0, 16);
  return `${proxyService.slice(0, 40)}-${hash}`;
}

/** Names of the secrets `next` mounts and `current` does not, sorted. */
export function addedSecrets(current: DockerServiceSpec | undefined, next: DockerServiceSpec): string[] {
  const names = (spec: DockerServiceSpec | undefined) =>
    new Set(((spec?.TaskTemplate as { ContainerSpec?: { Secrets?: { SecretName?: string }[] } } | undefined)?.ContainerSpec?.Secrets ?? []).map((x) => x.SecretName ?? ''));
  const before = names(current);
  return [...names(next)].filter((n) => n !== '' && !before.has(n)).sort();
}

// ---------------------------------------------------------------------------------------------
// Extension services

/** An extension and the service spec it should run as. */
export interface DesiredExtension {
  ext: ExtensionConfig;
  spec: DockerServiceSpec;
}

/**
 * Creates the extension services that are missing and updates those whose spec drifted.
 * `managed` is the list of services core manages, as just listed.
 */
export function planExtensionServices(desired: readonly DesiredExtension[], managed: readonly DockerService[]): DockerAction[] {
  const actions: DockerAction[] = [];
  for (const { ext, spec } of desired) {
    const current = managed.find((s) => s.Spec?.Name === ext.ServiceName && s.Spec?.Labels?.[ROLE] === 'extension');
    if (!current) {
      actions.push({
        op: 'create-service',
        role: 'extension',
        spec,
        message: 'created extension service',
        meta: { extension: ext.Name, service: ext.ServiceName, image: ext.Image, proxyKind: ext.ProxyKind, serviceCluster: ext.ServiceCluster },
      });
    } else if (specFingerprint(current.Spec ?? {}) !== specFingerprint(spec)) {
      actions.push({
        op: 'update-service',
        role: 'extension',
        id: current.ID,
        version: current.Version?.Index ?? 0,
        spec,
        message: 'updated extension service',
        meta: { extension: ext.Name, service: ext.ServiceName, image: ext.Image },
      });
    }
  }
  return actions;
}

// ---------------------------------------------------------------------------------------------
// Proxy configs and the proxy service

/** The configs that hold a delivery's files: those that exist already and those to create. */
export interface ConfigPlan {
  /** One per file, in file order; `id` is empty for a config still to create. */
  configs: DeliveredConfig[];
  /** The `create-config` steps, in file order. */
  create: Extract<DockerAction, { op: 'create-config' }>[];
}

/** Content-addressed Docker Configs for `files`; `existing` are the proxy's configs as listed. */
export function planConfigs(installation: string, ext: ExtensionConfig, files: readonly RenderedFile[], existing: readonly DockerConfig[], modelVersion: number): ConfigPlan {
  const proxy = ext.ProxyServiceName;
  const byName = new Map(existing.map((c) => [c.Spec?.Name ?? '', c.ID]));
  const plan: ConfigPlan = { configs: [], create: [] };
  for (const [index, file] of files.entries()) {
    const name = configName(proxy, file);
    const id = byName.get(name);
    plan.configs.push({ id: id ?? '', name, target: configTarget(ext, file.path, index) });
    if (id !== undefined) continue;
    plan.create.push({
      op: 'create-config',
      name,
      path: file.path,
      labels: { [MANAGED_BY]: MANAGED_BY_VALUE, [INSTALLATION]: installation, [PROXY_SERVICE]: proxy, [EXTENSION]: ext.Name, [CONFIG_PATH]: file.path },
      content: file.content,
      message: 'created proxy config',
      meta: { proxyService: proxy, config: name, file: file.path, modelVersion, bytes: Buffer.byteLength(file.content) },
    });
  }
  return plan;
}

/** What a proxy service should be, and the service as Docker has it. */
export interface ProxyServiceInput {
  installation: string;
  ext: ExtensionConfig;
  /** The configs holding the files, all created (every `id` set). */
  configs: DeliveredConfig[];
  /** Networks the proxy joins (IDs, or names Docker resolves). */
  networks: string[];
  /** Certificate secrets (and the agent's credentials) to mount. */
  secrets: MountedSecret[];
  /** The container's environment (the agent's settings when hitless). */
  env: string[];
  /** In-place delivery: running proxies reload from the agents; only spec-only changes touch the service. */
  hitless: boolean;
  /** Whether the proxy's own check can run before a rollout that brings new certificates. */
  preflight: boolean;
  /** The proxy service as just inspected (undefined when absent). */
  current: DockerService | undefined;
  /** For the log lines: the model version the files were rendered from. */
  modelVersion: number;
}

/** How to get the proxy service to `spec`. */
export interface ProxyServicePlan {
  /** The spec the service has once `steps` are done. */
  spec: DockerServiceSpec;
  steps: DeliveryStep[];
  /** True when the service is created, replaced or updated (Swarm replaces its tasks). */
  changed: boolean;
}

/**
 * The steps that bring the proxy service to the delivery, in order:
 *
 * 1. `remove-service` when the mode changes (Swarm cannot turn replicated into global in place);
 * 2. `check-proxy` when the tasks will be replaced and the new spec mounts certificates the old
 *    one does not (and a preflight can run);
 * 3. `publish-bundle` when hitless: running proxies reload before any rollout replaces them;
 * 4. `create-service` or `update-service`, unless the service already has the spec.
 *
 * When hitless and only the files changed, the spec keeps the configs the running tasks booted
 * from, so Swarm replaces nothing. Throws a `foreign-service` {@link DeliveryError} for a service of
 * that name that this core does not own.
 */
export function planProxyService(input: ProxyServiceInput): ProxyServicePlan {
  const { installation, ext, networks, secrets, env, hitless, modelVersion } = input;
  const proxy = ext.ProxyServiceName;
  let current = input.current;
  if (current && !isOurs(current, installation)) {
    throw new DeliveryError(
      'foreign-service',
      `service ${proxy} exists but was not deployed by this Switchyard core (labels ${MANAGED_BY}=${MANAGED_BY_VALUE}, ${INSTALLATION}=${installation}); ` +
        'core leaves it alone: give the extension another ProxyServiceName (an Interlock proxy may still run under this name)',
    );
  }
  const steps: DeliveryStep[] = [];
  let spec = proxyServiceSpec(installation, ext, input.configs, networks, secrets, env);
  if (current && modeOf(current.Spec) !== modeOf(spec)) {
    steps.push({
      op: 'remove-service',
      role: 'proxy',
      id: current.ID,
      message: 'proxy service mode changes: replacing the service (its ports are closed until the new tasks start)',
      meta: { proxyService: proxy, from: modeOf(current.Spec), to: modeOf(spec) },
    });
    current = undefined;
  }
  if (hitless && current) {
    const kept = proxyServiceSpec(installation, ext, mountedConfigs(current.Spec), networks, secrets, env);
    if (specFingerprint(kept) === specFingerprint(current.Spec ?? {})) spec = kept;
  }
  const changed = !current || specFingerprint(current.Spec ?? {}) !== specFingerprint(spec);
  const added = addedSecrets(current?.Spec, spec);
  if (current && changed && input.preflight && added.length > 0) steps.push({ op: 'check-proxy', spec, secrets: added });
  if (hitless) steps.push({ op: 'publish-bundle' });
  const configs = input.configs.map((d) => d.name);
  if (!current) {
    steps.push({ op: 'create-service', role: 'proxy', spec, message: 'created proxy service', meta: { proxyService: proxy, modelVersion, configs, networks: networks.length } });
  } else if (changed) {
    steps.push({
      op: 'update-service',
      role: 'proxy',
      id: current.ID,
      version: current.Version?.Index ?? 0,
      spec,
      message: 'updated proxy service',
      meta: { proxyService: proxy, modelVersion, configs, networks: networks.length, secrets: secrets.length },
    });
  }
  return { spec, steps, changed };
}

// ---------------------------------------------------------------------------------------------
// Garbage collection

/** What garbage collection sees of one proxy. */
export interface GarbageInput {
  /** The proxy service as inspected (undefined when absent: nothing is collected). */
  service: DockerService | undefined;
  installation: string;
  /** The service's tasks. */
  tasks: readonly DockerTask[];
  /** The proxy's configs (labelled with its name). */
  configs: readonly DockerConfig[];
  /** Config IDs of the current hitless bundle: served to agents, maybe in no spec yet. */
  pinned: ReadonlySet<string>;
}

/** The configs to remove, and whether others wait for old tasks to stop (collect again later). */
export interface GarbagePlan {
  remove: Extract<DockerAction, { op: 'remove-config' }>[];
  /** Configs kept only because a task that is not shut down still mounts them. */
  waiting: number;
}

function configRefs(template: unknown): string[] {
  return ((template as { ContainerSpec?: { Configs?: { ConfigID?: string }[] } } | undefined)?.ContainerSpec?.Configs ?? []).flatMap((c) => (c.ConfigID ? [c.ConfigID] : []));
}

/**
 * Removes a proxy's configs that nothing references: not its current spec, not its previous spec (a
 * rollback needs it), not the pinned bundle, and not any task that is not yet shut down.
 */
export function planGarbage(input: GarbageInput): GarbagePlan {
  const { service } = input;
  if (!service || !isOurs(service, input.installation)) return { remove: [], waiting: 0 };
  const proxy = service.Spec?.Name ?? '';
  const bySpec = new Set([...configRefs(service.Spec?.TaskTemplate), ...configRefs(service.PreviousSpec?.TaskTemplate)]);
  const byTasks = new Set(input.tasks.filter((t) => t.DesiredState !== 'shutdown' || t.Status?.State === 'running').flatMap((t) => configRefs(t.Spec)));
  const plan: GarbagePlan = { remove: [], waiting: 0 };
  for (const c of input.configs) {
    if (bySpec.has(c.ID) || input.pinned.has(c.ID)) continue;
    if (byTasks.has(c.ID)) plan.waiting++;
    else plan.remove.push({ op: 'remove-config', id: c.ID, name: c.Spec?.Name ?? '', message: 'removed unused proxy config', meta: { proxyService: proxy, config: c.Spec?.Name } });
  }
  return plan;
}

// ---------------------------------------------------------------------------------------------
// Re-assertion (the deploy loop's check of each proxy)

/** What the deploy loop does about one proxy. */
export type ReassertDecision =
  /** Nothing delivered yet, or the service is as last applied and nothing waits. */
  | 'none'
  /** As last applied; a garbage collection waited for old tasks: collect again. */
  | 'collect-garbage'
  /** The last delivery failed (Docker trouble): apply it again. */
  | 'retry'
  /** The service is missing or was changed by someone else: apply the last delivery again. */
  | 're-apply';

/** Decides what the deploy loop does about one proxy, from what core remembers and what it listed. */
export function planReassert(input: { delivered: boolean; appliedFingerprint: string | undefined; current: DockerService | undefined; gcPending: boolean }): ReassertDecision {
  if (!input.delivered) return 'none';
  const { appliedFingerprint: expected, current } = input;
  if (current && expected !== undefined && specFingerprint(current.Spec ?? {}) === expected) return input.gcPending ? 'collect-garbage' : 'none';
  return expected === undefined ? 'retry' : 're-apply';
}
