import { createHash } from 'node:crypto';
import type { DockerPort, DockerService, DockerServiceSpec, Logger } from '@switchyard/reconciler';
import { configChecksum, type ProxyModel, type RenderedFile } from '@switchyard/proto';
import type { ExtensionConfig } from './config.js';
import type { ProxyPreflight } from './preflight.js';
import type { ProxyConfigHub } from './proxy-hub.js';
import {
  CONFIG_PATH,
  EXTENSION,
  INSTALLATION,
  MANAGED_BY,
  MANAGED_BY_VALUE,
  PROXY_SERVICE,
  certificateSecrets,
  configTarget,
  mountedConfigs,
  proxyAgentEnv,
  proxyServiceSpec,
  specFingerprint,
  type DeliveredConfig,
  type MountedSecret,
} from './specs.js';

/** Docker refuses configs larger than this (swarmkit's limit: 500 KiB). */
export const MAX_CONFIG_BYTES = 500 * 1024;

/** What to deliver: the files rendered for `extension`'s proxy; `model` is the cluster's current one. */
export interface DeliveryRequest {
  extension: ExtensionConfig;
  model: ProxyModel;
  files: RenderedFile[];
  /**
   * Version of the model the files were rendered from (default `model.version`). It is older than
   * `model` when the extension fell behind a stream of changes; the proxy replicas report it back.
   */
  modelVersion?: number;
}

/** What a delivery did. */
export interface DeliveryResult {
  /** Names of the Docker Configs holding the files, in file order. */
  configNames: string[];
  /** True when the proxy service was created or updated (its tasks are replaced). */
  changed: boolean;
  /** How the files reach the running proxies: in place by the proxy agent, or by replacing tasks. */
  mode: 'hitless' | 'rolling';
}

/** In-place delivery settings: where running proxy agents get their configuration. */
export interface HitlessOptions {
  hub: ProxyConfigHub;
  /** core's gRPC address as the proxy agents reach it (CoreAddress). */
  coreAddress: string;
  /** The secret holding a proxy service's client credentials (none when core runs without mutual TLS). */
  credentials?: (ext: ExtensionConfig) => Promise<MountedSecret>;
}

/**
 * How an accepted configuration reaches a proxy. Core talks only to this interface, so a
 * graceful in-place reload path can stand beside the Docker Config rolling-update path.
 */
export interface ConfigDelivery {
  /** Makes the proxy serve `files`; resolves when the change is handed to Docker. */
  deliver(request: DeliveryRequest): Promise<DeliveryResult>;
  /**
   * Re-applies the last delivery when the proxy service is gone or was changed by hand; `current`
   * is the proxy service as just listed (undefined when absent). No-op without a delivery.
   */
  reassert(extension: ExtensionConfig, current: DockerService | undefined): Promise<void>;
}

/** A service spec's mode, as Swarm keeps it: `global` or `replicated`. */
function modeOf(spec: DockerServiceSpec | undefined): 'global' | 'replicated' {
  return spec?.Mode?.Global ? 'global' : 'replicated';
}

/** Thrown for a delivery that cannot be made (too large, missing secrets, ...). */
export class DeliveryError extends Error {
  /** With `rejected-by-proxy`: the secrets the refused spec would have added (the suspects). */
  readonly secrets: string[];
  /** With `rejected-by-proxy`: what the proxy's check said. */
  readonly output: string;

  constructor(
    readonly code: 'too-large' | 'missing-secret' | 'rejected-by-proxy' | 'foreign-service' | 'docker',
    message: string,
    options?: { cause?: unknown; secrets?: string[]; output?: string },
  ) {
    super(message, options);
    this.secrets = options?.secrets ?? [];
    this.output = options?.output ?? '';
    this.name = 'DeliveryError';
  }
}

/** Names of the secrets `next` mounts and `current` does not, sorted. */
function addedSecrets(current: DockerServiceSpec | undefined, next: DockerServiceSpec): string[] {
  const names = (spec: DockerServiceSpec | undefined) =>
    new Set(((spec?.TaskTemplate as { ContainerSpec?: { Secrets?: { SecretName?: string }[] } } | undefined)?.ContainerSpec?.Secrets ?? []).map((x) => x.SecretName ?? ''));
  const before = names(current);
  return [...names(next)].filter((n) => n !== '' && !before.has(n)).sort();
}

function configName(proxyService: string, file: RenderedFile): string {
  const hash = createHash('sha256').update(file.path).update('\0').update(file.content).digest('hex').slice(0, 16);
  return `${proxyService.slice(0, 40)}-${hash}`;
}

/**
 * Each file becomes a Docker Config named by its content hash. Then, per extension:
 *
 * - rolling (Interlock's mechanism, `HitlessServiceUpdate = false`): the proxy service is updated
 *   to mount the new configs (rolling update, rollback on failure);
 * - hitless (the default): the files go to the running proxies' agents through the
 *   {@link ProxyConfigHub}, which reload in place; the service spec changes only when something
 *   only a spec can carry changed (networks, certificate secrets, image, replicas, ports, ...), and
 *   then it also mounts the new configs, so every task boots from the current configuration.
 *
 * Configs no proxy spec (current or previous), running task or current hitless bundle references
 * are removed. Deliveries to one proxy are serialised; nothing happens when nothing changed.
 */
export class DockerConfigDelivery implements ConfigDelivery {
  private readonly queues = new Map<string, Promise<unknown>>();
  private readonly last = new Map<string, DeliveryRequest>();
  /** Fingerprint of the spec last applied to each proxy service. */
  private readonly applied = new Map<string, string>();
  /** Proxies whose garbage collection kept configs only old tasks still used: collect again. */
  private readonly gcPending = new Set<string>();
  /** Secret names each proxy's spec mounts, as last applied (an in-place change may use only these). */
  private readonly mountedSecrets = new Map<string, Set<string>>();
  /** Config IDs of each proxy's current hitless bundle (served to agents, not yet in the spec). */
  private readonly pinned = new Map<string, Set<string>>();

  constructor(
    private readonly docker: DockerPort,
    private readonly logger: Logger,
    /** The installation's core network name, put on everything created (see `INSTALLATION`). */
    private readonly installation: string,
    /** In-place delivery; without it every extension is delivered by rolling updates. */
    private readonly hitless?: HitlessOptions,
    /** Checks a spec that brings new certificates with the proxy's own check before rolling it out. */
    private readonly preflight?: Pick<ProxyPreflight, 'check'>,
  ) {}

  /** True when `ext`'s proxies are updated in place. */
  isHitless(ext: ExtensionConfig): boolean {
    return this.hitless !== undefined && ext.HitlessServiceUpdate;
  }

  deliver(request: DeliveryRequest): Promise<DeliveryResult> {
    return this.serial(request.extension.ProxyServiceName, async () => {
      try {
        const result = await this.apply(request);
        this.last.set(request.extension.ProxyServiceName, request);
        return result;
      } catch (err) {
        // A Docker failure (engine busy, update out of sequence, ...) must not leave the proxy on
        // an older config until the next model change: remember this request as the one to
        // re-apply, and forget the applied fingerprint so the deploy loop's reassert retries it.
        // A delivery that can never succeed (too large, missing secret) is not retried.
        if (!(err instanceof DeliveryError)) {
          this.last.set(request.extension.ProxyServiceName, request);
          this.applied.delete(request.extension.ProxyServiceName);
        }
        throw err;
      }
    });
  }

  async reassert(extension: ExtensionConfig, current: DockerService | undefined): Promise<void> {
    const request = this.last.get(extension.ProxyServiceName);
    if (!request) return;
    const expected = this.applied.get(extension.ProxyServiceName);
    if (current && expected !== undefined && specFingerprint(current.Spec ?? {}) === expected) {
      // Up to date. Finish a garbage collection that waited for a rollout's old tasks to stop.
      if (this.gcPending.has(extension.ProxyServiceName)) await this.serial(extension.ProxyServiceName, () => this.collectGarbageSafely(extension.ProxyServiceName));
      return;
    }
    if (expected === undefined) this.logger.info('retrying the last delivery, which failed', { proxyService: extension.ProxyServiceName });
    else this.logger.warn('proxy service missing or changed outside Switchyard; re-applying the last delivery', { proxyService: extension.ProxyServiceName });
    await this.serial(extension.ProxyServiceName, () => this.apply({ ...request, extension }));
  }

  private serial<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.queues.get(key) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    this.queues.set(
      key,
      next.catch(() => undefined),
    );
    return next;
  }

  private async apply({ extension: ext, model, files, modelVersion = model.version }: DeliveryRequest): Promise<DeliveryResult> {
    for (const f of files) {
      const size = Buffer.byteLength(f.content, 'utf8');
      if (size > MAX_CONFIG_BYTES) {
        throw new DeliveryError('too-large', `file ${f.path} is ${size} bytes; a Docker Config holds at most ${MAX_CONFIG_BYTES} (split it into included files)`);
      }
    }
    const proxy = ext.ProxyServiceName;
    const hitless = this.isHitless(ext) ? this.hitless : undefined;
    const bundle = { modelVersion, checksum: configChecksum(files), files, acceptedAtUnixMs: Date.now() };
    const mountedNow = this.mountedSecrets.get(proxy);
    if (hitless && mountedNow && model.certificates.every((c) => mountedNow.has(c.certSecret) && mountedNow.has(c.keySecret))) {
      // Nothing the running tasks lack: the agents can reload now, before the Docker calls below.
      hitless.hub.publish(proxy, bundle);
    }
    const [existingConfigs, secrets, networks] = await Promise.all([
      this.docker.listConfigs({ label: [`${PROXY_SERVICE}=${proxy}`] }),
      this.docker.listSecrets(),
      this.docker.listNetworks(),
    ]);
    const byName = new Map(existingConfigs.map((c) => [c.Spec?.Name ?? '', c.ID]));
    const delivered: DeliveredConfig[] = [];
    for (const [index, file] of files.entries()) {
      const name = configName(proxy, file);
      let id = byName.get(name);
      if (id === undefined) {
        id = await this.docker.createConfig({
          Name: name,
          Labels: { [MANAGED_BY]: MANAGED_BY_VALUE, [INSTALLATION]: this.installation, [PROXY_SERVICE]: proxy, [EXTENSION]: ext.Name, [CONFIG_PATH]: file.path },
          Data: Buffer.from(file.content, 'utf8').toString('base64'),
        });
        this.logger.info('created proxy config', { proxyService: proxy, config: name, file: file.path, modelVersion, bytes: Buffer.byteLength(file.content) });
      }
      delivered.push({ id, name, target: configTarget(ext, file.path, index) });
    }
    const secretIds = new Map(secrets.map((s) => [s.Spec?.Name ?? '', s.ID]));
    const { secrets: mounted, missing } = certificateSecrets(model, secretIds);
    if (missing.length > 0) throw new DeliveryError('missing-secret', `secrets not found: ${missing.join(', ')}`);
    const networkIds = new Map(networks.map((n) => [n.Name, n.Id]));
    const wanted = [...model.networks.map((n) => n.id), ...ext.Networks.map((n) => networkIds.get(n) ?? n)];
    let env: string[] = [];
    if (hitless) {
      // The agents reach core over the core network.
      wanted.push(networkIds.get(this.installation) ?? this.installation);
      // ... with their own client certificate (unless core runs without mutual TLS).
      const credentials = await hitless.credentials?.(ext);
      if (credentials) mounted.push(credentials);
      env = proxyAgentEnv(hitless.coreAddress, ext, credentials);
    }
    let spec = proxyServiceSpec(this.installation, ext, delivered, wanted, mounted, env);

    let current = await this.findService(proxy);
    if (current && !this.isOurs(current)) {
      throw new DeliveryError(
        'foreign-service',
        `service ${proxy} exists but was not deployed by this Switchyard core (labels ${MANAGED_BY}=${MANAGED_BY_VALUE}, ${INSTALLATION}=${this.installation}); ` +
          'core leaves it alone: give the extension another ProxyServiceName (an Interlock proxy may still run under this name)',
      );
    }
    if (current && modeOf(current.Spec) !== modeOf(spec)) {
      // Swarm cannot change a service's mode in place (replicated ↔ global): replace the service.
      this.logger.warn('proxy service mode changes: replacing the service (its ports are closed until the new tasks start)', { proxyService: proxy, from: modeOf(current.Spec), to: modeOf(spec) });
      await this.docker.removeService(current.ID);
      current = undefined;
    }
    if (hitless && current) {
      // Content alone changed: keep the configs the running tasks booted from, so Swarm replaces
      // nothing. Anything else in the spec (networks, secrets, ...) still needs an update.
      const kept = proxyServiceSpec(this.installation, ext, mountedConfigs(current.Spec), wanted, mounted, env);
      if (specFingerprint(kept) === specFingerprint(current.Spec ?? {})) spec = kept;
    }
    const added = addedSecrets(current?.Spec, spec);
    if (current && this.preflight && added.length > 0 && specFingerprint(current.Spec ?? {}) !== specFingerprint(spec)) {
      // New certificates: the tasks will be replaced, so let the proxy check them first.
      const result = await this.preflight.check(ext, spec);
      if ('ok' in result && !result.ok) {
        throw new DeliveryError('rejected-by-proxy', `the proxy's own check refused the configuration: ${result.output}`, { secrets: added, output: result.output });
      }
    }
    // Running proxies reload now (before any rollout replaces them).
    hitless?.hub.publish(proxy, bundle);
    this.applied.set(proxy, specFingerprint(spec));
    let changed = false;
    if (!current) {
      await this.docker.createService(spec);
      changed = true;
      this.logger.info('created proxy service', { proxyService: proxy, modelVersion, configs: delivered.map((d) => d.name), networks: wanted.length });
    } else if (specFingerprint(current.Spec ?? {}) !== specFingerprint(spec)) {
      await this.updateWithRetry(current, spec);
      changed = true;
      this.logger.info('updated proxy service', {
        proxyService: proxy,
        modelVersion,
        configs: delivered.map((d) => d.name),
        networks: wanted.length,
        secrets: mounted.length,
      });
    } else {
      this.logger.debug('proxy service already up to date', { proxyService: proxy, modelVersion });
    }
    if (hitless) this.pinned.set(proxy, new Set(delivered.map((d) => d.id)));
    this.mountedSecrets.set(proxy, new Set(mounted.map((m) => m.name)));
    await this.collectGarbageSafely(proxy);
    return { configNames: delivered.map((d) => d.name), changed, mode: hitless ? 'hitless' : 'rolling' };
  }

  /**
   * Updates a service; when swarm moved its version meanwhile (a rolling update finishing bumps
   * it: "update out of sequence"), re-reads it and tries once more.
   */
  private async updateWithRetry(current: DockerService, spec: DockerServiceSpec): Promise<void> {
    try {
      await this.docker.updateService(current.ID, current.Version?.Index ?? 0, spec);
    } catch (err) {
      if (!/out of sequence/i.test((err as Error).message)) throw err;
      const fresh = await this.docker.inspectService(current.ID);
      this.logger.info('proxy service changed during the update; retrying with its new version', { proxyService: spec.Name });
      await this.docker.updateService(fresh.ID, fresh.Version?.Index ?? 0, spec);
    }
  }

  /** True for a service this core deployed (never touch another's, e.g. Interlock's proxy under the same name). */
  private isOurs(service: DockerService): boolean {
    const labels = service.Spec?.Labels ?? {};
    return labels[MANAGED_BY] === MANAGED_BY_VALUE && labels[INSTALLATION] === this.installation;
  }

  private async findService(name: string): Promise<DockerService | undefined> {
    const found = await this.docker.listServices({ name: [name] });
    const exact = found.find((s) => s.Spec?.Name === name);
    return exact ? this.docker.inspectService(exact.ID) : undefined;
  }

  /** Garbage collection never fails a delivery; what it leaves is retried by the deploy loop. */
  private async collectGarbageSafely(proxy: string): Promise<void> {
    try {
      if (await this.collectGarbage(proxy)) this.gcPending.delete(proxy);
      else this.gcPending.add(proxy);
    } catch (err) {
      this.gcPending.add(proxy);
      this.logger.warn('garbage-collecting proxy configs failed; will retry', { proxyService: proxy, error: (err as Error).message });
    }
  }

  /**
   * Removes this proxy's configs that nothing references: not its current spec, not its previous
   * spec (a rollback needs it), and not any task that is not yet shut down. Returns true when
   * nothing is left to collect later (no config kept only for old tasks, no removal refused).
   */
  private async collectGarbage(proxy: string): Promise<boolean> {
    const service = await this.findService(proxy);
    if (!service || !this.isOurs(service)) return true;
    const refs = (template: unknown): string[] =>
      ((template as { ContainerSpec?: { Configs?: { ConfigID?: string }[] } } | undefined)?.ContainerSpec?.Configs ?? []).flatMap((c) => (c.ConfigID ? [c.ConfigID] : []));
    const bySpec = new Set([...refs(service.Spec?.TaskTemplate), ...refs(service.PreviousSpec?.TaskTemplate)]);
    const tasks = await this.docker.listTasks({ service: [service.ID] });
    const byTasks = new Set(tasks.filter((t) => t.DesiredState !== 'shutdown' || t.Status?.State === 'running').flatMap((t) => refs(t.Spec)));
    const configs = await this.docker.listConfigs({ label: [`${PROXY_SERVICE}=${proxy}`] });
    let settled = true;
    const pinned = this.pinned.get(proxy) ?? new Set<string>();
    for (const c of configs) {
      if (bySpec.has(c.ID) || pinned.has(c.ID)) continue;
      if (byTasks.has(c.ID)) {
        settled = false;
        continue;
      }
      try {
        await this.docker.removeConfig(c.ID);
        this.logger.info('removed unused proxy config', { proxyService: proxy, config: c.Spec?.Name });
      } catch (err) {
        // Docker refuses to remove a config a task still mounts; collect again later.
        settled = false;
        this.logger.debug('config not removed (still in use?)', { config: c.Spec?.Name, error: (err as Error).message });
      }
    }
    return settled;
  }
}
