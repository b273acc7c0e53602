import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_CORE_ADDRESS, DEFAULT_CREDENTIALS, DEFAULT_TIMEOUT_MS } from './core-client.js';
import { explainCommand, renderCommand, statusCommand, type Flags } from './commands.js';
import { CliExit, ExitCode, processIo, type CliIo, type ExitCodeValue } from './io.js';
import { lintCommand } from './lint-command.js';
import { snapshotCommand } from './snapshot-command.js';

const EXIT_CODES = `Exit codes:
  0  ok (status shown, request routed, config rendered, snapshot written, lint found nothing at --fail-on)
  1  the answer is "bad": explain found the request not routed, core has no model for the cluster,
     or lint found something at or above --fail-on
  2  usage or input error (unknown command or flag, missing argument, unreadable or invalid file,
     a file of the wrong kind: {}, an array, a model given as a snapshot)
  3  core unreachable (or failing) at the given address; for snapshot: the Docker Engine`;

const CORE_FLAGS = `  --core HOST:PORT   core's gRPC address (default: $SWITCHYARD_CORE, else ${DEFAULT_CORE_ADDRESS})
  --timeout MS       how long to wait for core (default ${DEFAULT_TIMEOUT_MS})
  --credentials FILE operator credentials bundle (certificate, key, CA) issued by core
                     (default: $SWITCHYARD_TLS_BUNDLE, else ${DEFAULT_CREDENTIALS.join(', else ')})
  --ca FILE --cert FILE --key FILE
                     the same as three files ($SWITCHYARD_TLS_CA, _CERT, _KEY)
  --insecure         plaintext, for a core run with InsecureControlPlane = true`;

/** Help text of each command (and of the CLI as a whole under `""`). */
export const USAGE: Readonly<Record<string, string>> = {
  '': `Usage: switchyard <command> [options]

Operator CLI for Switchyard, the Interlock-compatible router for Docker Swarm.

Commands:
  status                 models, routed services, diagnostics, deliveries and extensions per cluster; config notices
  explain <host>[/path]  which route, upstream and endpoints serve a request, and why services are not routed
  render --proxy KIND    dry run: render the nginx or HAProxy config from the live model or a file
  snapshot [--out FILE]  capture the live swarm (read-only, Docker socket or DOCKER_HOST) as snapshot JSON
  lint --snapshot FILE   per service: what will be routed, what will not and why; exit 1 on problems

Run \`switchyard <command> --help\` for a command's options. \`switchyard --version\` prints the version.

${EXIT_CODES}`,
  status: `Usage: switchyard status [--core HOST:PORT] [--json]

Shows core's config notices (keys of its TOML file it accepts but does not use, and settings this
host cannot honour, e.g. PublishMode = "ingress" without IPVS), then, per service cluster: the
model version, hosts routed, services routed and not routed, diagnostics (severity, service, label,
message), the last delivery to each proxy (mode, config name, model version, time), each proxy
replica's applied config (model version, when, reloads, old processes draining, the last config it
rejected and why) and the registered extensions. Exits 0 even when there are error diagnostics,
warnings or rejections.

Options:
${CORE_FLAGS}
  --json             print core's GetStatusResponse in its proto JSON form

${EXIT_CODES}`,
  explain: `Usage: switchyard explain <host>[/path] [--cluster NAME] [--core HOST:PORT] [--json]
                          [--snapshot FILE.json | --model FILE.json]

Explains how the proxies of a service cluster answer a request: the host matched (exact or
wildcard), the route (longest path prefix), strip_prefix, websocket, redirects, TLS certificate
or ssl_only redirect, SNI passthrough, the default backend or the 503 page; the upstream with its
services, endpoints (task ids, addresses, weights), sticky cookie, ip_hash and backend TLS; and
why services claiming the host are not routed (their diagnostics). Exits 1 when the request is
not routed (503 page, default backend, no route for the path, or no endpoints).

Options:
  --cluster NAME     service cluster (default "": the default cluster)
${CORE_FLAGS}
  --snapshot FILE    explain offline against a SwarmSnapshot JSON file instead of core
  --model FILE       explain offline against a ProxyModel JSON file instead of core
  --json             print the explanation as JSON

${EXIT_CODES}`,
  render: `Usage: switchyard render --proxy nginx|haproxy [--cluster NAME] [--core HOST:PORT]
                         [--snapshot FILE.json | --model FILE.json]
                         [--config FILE.toml [--extension NAME]] [--out DIR] [--json]

Dry run: renders the proxy configuration with Switchyard's renderers, from core's live model
(GetModel), or offline from a SwarmSnapshot JSON file (built into a model as core would) or a
ProxyModel JSON file. Prints the main file on stdout (or writes every file under --out DIR) and
the model's and renderer's diagnostics on stderr. Nothing is sent to core or to the proxies.

Options:
  --proxy KIND       nginx or haproxy (default: the proxy kind of the --config extension)
  --cluster NAME     service cluster (default: the extension's ServiceCluster, else "")
${CORE_FLAGS}
  --snapshot FILE    render from a SwarmSnapshot JSON file (proto JSON form)
  --model FILE       render from a ProxyModel JSON file (proto JSON form)
  --config FILE      core's Interlock TOML: proxy options from [Extensions.<name>.Config],
                     listener ports from TargetPort / TargetSSLPort
  --extension NAME   which [Extensions.<name>] to use (needed when there are several)
  --out DIR          write all rendered files under DIR instead of printing the main one
  --json             print files and diagnostics as JSON

${EXIT_CODES}`,
  snapshot: `Usage: switchyard snapshot [--out FILE.json]

Captures the live swarm's services (service and container labels, networks, virtual IPs), tasks,
networks and secrets (names and labels, never data) into the SwarmSnapshot JSON that --snapshot
reads, as core's reconciler sees them. Read-only. Talks to the Docker Engine on the local socket or
at $DOCKER_HOST (with $DOCKER_TLS_VERIFY / $DOCKER_CERT_PATH); it must be a swarm manager. Prints
the JSON on stdout (or writes FILE) and a one-line summary on stderr. Exit 3 when the Engine is
unreachable or refuses.

Options:
  --out FILE         write the snapshot to FILE instead of stdout

${EXIT_CODES}`,
  lint: `Usage: switchyard lint --snapshot FILE.json [--config FILE.toml] [--fail-on error|warning] [--json]

Lint before you switch: builds the model of every service cluster the snapshot names, as core
would, and prints per labelled service what will be routed (host/path, TLS passthrough, default
backend) or that it will not be, with the diagnostics that say why (bad labels, conflicts,
com.docker.lb.* labels on the containers instead of the service). With --config, also checks core's
TOML file with core's own parser (a file core would refuse is exit 2), lists the keys core ignores
(info notices: they never fail lint) and builds the models with its SecretPolicy. Exits 1 when a
diagnostic at or above --fail-on was found.

Options:
  --snapshot FILE    SwarmSnapshot JSON (from \`switchyard snapshot --out FILE\`); required
  --config FILE      core's Interlock TOML file (default without it: SecretPolicy "labelled")
  --fail-on LEVEL    error (default) or warning: the lowest severity that makes lint exit 1
  --json             print the report as JSON

${EXIT_CODES}`,
};

const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  json: { type: 'boolean' },
  core: { type: 'string' },
  timeout: { type: 'string' },
  cluster: { type: 'string' },
  snapshot: { type: 'string' },
  model: { type: 'string' },
  proxy: { type: 'string' },
  config: { type: 'string' },
  extension: { type: 'string' },
  out: { type: 'string' },
  credentials: { type: 'string' },
  ca: { type: 'string' },
  cert: { type: 'string' },
  key: { type: 'string' },
  insecure: { type: 'boolean' },
  'fail-on': { type: 'string' },
} as const;

const TLS_FLAGS = ['credentials', 'ca', 'cert', 'key', 'insecure'];

/** Flags each command accepts (the others are usage errors). */
const ACCEPTED: Readonly<Record<string, readonly string[]>> = {
  status: ['help', 'json', 'core', 'timeout', ...TLS_FLAGS],
  explain: ['help', 'json', 'core', 'timeout', 'cluster', 'snapshot', 'model', ...TLS_FLAGS],
  render: ['help', 'json', 'core', 'timeout', 'cluster', 'snapshot', 'model', 'proxy', 'config', 'extension', 'out', ...TLS_FLAGS],
  snapshot: ['help', 'out'],
  lint: ['help', 'json', 'snapshot', 'config', 'fail-on'],
};

/** The CLI's version, from its package.json. */
export function cliVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

/**
 * Runs the `switchyard` CLI with `argv` (without `node` and the script) and returns the exit code
 * (see {@link ExitCode}). Output goes through `io`; nothing here calls `process.exit`.
 *
 * @example
 * const code = await runCli(['explain', 'app.example.com/api', '--core', '127.0.0.1:8080']);
 */
export async function runCli(argv: readonly string[], io: CliIo = processIo()): Promise<ExitCodeValue> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    const topic = command === 'help' ? (rest[0] ?? '') : '';
    const text = USAGE[topic];
    if (text === undefined) {
      io.stderr(`switchyard: unknown command ${JSON.stringify(topic)}\n\n${USAGE['']}\n`);
      return ExitCode.usage;
    }
    (command === undefined ? io.stderr : io.stdout)(`${text}\n`);
    return command === undefined ? ExitCode.usage : ExitCode.ok;
  }
  if (command === '--version' || command === '-V') {
    io.stdout(`${cliVersion()}\n`);
    return ExitCode.ok;
  }
  const accepted = ACCEPTED[command];
  if (accepted === undefined) {
    io.stderr(`switchyard: unknown command ${JSON.stringify(command)}\n\n${USAGE['']}\n`);
    return ExitCode.usage;
  }
  let flags: Flags;
  let positionals: string[];
  try {
    const parsed = parseArgs({ args: [...rest], options: OPTIONS, allowPositionals: true, strict: true });
    flags = parsed.values;
    positionals = parsed.positionals;
    const wrong = Object.keys(flags).find((k) => !accepted.includes(k));
    if (wrong !== undefined) throw new Error(`option --${wrong} does not apply to ${command}`);
  } catch (err) {
    io.stderr(`switchyard ${command}: ${(err as Error).message}\n\n${USAGE[command]}\n`);
    return ExitCode.usage;
  }
  if (flags.help === true) {
    io.stdout(`${USAGE[command]}\n`);
    return ExitCode.ok;
  }
  try {
    if (command === 'status') {
      if (positionals.length > 0) throw new CliExit(ExitCode.usage, `unexpected argument ${JSON.stringify(positionals[0])}`);
      return await statusCommand(flags, io);
    }
    if (command === 'explain') return await explainCommand(positionals, flags, io);
    if (command === 'snapshot') return await snapshotCommand(positionals, flags, io);
    if (command === 'lint') return await lintCommand(positionals, flags, io);
    return await renderCommand(positionals, flags, io);
  } catch (err) {
    if (err instanceof CliExit) {
      io.stderr(`switchyard ${command}: ${err.message}\n`);
      if (err.exitCode === ExitCode.usage) io.stderr(`Run \`switchyard ${command} --help\` for usage.\n`);
      return err.exitCode;
    }
    throw err;
  }
}
