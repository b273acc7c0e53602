import { resolve } from 'node:path';
import type { DockerReader } from '@switchyard/reconciler';

/** Process exit codes of the `switchyard` CLI. */
export const ExitCode = {
  /** The command did what was asked (status shown, request routed, config rendered). */
  ok: 0,
  /** The answer is "bad": `explain` found that the request is not routed; `lint` found a problem at or above `--fail-on`. */
  notRouted: 1,
  /** Usage or input error: unknown command or flag, missing argument, unreadable or invalid file. */
  usage: 2,
  /** core (for `snapshot`: the Docker Engine) could not be reached or failed to answer. */
  coreUnreachable: 3,
} as const;

/** One of the {@link ExitCode} values. */
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** Where the CLI reads its environment and writes its output; tests pass their own. */
export interface CliIo {
  /** Writes to standard output (text is written as is; lines end with "\n"). */
  stdout(text: string): void;
  /** Writes to standard error. */
  stderr(text: string): void;
  /** Environment variables (`SWITCHYARD_CORE`). */
  env: Readonly<Record<string, string | undefined>>;
  /** Directory relative file paths are resolved against. */
  cwd: string;
  /** Current time in Unix milliseconds (for "delivered 5s ago"). */
  now(): number;
  /**
   * The Docker Engine `switchyard snapshot` reads (tests pass a `FakeDockerPort`). Absent: a
   * `DockerodePort` on the local socket or `DOCKER_HOST`, created on first use.
   */
  docker?: () => DockerReader;
}

/** The {@link CliIo} of the running process. */
export function processIo(): CliIo {
  return {
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
    env: process.env,
    cwd: process.cwd(),
    now: () => Date.now(),
  };
}

/** Thrown inside a command to stop with an exit code and a message for stderr. */
export class CliExit extends Error {
  /** The exit code to return. */
  readonly exitCode: ExitCodeValue;

  constructor(exitCode: ExitCodeValue, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CliExit';
    this.exitCode = exitCode;
  }
}

/** A usage or input error (exit code 2). */
export function usageError(message: string, cause?: unknown): CliExit {
  return new CliExit(ExitCode.usage, message, { cause });
}

/** Resolves a user-given file path against the CLI's working directory. */
export function resolvePath(io: CliIo, path: string): string {
  return resolve(io.cwd, path);
}
