import type { DockerService, DockerServiceSpec, DockerWriter, DockerReader, Logger } from '@switchyard/reconciler';
import type { DockerAction } from './plan.js';

/**
 * Carries out the Docker steps of core's plans (plan.ts), one at a time and in order, and logs each
 * with the plan's own words. A step that fails stops the plan: the error goes to the caller, and
 * the next round plans again from what Docker then reports.
 */
export class DockerExecutor {
  constructor(
    private readonly docker: Pick<DockerWriter, 'createConfig' | 'createService' | 'updateService' | 'removeService' | 'removeConfig'> & Pick<DockerReader, 'inspectService'>,
    private readonly logger: Logger,
  ) {}

  /** Runs `action`; returns the ID Docker gave what it created (empty for other steps). */
  async run(action: DockerAction): Promise<string> {
    let id = '';
    switch (action.op) {
      case 'create-config':
        id = await this.docker.createConfig({ Name: action.name, Labels: action.labels, Data: Buffer.from(action.content, 'utf8').toString('base64') });
        break;
      case 'create-service':
        id = await this.docker.createService(action.spec);
        break;
      case 'update-service':
        await this.updateWithRetry(action.id, action.version, action.spec);
        break;
      case 'remove-service':
        await this.docker.removeService(action.id);
        break;
      case 'remove-config':
        await this.docker.removeConfig(action.id);
        break;
    }
    if (action.op === 'remove-service') this.logger.warn(action.message, action.meta);
    else this.logger.info(action.message, action.meta);
    return id;
  }

  /** Runs `actions` in order. */
  async runAll(actions: readonly DockerAction[]): Promise<void> {
    for (const action of actions) await this.run(action);
  }

  /**
   * Updates a service; when Swarm moved its version meanwhile (a rolling update finishing bumps
   * it: "update out of sequence"), re-reads it and tries once more.
   */
  private async updateWithRetry(id: string, version: number, spec: DockerServiceSpec): Promise<void> {
    try {
      await this.docker.updateService(id, version, spec);
    } catch (err) {
      if (!/out of sequence/i.test((err as Error).message)) throw err;
      const fresh: DockerService = await this.docker.inspectService(id);
      this.logger.info('service changed during the update; retrying with its new version', { service: spec.Name });
      await this.docker.updateService(fresh.ID, fresh.Version?.Index ?? 0, spec);
    }
  }
}
