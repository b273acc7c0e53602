import { createHash } from 'node:crypto';
import type Dockerode from 'dockerode';
import { builtInCheckCommand } from '@switchyard/proto';
import type { DockerPort, Logger } from '@switchyard/reconciler';
import type { ExtensionConfig } from './config.js';
import { INSTALLATION, MANAGED_BY, MANAGED_BY_VALUE, PROXY_SERVICE, ROLE } from './specs.js';

/** What a preflight check found. `skipped` when it could not run (the update then goes ahead). */
export type PreflightResult = { ok: true } | { ok: false; output: string } | { skipped: string };

/** Options of {@link ProxyPreflight}. */
export interface PreflightOptions {
  /** Give up (and let the update go ahead) after this long (default 30 s). */
  timeoutMs?: number;
  /** Poll interval for the check task (default 250 ms). */
  pollMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * The proxy's own configuration check, as a command for the proxy image: built in for nginx and
 * HAProxy, `ProxyCheckCommand` for a third-party kind (undefined when it has none: nothing to run).
 */
export function checkCommand(ext: ExtensionConfig): string[] | undefined {
  if (ext.ProxyKind === 'haproxy' || ext.ProxyKind === 'nginx') return builtInCheckCommand(ext.ProxyKind, ext.ProxyConfigPath);
  return ext.ProxyCheckCommand;
}

/**
 * Runs the proxy's own check (`nginx -t`, `haproxy -c`) against a proxy spec before the spec is
 * rolled out: a one-shot service with the same image, configs and secrets, no ports, no networks
 * and no agent. A spec change replaces proxy tasks, so a configuration the proxy refuses (for
 * example a certificate secret that is not PEM) must be caught before, not by a task that then
 * cannot start while the old one is already gone.
 */
export class ProxyPreflight {
  private readonly timeoutMs: number;
  private readonly pollMs: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly docker: DockerPort,
    private readonly logger: Logger,
    private readonly installation: string,
    options: PreflightOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.pollMs = options.pollMs ?? 250;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** Checks `spec` (a proxy service spec of `ext`). Never throws for Docker trouble: it skips. */
  async check(ext: ExtensionConfig, spec: Dockerode.ServiceSpec): Promise<PreflightResult> {
    const args = checkCommand(ext);
    if (!args) return { skipped: `proxy kind ${ext.ProxyKind} has no ProxyCheckCommand` };
    const task = (spec.TaskTemplate ?? {}) as Dockerode.ContainerTaskSpec;
    const c = task.ContainerSpec ?? {};
    const hash = createHash('sha256').update(JSON.stringify([c.Configs, c.Secrets, c.Image])).digest('hex').slice(0, 10);
    const name = `${ext.ProxyServiceName.slice(0, 40)}-check-${hash}`;
    const checkSpec: Dockerode.ServiceSpec = {
      Name: name,
      Labels: { [MANAGED_BY]: MANAGED_BY_VALUE, [ROLE]: 'preflight', [INSTALLATION]: this.installation, [PROXY_SERVICE]: ext.ProxyServiceName },
      TaskTemplate: {
        ContainerSpec: { Image: c.Image, Args: args, Configs: c.Configs, Secrets: c.Secrets },
        Placement: task.Placement,
        RestartPolicy: { Condition: 'none' },
      },
      Mode: { Replicated: { Replicas: 1 } },
    };
    let id: string | undefined;
    const started = Date.now();
    try {
      const stale = (await this.docker.listServices({ name: [name] })).find((s) => s.Spec?.Name === name);
      if (stale) await this.docker.removeService(stale.ID);
      id = await this.docker.createService(checkSpec);
      for (;;) {
        const tasks = await this.docker.listTasks({ service: [id] });
        const state = tasks[0]?.Status?.State;
        if (state === 'complete') {
          this.logger.info('proxy check passed', { proxyService: ext.ProxyServiceName, check: name, ms: Date.now() - started });
          return { ok: true };
        }
        if (state === 'failed' || state === 'rejected') {
          const logs = (await this.docker.serviceLogs(id, 50).catch(() => '')).trim();
          const output = (logs || tasks[0]?.Status?.Err || `check task ${state}`).slice(-2000);
          this.logger.warn('proxy check refused the configuration; the proxy service is left as it is', { proxyService: ext.ProxyServiceName, check: name, output });
          return { ok: false, output };
        }
        if (Date.now() - started > this.timeoutMs) {
          const why = `the check task did not finish within ${this.timeoutMs} ms (state ${state ?? 'none'})`;
          this.logger.warn('proxy check skipped; updating without it', { proxyService: ext.ProxyServiceName, check: name, why });
          return { skipped: why };
        }
        await this.sleep(this.pollMs);
      }
    } catch (err) {
      const why = `the check could not run: ${(err as Error).message}`;
      this.logger.warn('proxy check skipped; updating without it', { proxyService: ext.ProxyServiceName, check: name, why });
      return { skipped: why };
    } finally {
      if (id !== undefined) await this.docker.removeService(id).catch(() => undefined);
    }
  }
}
