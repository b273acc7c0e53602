import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { SwarmSnapshot } from '@switchyard/proto';
import type { DockerReader } from '@switchyard/reconciler';
import { CliExit, ExitCode, resolvePath, usageError, type CliIo, type ExitCodeValue } from './io.js';
import type { Flags } from './commands.js';

const LB_PREFIX = 'com.docker.lb.';

/**
 * Reads the swarm's services, tasks, networks and secrets (metadata only) through `docker` and maps
 * them with the reconciler's `toSnapshot`, as core does. Read-only. Rejects when the Engine does.
 */
export async function captureSnapshot(docker: DockerReader): Promise<SwarmSnapshot> {
  // Loaded on use: the reconciler pulls in dockerode, which the other commands do not need.
  const { toSnapshot } = await import('@switchyard/reconciler');
  const [services, tasks, networks, secrets] = await Promise.all([docker.listServices(), docker.listTasks(), docker.listNetworks(), docker.listSecrets()]);
  return toSnapshot({ services, tasks, networks, secrets });
}

/**
 * A snapshot in its proto JSON form (`SwarmSnapshot.toJSON`), with every top-level list present even
 * when empty, so that `--snapshot` readers can tell a snapshot of an empty swarm from `{}`.
 */
export function snapshotJson(snapshot: SwarmSnapshot): Record<string, unknown> {
  return { services: [], tasks: [], networks: [], secrets: [], ...(SwarmSnapshot.toJSON(snapshot) as Record<string, unknown>) };
}

/** One line counting what a snapshot holds, e.g. "5 services (3 with com.docker.lb.* labels), 9 tasks (6 running), ...". */
export function snapshotSummary(snapshot: SwarmSnapshot): string {
  const lb = (labels: Record<string, string> | undefined): boolean => Object.keys(labels ?? {}).some((k) => k.startsWith(LB_PREFIX));
  const labelled = snapshot.services.filter((s) => lb(s.labels)).length;
  const misplaced = snapshot.services.filter((s) => lb(s.containerLabels)).length;
  const running = snapshot.tasks.filter((t) => t.state === 'running' && t.desiredState === 'running').length;
  const parts = [
    `${snapshot.services.length} services (${labelled} with ${LB_PREFIX}* service labels${misplaced > 0 ? `, ${misplaced} with ${LB_PREFIX}* container labels` : ''})`,
    `${snapshot.tasks.length} tasks (${running} running)`,
    `${snapshot.networks.length} networks`,
    `${snapshot.secrets.length} secrets`,
  ];
  return parts.join(', ');
}

/** Where the Docker client connects, for messages: `$DOCKER_HOST` or the local socket. */
function engineName(io: CliIo): string {
  const host = io.env.DOCKER_HOST;
  return host !== undefined && host !== '' ? host : 'the local Docker socket';
}

async function defaultDocker(): Promise<DockerReader> {
  const { DockerodePort } = await import('@switchyard/reconciler');
  return new DockerodePort();
}

/**
 * `switchyard snapshot [--out FILE]`: captures the live swarm into the SwarmSnapshot JSON that
 * `--snapshot` reads (stdout, or FILE). Read-only. Exit 3 when the Engine is unreachable or refuses
 * (e.g. not a swarm manager).
 */
export async function snapshotCommand(positionals: readonly string[], flags: Flags, io: CliIo): Promise<ExitCodeValue> {
  if (positionals.length > 0) throw usageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
  const out = typeof flags.out === 'string' ? flags.out : undefined;
  if (out === '') throw usageError('--out needs a file name');
  const docker = io.docker ? io.docker() : await defaultDocker();
  let snapshot: SwarmSnapshot;
  try {
    snapshot = await captureSnapshot(docker);
  } catch (err) {
    const status = (err as { statusCode?: unknown }).statusCode;
    const why = (err as Error).message.trim();
    const hint =
      status === 503 ? ' (run it against a swarm manager: set DOCKER_HOST or use a Docker context of a manager node)' : status === undefined ? ' (is the Docker Engine running? set DOCKER_HOST to reach another one)' : '';
    throw new CliExit(ExitCode.coreUnreachable, `cannot read the swarm from ${engineName(io)}: ${why}${hint}`, { cause: err });
  }
  const text = `${JSON.stringify(snapshotJson(snapshot), null, 2)}\n`;
  if (out === undefined) {
    io.stdout(text);
  } else {
    const target = resolvePath(io, out);
    try {
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, text);
    } catch (err) {
      throw usageError(`cannot write ${out}: ${(err as Error).message}`, err);
    }
  }
  io.stderr(`snapshot of ${engineName(io)}: ${snapshotSummary(snapshot)}${out === undefined ? '' : `; wrote ${out}`}\n`);
  return ExitCode.ok;
}
