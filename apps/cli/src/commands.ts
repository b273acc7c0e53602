import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, normalize } from 'node:path';
import { PROXY_KIND_NAMES, RENDERERS, describeIgnoredKeys, isProxyKindName, type ProxyKindName } from '@switchyard/config';
import { buildModel, explainRequest, type SecretPolicy } from '@switchyard/model';
import { GetStatusResponse, RenderedFile, Diagnostic, type ProxyModel, type Diagnostic as DiagnosticType } from '@switchyard/proto';
import { coreAddress, coreCredentials, openCore, timeoutMs } from './core-client.js';
import { formatDiagnostic, formatExplanation, formatStatus } from './format.js';
import { readCoreConfigFile, readModelFile, readSnapshotFile } from './input-files.js';
import { ExitCode, resolvePath, usageError, type CliIo, type ExitCodeValue } from './io.js';

/** Parsed flags of one command (values as given; booleans for switches). */
export type Flags = Record<string, string | boolean | undefined>;

function str(flags: Flags, name: string): string | undefined {
  const v = flags[name];
  return typeof v === 'string' ? v : undefined;
}

async function withCore<T>(flags: Flags, io: CliIo, fn: (core: ReturnType<typeof openCore>) => Promise<T>): Promise<T> {
  const tls = coreCredentials({ credentials: str(flags, 'credentials'), ca: str(flags, 'ca'), cert: str(flags, 'cert'), key: str(flags, 'key'), insecure: flags.insecure === true }, io);
  const core = openCore(coreAddress(str(flags, 'core'), io), timeoutMs(str(flags, 'timeout')), tls);
  try {
    return await fn(core);
  } finally {
    core.close();
  }
}

/** `switchyard status`: models, diagnostics, deliveries and extensions of every cluster. */
export async function statusCommand(flags: Flags, io: CliIo): Promise<ExitCodeValue> {
  const status = await withCore(flags, io, (core) => core.status());
  if (flags.json === true) io.stdout(`${JSON.stringify(GetStatusResponse.toJSON(status), null, 2)}\n`);
  else io.stdout(formatStatus(status, coreAddress(str(flags, 'core'), io), io.now()));
  return ExitCode.ok;
}

/** Splits `host[/path]` (a scheme is tolerated) into host and path. */
export function splitTarget(target: string): { host: string; path: string } {
  const bare = target.trim().replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
  const cut = bare.search(/[/?]/);
  if (cut < 0) return { host: bare, path: '/' };
  const path = bare.slice(cut);
  return { host: bare.slice(0, cut), path: path.startsWith('/') ? path : `/${path}` };
}

/** `switchyard explain <host>[/path]`: how the cluster's proxies answer that request; exit 1 when not routed. */
export async function explainCommand(positionals: string[], flags: Flags, io: CliIo): Promise<ExitCodeValue> {
  const [target, ...extra] = positionals;
  if (target === undefined || target.trim() === '') throw usageError('missing <host>[/path]');
  if (extra.length > 0) throw usageError(`unexpected argument ${JSON.stringify(extra[0])}`);
  const { host, path } = splitTarget(target);
  if (host === '') throw usageError(`${JSON.stringify(target)} has no host name`);
  const cluster = str(flags, 'cluster') ?? '';
  const model = await loadModel(flags, io, cluster);
  const explanation = explainRequest(model, host, path);
  if (flags.json === true) io.stdout(`${JSON.stringify(explanationJson(explanation), null, 2)}\n`);
  else io.stdout(formatExplanation(explanation));
  return explanation.routed ? ExitCode.ok : ExitCode.notRouted;
}

/** The explanation in JSON, with embedded diagnostics in their proto JSON form. */
function explanationJson(e: ReturnType<typeof explainRequest>): unknown {
  const claims = (list: typeof e.claimants) => list.map((c) => ({ ...c, diagnostics: c.diagnostics.map((d) => Diagnostic.toJSON(d)) }));
  return { ...e, claimants: claims(e.claimants), unreadable: claims(e.unreadable) };
}

/**
 * The model to work on: from `--model FILE` (ProxyModel JSON), `--snapshot FILE` (SwarmSnapshot JSON,
 * built with `buildModel`) or core's live model (GetModel).
 */
async function loadModel(flags: Flags, io: CliIo, cluster: string, secretPolicy?: SecretPolicy): Promise<ProxyModel> {
  const modelFile = str(flags, 'model');
  const snapshotFile = str(flags, 'snapshot');
  if (modelFile !== undefined && snapshotFile !== undefined) throw usageError('use either --model or --snapshot, not both');
  if (modelFile !== undefined) return readModelFile(io, modelFile);
  if (snapshotFile !== undefined) return buildModel(await readSnapshotFile(io, snapshotFile), { serviceCluster: cluster, ...(secretPolicy ? { secretPolicy } : {}) });
  return withCore(flags, io, (core) => core.model(cluster));
}

/** An extension section of core's TOML, as far as rendering needs it. */
interface ExtensionSection {
  name: string;
  kind: ProxyKindName;
  config: Record<string, unknown>;
  httpPort: number;
  httpsPort: number;
  /** The published TLS port (the ssl_only redirect's port). */
  publishedHttpsPort: number;
  serviceCluster: string;
  /** Which services may use a secret as their certificate (the file's `SecretPolicy`). */
  secretPolicy: SecretPolicy;
}

/**
 * Reads `[Extensions.<name>]` from core's TOML with core's own parser (@switchyard/config), so the CLI
 * accepts and refuses exactly what core does; the keys core would ignore are listed on stderr.
 */
async function readExtension(io: CliIo, file: string, wanted: string | undefined): Promise<ExtensionSection> {
  const config = await readCoreConfigFile(io, file);
  const names = config.Extensions.map((e) => e.Name);
  let name = wanted;
  if (name === undefined) {
    if (names.length !== 1) {
      throw usageError(`config file ${file} has ${names.length === 0 ? 'no [Extensions.<name>] section' : `several extensions (${names.join(', ')}): pick one with --extension NAME`}`);
    }
    name = names[0] as string;
  }
  const ext = config.Extensions.find((e) => e.Name === name);
  if (ext === undefined) throw usageError(`config file ${file} has no [Extensions.${name}] section${names.length > 0 ? ` (it has: ${names.join(', ')})` : ''}`);
  for (const line of describeIgnoredKeys(config.IgnoredKeys)) io.stderr(`config: ${line}\n`);
  const kind = ext.ProxyKind;
  if (!isProxyKindName(kind)) {
    throw usageError(`config file ${file}: [Extensions.${name}] is a ${kind} proxy, which its own extension renders; switchyard render knows ${PROXY_KIND_NAMES.join(' and ')}`);
  }
  return { name, kind, config: ext.Config, httpPort: ext.TargetPort, httpsPort: ext.TargetSSLPort, publishedHttpsPort: ext.PublishedSSLPort, serviceCluster: ext.ServiceCluster, secretPolicy: config.SecretPolicy };
}

/** A path from the renderer, checked so it cannot leave the output directory. */
function safeRelative(path: string): string {
  const n = normalize(path);
  if (path === '' || isAbsolute(path) || n.startsWith('..') || n.split(/[\\/]/).includes('..')) throw new Error(`renderer produced an unsafe file path ${JSON.stringify(path)}`);
  return n;
}

/** `switchyard render`: renders the proxy config (dry run) from core's model, a snapshot or a model file. */
export async function renderCommand(positionals: string[], flags: Flags, io: CliIo): Promise<ExitCodeValue> {
  if (positionals.length > 0) throw usageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
  const configFile = str(flags, 'config');
  const extensionName = str(flags, 'extension');
  if (extensionName !== undefined && configFile === undefined) throw usageError('--extension needs --config FILE.toml');
  const ext = configFile !== undefined ? await readExtension(io, configFile, extensionName) : undefined;
  const proxyFlag = str(flags, 'proxy');
  if (proxyFlag !== undefined && !isProxyKindName(proxyFlag)) throw usageError(`--proxy: expected ${PROXY_KIND_NAMES.join(' or ')}, got ${JSON.stringify(proxyFlag)}`);
  const proxy = proxyFlag ?? ext?.kind;
  if (proxy === undefined) throw usageError(`--proxy ${PROXY_KIND_NAMES.join('|')} is required (or --config with an extension section)`);
  const cluster = str(flags, 'cluster') ?? ext?.serviceCluster ?? '';

  const renderer = RENDERERS[proxy];
  const parsed = renderer.parseConfig(ext?.config ?? {});
  if (!parsed.ok) throw usageError(`invalid [Extensions.${ext?.name ?? '?'}.Config] for ${proxy}: ${parsed.message}`);
  const ports = { httpPort: ext?.httpPort, httpsPort: ext?.httpsPort, publishedHttpsPort: ext?.publishedHttpsPort };
  const render = (model: ProxyModel): { files: RenderedFile[]; diagnostics: DiagnosticType[] } => renderer.render(model, parsed.config, ports);

  const model = await loadModel(flags, io, cluster, ext?.secretPolicy);
  const { files, diagnostics } = render(model);
  for (const d of model.diagnostics) io.stderr(`model:  ${formatDiagnostic(d)}\n`);
  for (const d of diagnostics) io.stderr(`render: ${formatDiagnostic(d)}\n`);

  const outDir = str(flags, 'out');
  if (outDir !== undefined) {
    const root = resolvePath(io, outDir);
    for (const file of files) {
      const target = join(root, safeRelative(file.path));
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, file.content);
      io.stderr(`wrote ${join(outDir, file.path)}\n`);
    }
  }
  if (flags.json === true) {
    const json = {
      serviceCluster: model.serviceCluster,
      modelVersion: model.version,
      modelHash: model.hash,
      files: files.map((f) => RenderedFile.toJSON(f)),
      diagnostics: diagnostics.map((d) => Diagnostic.toJSON(d)),
      modelDiagnostics: model.diagnostics.map((d) => Diagnostic.toJSON(d)),
    };
    io.stdout(`${JSON.stringify(json, null, 2)}\n`);
  } else if (outDir === undefined) {
    io.stdout(files[0]?.content ?? '');
  }
  return ExitCode.ok;
}
