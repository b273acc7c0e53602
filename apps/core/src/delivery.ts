import type { DockerPort, DockerService, Logger } from '@switchyard/reconciler';
import { configChecksum, type ProxyModel, type RenderedFile } from '@switchyard/proto';
import type { ExtensionConfig } from './config.js';
import { DeliveryError } from './delivery-error.js';
import { DockerExecutor } from './executor.js';
import { planConfigs, planGarbage, planProxyService, planReassert } from './plan.js';
import type { ProxyPreflight } from './preflight.js';
import type { ProxyConfigHub } from './proxy-hub.js';
import { PROXY_SERVICE, certificateSecrets, proxyAgentEnv, specFingerprint, type DeliveredConfig, type MountedSecret } from './specs.js';

export { DeliveryError };

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
 *
 * This class observes Docker and remembers what it applied; what to change is decided by the pure
 * plans of plan.ts ({@link planConfigs}, {@link planProxyService}, {@link planGarbage},
 * {@link planReassert}) and carried out by the {@link DockerExecutor}.
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
  private readonly executor: DockerExecutor;

  constructor(
    private readonly docker: DockerPort,
    private readonly logger: Logger,
    /** The installation's core network name, put on everything created (see `INSTALLATION`). */
    private readonly installation: string,
    /** In-place delivery; without it every extension is delivered by rolling updates. */
    private readonly hitless?: HitlessOptions,
    /** Checks a spec that brings new certificates with the proxy's own check before rolling it out. */
    private readonly preflight?: Pick<ProxyPreflight, 'check'>,
  ) {
    this.executor = new DockerExecutor(docker, logger);
  }

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
    const proxy = extension.ProxyServiceName;
    const request = this.last.get(proxy);
    const decision = planReassert({ delivered: request !== undefined, appliedFingerprint: this.applied.get(proxy), current, gcPending: this.gcPending.has(proxy) });
    switch (decision) {
      case 'none':
        return;
      case 'collect-garbage':
        // Up to date. Finish a garbage collection that waited for a rollout's old tasks to stop.
        return this.serial(proxy, () => this.collectGarbageSafely(proxy));
      case 'retry':
        this.logger.info('retrying the last delivery, which failed', { proxyService: proxy });
        break;
      case 're-apply':
        this.logger.warn('proxy service missing or changed outside Switchyard; re-applying the last delivery', { proxyService: proxy });
        break;
    }
    await this.serial(proxy, () => this.apply({ ...request!, extension }));
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
    const configPlan = planConfigs(this.installation, ext, files, existingConfigs, modelVersion);
    const created = new Map<string, string>();
    for (const action of configPlan.create) created.set(action.name, await this.executor.run(action));
    const delivered: DeliveredConfig[] = configPlan.configs.map((c) => (c.id ? c : { ...c, id: created.get(c.name) ?? '' }));
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

    const plan = planProxyService({
      installation: this.installation,
      ext,
      configs: delivered,
      networks: wanted,
      secrets: mounted,
      env,
      hitless: hitless !== undefined,
      preflight: this.preflight !== undefined,
      current: await this.findService(proxy),
      modelVersion,
    });
    const fingerprint = specFingerprint(plan.spec);
    for (const step of plan.steps) {
      if (step.op === 'check-proxy') {
        const result = await this.preflight!.check(ext, step.spec);
        if ('ok' in result && !result.ok) {
          throw new DeliveryError('rejected-by-proxy', `the proxy's own check refused the configuration: ${result.output}`, { secrets: step.secrets, output: result.output });
        }
        continue;
      }
      // Past the checks: this spec is the one to keep (reassert compares the service against it).
      this.applied.set(proxy, fingerprint);
      if (step.op === 'publish-bundle') hitless?.hub.publish(proxy, bundle);
      else await this.executor.run(step);
    }
    this.applied.set(proxy, fingerprint);
    if (!plan.changed) this.logger.debug('proxy service already up to date', { proxyService: proxy, modelVersion });
    if (hitless) this.pinned.set(proxy, new Set(delivered.map((d) => d.id)));
    this.mountedSecrets.set(proxy, new Set(mounted.map((m) => m.name)));
    await this.collectGarbageSafely(proxy);
    return { configNames: delivered.map((d) => d.name), changed: plan.changed, mode: hitless ? 'hitless' : 'rolling' };
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
   * Observes the proxy (service, tasks, configs), plans with {@link planGarbage} and removes what
   * the plan says. Returns true when nothing is left to collect later (no config kept only for old
   * tasks, no removal refused).
   */
  private async collectGarbage(proxy: string): Promise<boolean> {
    const service = await this.findService(proxy);
    if (!service) return true;
    const [tasks, configs] = await Promise.all([this.docker.listTasks({ service: [service.ID] }), this.docker.listConfigs({ label: [`${PROXY_SERVICE}=${proxy}`] })]);
    const plan = planGarbage({ service, installation: this.installation, tasks, configs, pinned: this.pinned.get(proxy) ?? new Set() });
    let settled = plan.waiting === 0;
    for (const action of plan.remove) {
      try {
        await this.executor.run(action);
      } catch (err) {
        // Docker refuses to remove a config a task still mounts; collect again later.
        settled = false;
        this.logger.debug('config not removed (still in use?)', { config: action.name, error: (err as Error).message });
      }
    }
    return settled;
  }
}
