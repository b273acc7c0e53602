import { spawn } from 'node:child_process';

/** Options for {@link docker}. */
export interface DockerOptions {
  /** Kill the command and reject after this many milliseconds (default 60 000). */
  timeoutMs?: number;
  /** Text written to the command's stdin (e.g. for `docker config create NAME -`). */
  input?: string;
  /** Resolve instead of rejecting when the command exits non-zero (default false). */
  allowFailure?: boolean;
  /** Environment of the command (default: this process's), e.g. variables a compose file interpolates. */
  env?: NodeJS.ProcessEnv;
}

/** What a finished `docker` command printed and how it exited. */
export interface DockerResult {
  /** Everything written to stdout. */
  stdout: string;
  /** Everything written to stderr. */
  stderr: string;
  /** The exit code (non-zero only when `allowFailure` was set). */
  exitCode: number;
}

/** Why a `docker` command failed: it exited non-zero, timed out, or could not be started. */
export type DockerErrorCode = 'DOCKER_FAILED' | 'DOCKER_TIMEOUT' | 'DOCKER_SPAWN';

/** A `docker` CLI command that failed; carries the arguments and the CLI's stderr. */
export class DockerError extends Error {
  /** Creates the error; `message` already names the command. */
  constructor(
    message: string,
    /** What went wrong. */
    readonly code: DockerErrorCode,
    /** The arguments given to `docker`. */
    readonly args: readonly string[],
    /** The CLI's stderr (trimmed). */
    readonly stderr: string,
    /** The exit code, or `null` when the command was killed or never started. */
    readonly exitCode: number | null,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'DockerError';
  }
}

const MAX_OUTPUT = 16 * 1024 * 1024;

/**
 * Runs the `docker` CLI with `args` (no shell), bounded by a timeout.
 * Rejects with a {@link DockerError} on a non-zero exit (unless `allowFailure`), a timeout, or when
 * the CLI cannot be started.
 */
export function docker(args: readonly string[], options: DockerOptions = {}): Promise<DockerResult> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const shown = `docker ${args.join(' ')}`;
  return new Promise((resolve, reject) => {
    const child = spawn('docker', [...args], { stdio: ['pipe', 'pipe', 'pipe'], env: options.env ?? process.env });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let size = 0;
    let timedOut = false;
    const collect = (into: Buffer[]) => (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_OUTPUT) into.push(chunk);
    };
    child.stdout.on('data', collect(out));
    child.stderr.on('data', collect(err));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (cause) => {
      clearTimeout(timer);
      reject(new DockerError(`${shown}: cannot start the docker CLI`, 'DOCKER_SPAWN', args, '', null, { cause }));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8').trim();
      if (timedOut) {
        reject(new DockerError(`${shown}: timed out after ${timeoutMs} ms`, 'DOCKER_TIMEOUT', args, stderr, null));
      } else if (code !== 0 && !options.allowFailure) {
        reject(new DockerError(`${shown}: exit ${code}: ${stderr}`, 'DOCKER_FAILED', args, stderr, code));
      } else {
        resolve({ stdout, stderr, exitCode: code ?? -1 });
      }
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}

/** Runs `docker` and returns stdout split into non-empty trimmed lines. */
export async function dockerLines(args: readonly string[], options: DockerOptions = {}): Promise<string[]> {
  const { stdout } = await docker(args, options);
  return stdout
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
}

/** True when the local engine has `image` (name:tag or ID). */
export async function imageExists(image: string): Promise<boolean> {
  const { exitCode } = await docker(['image', 'inspect', image], { allowFailure: true, timeoutMs: 15_000 });
  return exitCode === 0;
}
