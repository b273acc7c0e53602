import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer, ServerError, Status, type Server } from 'nice-grpc';
import { buildModel } from '@switchyard/model';
import {
  ExtensionServiceDefinition,
  ProxyKind,
  SwarmSnapshot,
  type ExtensionServiceImplementation,
  type GetStatusResponse,
  type ProxyModel,
} from '@switchyard/proto';
import type { DockerPort } from '@switchyard/reconciler';
import { runCli, type CliIo } from '../src/index.js';

/** Directory of the test fixtures. */
export const FIXTURES = join(__dirname, 'fixtures');

/** Fixed "now" of the tests (2026-11-03T10:00:00Z). */
export const NOW = Date.UTC(2026, 10, 3, 10, 0, 0);

/** The fixture snapshot. */
export function fixtureSnapshot(): SwarmSnapshot {
  return SwarmSnapshot.fromJSON(JSON.parse(readFileSync(join(FIXTURES, 'snapshot.json'), 'utf8')));
}

/** The model core would serve for the fixture snapshot (default cluster, version 12). */
export function fixtureModel(): ProxyModel {
  return buildModel(fixtureSnapshot(), { serviceCluster: '', version: 12 });
}

/** A status with one model (default cluster), one delivery, and an extension of a cluster without a model. */
export function fixtureStatus(): GetStatusResponse {
  return {
    models: [fixtureModel()],
    deliveries: [
      {
        serviceCluster: '',
        proxyService: 'switchyard-default-proxy',
        modelVersion: 11,
        configName: 'switchyard-default-proxy-11-ab12cd',
        checksum: 'ab12cd',
        deliveredAtUnixMs: NOW - 5000,
        mode: 'hitless',
        lastError: "the proxy's own check refused the configuration: nginx: [emerg] cannot load certificate",
        lastErrorModelVersion: 12,
        lastErrorAtUnixMs: NOW - 2000,
      },
    ],
    replicas: [
      {
        proxyService: 'switchyard-default-proxy',
        replica: { taskId: 'task1abcdefghijk', nodeId: 'node1', hostname: 'h1', agentVersion: '0.1.0' },
        connected: true,
        appliedModelVersion: 11,
        appliedChecksum: 'ab12cd',
        appliedAtUnixMs: NOW - 4000,
        rejectedModelVersion: 0,
        rejectedChecksum: '',
        rejectedError: '',
        rejectedAtUnixMs: 0,
        reloads: 7,
        draining: 1,
        lastSeenUnixMs: NOW - 4000,
      },
      {
        proxyService: 'switchyard-default-proxy',
        replica: { taskId: 'task2abcdefghijk', nodeId: 'node2', hostname: 'h2', agentVersion: '0.1.0' },
        connected: true,
        appliedModelVersion: 10,
        appliedChecksum: 'ffff00',
        appliedAtUnixMs: NOW - 60_000,
        rejectedModelVersion: 11,
        rejectedChecksum: 'ab12cd',
        rejectedError: 'nginx: [emerg] unknown directive "bogus"\nnginx: configuration file test failed',
        rejectedAtUnixMs: NOW - 4000,
        reloads: 3,
        draining: 0,
        lastSeenUnixMs: NOW - 4000,
      },
    ],
    extensions: [
      { extensionId: 'ext-1', name: 'default', serviceCluster: '', proxyKind: ProxyKind.PROXY_KIND_NGINX, leaseExpiresAtUnixMs: 0, watches: 1 },
      { extensionId: 'ext-2', name: 'edge', serviceCluster: 'edge', proxyKind: ProxyKind.PROXY_KIND_HAPROXY, leaseExpiresAtUnixMs: NOW + 30_000, watches: 0 },
    ],
    configNotices: [],
    reconcile: undefined,
  };
}

/** An in-process core: serves canned status and models over real gRPC on loopback. */
export interface FakeCore {
  address: string;
  /** Clusters asked for with GetModel, in order. */
  modelRequests: string[];
  close(): Promise<void>;
}

/** Starts a nice-grpc server implementing ExtensionService with canned answers. */
export async function startFakeCore(status: GetStatusResponse = fixtureStatus()): Promise<FakeCore> {
  const modelRequests: string[] = [];
  const unimplemented = async (): Promise<never> => {
    throw new ServerError(Status.UNIMPLEMENTED, 'not in this fake');
  };
  const impl: ExtensionServiceImplementation = {
    register: unimplemented,
    submitConfig: unimplemented,
    reportProxyConfig: unimplemented,
    // eslint-disable-next-line require-yield
    async *watchProxyConfig() {
      throw new ServerError(Status.UNIMPLEMENTED, 'not in this fake');
    },
    // eslint-disable-next-line require-yield
    async *watchModel() {
      throw new ServerError(Status.UNIMPLEMENTED, 'not in this fake');
    },
    async getModel(req) {
      modelRequests.push(req.serviceCluster);
      const model = status.models.find((m) => m.serviceCluster === req.serviceCluster);
      // Same answer as core when it has no model for the cluster.
      if (!model) throw new ServerError(Status.UNAVAILABLE, `no model yet for service cluster ${JSON.stringify(req.serviceCluster)}`);
      return { model };
    },
    async getStatus() {
      return status;
    },
  };
  const server: Server = createServer();
  server.add(ExtensionServiceDefinition, impl);
  const port = await server.listen('127.0.0.1:0');
  return { address: `127.0.0.1:${port}`, modelRequests, close: () => server.shutdown() };
}

/** What one CLI run printed and returned. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in-process with captured output, a fixed clock, the given environment and Docker port. */
export async function run(argv: string[], options: { env?: Record<string, string>; cwd?: string; docker?: DockerPort } = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    env: options.env ?? {},
    cwd: options.cwd ?? FIXTURES,
    now: () => NOW,
    ...(options.docker ? { docker: () => options.docker as DockerPort } : {}),
  };
  const code = await runCli(argv, io);
  return { code, stdout, stderr };
}
