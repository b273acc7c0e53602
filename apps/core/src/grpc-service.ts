import { ServerError, Status } from 'nice-grpc';
import { ProxyKind, configChecksum, type ConfigNotice, type ExtensionServiceImplementation, type ProxyReplicaStatus, type ReconcileStatus, type RenderedFile, type ReportProxyConfigRequest } from '@switchyard/proto';
import type { Logger } from '@switchyard/reconciler';
import { authorize, type Caller, type CallerContext } from './control-plane.js';
import type { ModelHub } from './hub.js';
import type { ProxyConfigHub } from './proxy-hub.js';

/** What the service needs for the proxy agents' calls (hitless delivery). */
export interface ProxyAgentSide {
  hub: ProxyConfigHub;
  /** True for the proxy services core manages (agents of other names are refused). */
  knownProxy(name: string): boolean;
  /** Called for each replica report (after validation). */
  onReport(req: ReportProxyConfigRequest): void;
  /** Current per-replica status (for GetStatus). */
  onReplicas(): ProxyReplicaStatus[];
}

const TASK_ID = /^[A-Za-z0-9_.-]{1,128}$/;

/** What the service needs to hand an accepted configuration on for delivery. */
export interface SubmissionSink {
  /**
   * Delivers `files` rendered by extension `extensionId` from model `modelVersion`.
   * Resolves to the config name(s) (comma-separated) or rejects with a reason.
   */
  deliver(extension: { extensionId: string; name: string; serviceCluster: string; proxyKind: ProxyKind }, modelVersion: number, files: RenderedFile[]): Promise<string>;
}

/** Limits on what an extension may submit. */
export const SUBMISSION_LIMITS = { maxFiles: 64, maxTotalBytes: 16 * 1024 * 1024 };

const SAFE_PATH = /^[A-Za-z0-9_][A-Za-z0-9_.-]*(\/[A-Za-z0-9_][A-Za-z0-9_.-]*)*$/;

/** Reasons a submission cannot be accepted; empty when it is acceptable. */
export function checkSubmission(files: RenderedFile[], checksum: string): string[] {
  const reasons: string[] = [];
  if (files.length === 0) reasons.push('no files submitted');
  if (files.length > SUBMISSION_LIMITS.maxFiles) reasons.push(`too many files (${files.length} > ${SUBMISSION_LIMITS.maxFiles})`);
  const total = files.reduce((n, f) => n + Buffer.byteLength(f.content), 0);
  if (total > SUBMISSION_LIMITS.maxTotalBytes) reasons.push(`configuration too large (${total} bytes)`);
  const seen = new Set<string>();
  for (const f of files) {
    if (!SAFE_PATH.test(f.path) || f.path.split('/').includes('..')) reasons.push(`unsafe file path ${JSON.stringify(f.path.slice(0, 80))}`);
    if (seen.has(f.path)) reasons.push(`duplicate file path ${JSON.stringify(f.path)}`);
    seen.add(f.path);
    if (f.content.length === 0) reasons.push(`file ${JSON.stringify(f.path)} is empty`);
  }
  if (checksum !== configChecksum(files)) reasons.push('checksum does not match the files (corrupted or truncated submission)');
  return reasons;
}

/**
 * core's implementation of the `ExtensionService` contract: registration, models (one-shot and
 * streamed), config submission (checked, then handed to the sink), and status for operators
 * (`configNotices` fills `GetStatusResponse.config_notices`; none when absent; `reconcile` fills
 * `GetStatusResponse.reconcile`, absent when not given).
 */
export function createExtensionService(
  hub: ModelHub,
  sink: SubmissionSink,
  logger: Logger,
  knownClusters: () => string[],
  agents?: ProxyAgentSide,
  onDenied?: (caller: Caller, reason: string) => void,
  configNotices?: () => ConfigNotice[],
  reconcile?: () => ReconcileStatus,
): ExtensionServiceImplementation<CallerContext> {
  const denied = (caller: Caller, reason: string) => {
    logger.warn('control-plane call refused', { peer: caller.address, reason });
    onDenied?.(caller, reason);
  };
  // Newest model version accepted per extension and service cluster. A submission rendered from an
  // older model than the current one is still taken when it is newer than this: under a stream of
  // changes (a burst of tasks coming up) a render that must match the current version could lose
  // every race and deliver nothing until the swarm went quiet; a newer-than-delivered one is progress.
  const accepted = new Map<string, number>();
  const checkAgent = (proxyService: string, taskId: string | undefined): ProxyAgentSide => {
    if (!agents) throw new ServerError(Status.UNIMPLEMENTED, 'this core does not serve proxy agents');
    if (!agents.knownProxy(proxyService)) throw new ServerError(Status.NOT_FOUND, `unknown proxy service ${JSON.stringify(proxyService.slice(0, 80))}`);
    if (!taskId || !TASK_ID.test(taskId)) throw new ServerError(Status.INVALID_ARGUMENT, 'replica.task_id must be 1-128 letters, digits, "_", "." or "-"');
    return agents;
  };
  return {
    async register(req, context) {
      authorize(context.caller, { kind: 'register', name: req.name, serviceCluster: req.serviceCluster }, denied);
      if (!/^[A-Za-z0-9_.-]{1,64}$/.test(req.name)) throw new ServerError(Status.INVALID_ARGUMENT, 'name must be 1-64 letters, digits, "_", "." or "-"');
      if (!/^[A-Za-z0-9_.-]*$/.test(req.serviceCluster)) throw new ServerError(Status.INVALID_ARGUMENT, 'invalid service cluster');
      const ext = hub.register(req.name, req.serviceCluster, req.proxyKind);
      const known = knownClusters().includes(req.serviceCluster);
      logger.info('extension registered', { extension: req.name, extensionId: ext.extensionId, serviceCluster: req.serviceCluster, proxyKind: req.proxyKind, version: req.version, configuredCluster: known });
      return { extensionId: ext.extensionId };
    },
    async getModel(req, context) {
      authorize(context.caller, { kind: 'read-model', serviceCluster: req.serviceCluster }, denied);
      const model = hub.current(req.serviceCluster);
      if (!model) throw new ServerError(Status.UNAVAILABLE, `no model yet for service cluster ${JSON.stringify(req.serviceCluster)}`);
      return { model };
    },
    async *watchModel(req, context) {
      authorize(context.caller, { kind: 'read-model', serviceCluster: req.serviceCluster }, denied);
      // A watch that names its registration holds it: the registration ends when the stream does.
      let release: (() => void) | undefined;
      if (req.extensionId) {
        const ext = hub.extension(req.extensionId);
        if (!ext) throw new ServerError(Status.NOT_FOUND, 'unknown extension id: register again');
        authorize(context.caller, { kind: 'register', name: ext.name, serviceCluster: ext.serviceCluster }, denied);
        if (ext.serviceCluster !== req.serviceCluster) throw new ServerError(Status.INVALID_ARGUMENT, `extension ${ext.name} is registered for service cluster ${JSON.stringify(ext.serviceCluster)}`);
        release = hub.hold(req.extensionId);
      }
      try {
        for await (const model of hub.watch(req.serviceCluster, context.signal)) yield { model };
      } finally {
        release?.();
      }
    },
    async submitConfig(req, context) {
      const ext = hub.extension(req.extensionId, true);
      if (!ext) return { accepted: false, reasons: ['unknown extension id: register first'], configName: '' };
      authorize(context.caller, { kind: 'submit', name: ext.name, serviceCluster: ext.serviceCluster }, denied);
      const current = hub.current(ext.serviceCluster);
      const key = `${ext.name}\0${ext.serviceCluster}`;
      const last = accepted.get(key) ?? 0;
      const reasons = checkSubmission(req.files, req.checksum);
      if (!current) reasons.push('no model has been published for this service cluster yet');
      else if (req.modelVersion > current.version) reasons.push(`unknown model version ${req.modelVersion} (current is ${current.version})`);
      else if (req.modelVersion <= last) reasons.push(`stale: rendered from model version ${req.modelVersion}, version ${last} was already accepted (current is ${current.version})`);
      if (reasons.length > 0) {
        logger.warn('rejected proxy config', { extension: ext.name, serviceCluster: ext.serviceCluster, modelVersion: req.modelVersion, reasons });
        return { accepted: false, reasons, configName: '' };
      }
      accepted.set(key, req.modelVersion);
      try {
        const configName = await sink.deliver(ext, req.modelVersion, req.files);
        return { accepted: true, reasons: [], configName };
      } catch (err) {
        if (accepted.get(key) === req.modelVersion) accepted.set(key, last);
        const reason = `delivery failed: ${(err as Error).message}`;
        logger.error('proxy config delivery failed', { extension: ext.name, serviceCluster: ext.serviceCluster, modelVersion: req.modelVersion, error: (err as Error).message });
        return { accepted: false, reasons: [reason], configName: '' };
      }
    },
    async getStatus(_req, context) {
      authorize(context.caller, { kind: 'status' }, denied);
      return {
        models: hub.all(),
        deliveries: hub.lastDeliveries(),
        extensions: hub.registeredExtensions(),
        replicas: agents?.onReplicas() ?? [],
        configNotices: configNotices?.() ?? [],
        reconcile: reconcile?.(),
      };
    },
    async *watchProxyConfig(req, context) {
      authorize(context.caller, { kind: 'proxy-agent', proxyService: req.proxyService }, denied);
      const side = checkAgent(req.proxyService, req.replica?.taskId);
      const replica = req.replica!;
      logger.info('proxy agent connected', { proxyService: req.proxyService, task: replica.taskId, node: replica.nodeId, agentVersion: replica.agentVersion });
      try {
        const stream = side.hub.watch(req.proxyService, replica, context.signal);
        side.onReplicas();
        for await (const config of stream) yield { config };
      } finally {
        side.onReplicas();
        logger.info('proxy agent disconnected', { proxyService: req.proxyService, task: replica.taskId });
      }
    },
    async reportProxyConfig(req, context) {
      authorize(context.caller, { kind: 'proxy-agent', proxyService: req.proxyService }, denied);
      const side = checkAgent(req.proxyService, req.replica?.taskId);
      side.onReport(req);
      return {};
    },
  };
}

/** Proxy kind names as the extension args spell them. */
export function proxyKindOf(name: string): ProxyKind {
  return name === 'haproxy' ? ProxyKind.PROXY_KIND_HAPROXY : name === 'nginx' ? ProxyKind.PROXY_KIND_NGINX : ProxyKind.PROXY_KIND_OTHER;
}
