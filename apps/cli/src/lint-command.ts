import { keyNotice, parseCoreConfig, type CoreConfig } from '@switchyard/config';
import { buildModel, type SecretPolicy } from '@switchyard/model';
import { Diagnostic, Severity, type ProxyModel, type SwarmSnapshot } from '@switchyard/proto';
import { clusterLabel, severityName, table } from './format.js';
import { readCoreConfigFile, readSnapshotFile } from './input-files.js';
import { ExitCode, usageError, type CliIo, type ExitCodeValue } from './io.js';
import type { Flags } from './commands.js';

const CLUSTER_LABEL = 'com.docker.lb.service_cluster';

/** Core's secret policy when its config file does not set one (derived from core's own parser). */
const DEFAULT_SECRET_POLICY: SecretPolicy = parseCoreConfig('').SecretPolicy;

/** The lowest severity that makes `lint` exit 1 (`--fail-on`). */
export type FailOn = 'error' | 'warning';

export { IGNORED_KEY, REPLACED_KEY } from '@switchyard/config';

/**
 * One finding about the core config file (`--config`), shaped like the config notices of `switchyard
 * status`. `info` findings (ignored keys) never count as errors or warnings, so never fail lint.
 */
export interface ConfigFinding {
  /** Dotted key, e.g. `Extensions.default.Config.Version`. */
  key: string;
  /** Stable machine-readable code, e.g. `ignored-key`. */
  code: string;
  severity: 'error' | 'warning' | 'info';
  message: string;
}

/** What `lint` takes from the `--config` file: its findings, and the options core builds models with. */
export interface LintConfig {
  findings: ConfigFinding[];
  /** The file's `SecretPolicy` (which services may use a secret as their certificate). */
  secretPolicy: SecretPolicy;
}

/** What `lint` says of one labelled service. */
export interface ServiceLint {
  id: string;
  name: string;
  serviceCluster: string;
  routed: boolean;
  /** Hosts the service claims (for services that are not routed: those its labels meant). */
  hosts: string[];
  /** What the proxies will serve for it: `host/path` (HTTP routes), `host (TLS passthrough)`, `(default backend)`. */
  routes: string[];
  runningTasks: number;
  /** The model's diagnostics about the service (why it is not routed, or what is ignored). */
  diagnostics: Diagnostic[];
}

/** The result of `lint` (also its `--json` form, with diagnostics in proto JSON). */
export interface LintReport {
  /** Service clusters looked at, sorted ("" first). */
  clusters: string[];
  /** Labelled services, by cluster then name; a service whose cluster is unknown is listed once. */
  services: ServiceLint[];
  /** Diagnostics naming no listed service. */
  otherDiagnostics: Diagnostic[];
  /** Findings about the config file (empty without `--config`). */
  config: ConfigFinding[];
  /** The secret policy the models were built with (the config's `SecretPolicy`, else core's default). */
  secretPolicy: SecretPolicy;
  errors: number;
  warnings: number;
}

/** The clusters a snapshot's services name (service or container `service_cluster` labels), plus "". */
export function snapshotClusters(snapshot: SwarmSnapshot): string[] {
  const clusters = new Set<string>(['']);
  for (const s of snapshot.services) {
    for (const labels of [s.labels, s.containerLabels ?? {}]) {
      const name = labels[CLUSTER_LABEL];
      if (name !== undefined) clusters.add(name.trim());
    }
  }
  return [...clusters].sort();
}

/** What the model routes to `service`: HTTP routes, SNI routes and the default backend. */
function routesOf(model: ProxyModel, service: string): string[] {
  const upstreams = new Set(model.upstreams.filter((u) => u.services.includes(service)).map((u) => u.name));
  const out: string[] = [];
  for (const h of model.hosts) {
    for (const r of h.routes) if (upstreams.has(r.upstream)) out.push(`${h.host}${r.path}${r.websocket ? ' (websocket)' : ''}`);
  }
  for (const s of model.sniRoutes) if (upstreams.has(s.upstream)) out.push(`${s.host} (TLS passthrough)`);
  if (model.defaultUpstream !== '' && upstreams.has(model.defaultUpstream)) out.push('(default backend)');
  return out;
}

/** Options of {@link lintSnapshot}. */
export interface LintOptions {
  /** Core's `SecretPolicy` (default: core's default, `labelled`). */
  secretPolicy?: SecretPolicy;
}

/**
 * Lints a snapshot: builds the model of every service cluster the snapshot names (as core would, with
 * the config's secret policy) and reports per labelled service what is routed and what is not, and
 * why. Pure; `config` findings are passed through, and those of severity error or warning counted.
 */
export function lintSnapshot(snapshot: SwarmSnapshot, config: readonly ConfigFinding[] = [], options: LintOptions = {}): LintReport {
  const secretPolicy = options.secretPolicy ?? DEFAULT_SECRET_POLICY;
  const clusters = snapshotClusters(snapshot);
  const services: ServiceLint[] = [];
  const seen = new Set<string>();
  const otherDiagnostics: Diagnostic[] = [];
  const seenOther = new Set<string>();
  for (const cluster of clusters) {
    const model = buildModel(snapshot, { serviceCluster: cluster, secretPolicy });
    for (const s of model.services) {
      if (seen.has(s.id)) continue;
      seen.add(s.id);
      services.push({
        id: s.id,
        name: s.name,
        serviceCluster: s.serviceCluster,
        routed: s.routed,
        hosts: [...s.hosts],
        routes: routesOf(model, s.name),
        runningTasks: s.runningTasks,
        diagnostics: model.diagnostics.filter((d) => d.service === s.name),
      });
    }
    const names = new Set(model.services.map((s) => s.name));
    for (const d of model.diagnostics) {
      const key = JSON.stringify(Diagnostic.toJSON(d));
      if (!names.has(d.service) && !seenOther.has(key)) {
        seenOther.add(key);
        otherDiagnostics.push(d);
      }
    }
  }
  const all = [...services.flatMap((s) => s.diagnostics), ...otherDiagnostics];
  const errors = all.filter((d) => d.severity === Severity.SEVERITY_ERROR).length + config.filter((f) => f.severity === 'error').length;
  const warnings = all.filter((d) => d.severity === Severity.SEVERITY_WARNING).length + config.filter((f) => f.severity === 'warning').length;
  return { clusters, services, otherDiagnostics, config: [...config], secretPolicy, errors, warnings };
}

/** Whether `report` has something at or above `failOn`. */
export function lintFails(report: LintReport, failOn: FailOn): boolean {
  return report.errors > 0 || (failOn === 'warning' && report.warnings > 0);
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** The text report: per cluster, one block per service; then config findings and a summary line. */
export function formatLint(report: LintReport, files: { snapshot: string; config?: string }, failOn: FailOn): string {
  const lines: string[] = [];
  const width = Math.max(0, ...report.services.map((s) => s.name.length));
  for (const cluster of report.clusters) {
    const list = report.services.filter((s) => s.serviceCluster === cluster);
    if (list.length === 0) continue;
    const routed = list.filter((s) => s.routed).length;
    lines.push(`cluster ${clusterLabel(cluster)}: ${routed} of ${plural(list.length, 'labelled service')} routed`);
    for (const s of list) {
      const what = s.routed ? s.routes.join(', ') || '(redirects only)' : s.hosts.length > 0 ? `meant for ${s.hosts.join(', ')}` : '';
      lines.push(`  ${s.name.padEnd(width)}  ${s.routed ? 'routed    ' : 'NOT ROUTED'}  ${what}`.trimEnd());
      for (const d of s.diagnostics) lines.push(`  ${' '.repeat(width)}  ${severityName(d.severity).padEnd(7)}  ${d.label || '(service)'}  ${d.code}: ${d.message}`);
    }
    lines.push('');
  }
  if (report.services.length === 0) lines.push(`no service in ${files.snapshot} has com.docker.lb.* labels`, '');
  if (report.otherDiagnostics.length > 0) {
    lines.push('other diagnostics:');
    for (const d of report.otherDiagnostics) lines.push(`  ${severityName(d.severity).padEnd(7)}  ${d.service || '-'}  ${d.label || '(service)'}  ${d.code}: ${d.message}`);
    lines.push('');
  }
  if (files.config !== undefined) {
    lines.push(`config ${files.config}: valid, SecretPolicy "${report.secretPolicy}"; ${report.config.length === 0 ? 'no notices' : plural(report.config.length, 'notice')}`);
    lines.push(...table(report.config.map((f) => [f.severity, f.key, `${f.code}: ${f.message}`]), '  '));
    lines.push('');
  }
  const verdict = lintFails(report, failOn) ? `FAIL (--fail-on ${failOn})` : 'ok';
  lines.push(`${plural(report.errors, 'error')}, ${plural(report.warnings, 'warning')}: ${verdict}`);
  return `${lines.join('\n')}\n`;
}

/** The `--json` form of a report. */
export function lintJson(report: LintReport, files: { snapshot: string; config?: string }, failOn: FailOn): unknown {
  return {
    snapshot: files.snapshot,
    config: files.config ?? null,
    failOn,
    failed: lintFails(report, failOn),
    errors: report.errors,
    warnings: report.warnings,
    clusters: report.clusters,
    services: report.services.map((s) => ({ ...s, diagnostics: s.diagnostics.map((d) => Diagnostic.toJSON(d)) })),
    otherDiagnostics: report.otherDiagnostics.map((d) => Diagnostic.toJSON(d)),
    secretPolicy: report.secretPolicy,
    configFindings: report.config,
  };
}

/** The findings about a parsed core config: one `info` finding per ignored key, with its reason, sorted by key. */
export function configFindings(config: Pick<CoreConfig, 'IgnoredKeys'>): ConfigFinding[] {
  return config.IgnoredKeys.map((i) => ({ ...keyNotice(i), severity: 'info' }));
}

/**
 * Checks the core config file given with `--config` with core's own parser ({@link readCoreConfigFile}),
 * so lint accepts and refuses exactly what core does: a file core would refuse to start with (invalid
 * TOML, an unknown key, a bad value) is an input error (exit 2) naming the file and every bad key.
 * Returns the keys core would ignore and the file's `SecretPolicy`.
 */
export async function lintConfigFile(io: CliIo, file: string): Promise<LintConfig> {
  const config = await readCoreConfigFile(io, file);
  return { findings: configFindings(config), secretPolicy: config.SecretPolicy };
}

/**
 * `switchyard lint --snapshot FILE [--config FILE.toml] [--fail-on warning|error] [--json]`: what will
 * and will not be routed, and why; exit 1 when something at or above `--fail-on` (default error) was found.
 */
export async function lintCommand(positionals: readonly string[], flags: Flags, io: CliIo): Promise<ExitCodeValue> {
  if (positionals.length > 0) throw usageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
  const snapshotFile = typeof flags.snapshot === 'string' ? flags.snapshot : undefined;
  if (snapshotFile === undefined) throw usageError('--snapshot FILE.json is required (capture one with `switchyard snapshot --out FILE.json`)');
  const failOnFlag = flags['fail-on'] ?? 'error';
  if (failOnFlag !== 'error' && failOnFlag !== 'warning') throw usageError(`--fail-on: expected error or warning, got ${JSON.stringify(failOnFlag)}`);
  const failOn: FailOn = failOnFlag;
  const configFile = typeof flags.config === 'string' ? flags.config : undefined;
  const snapshot = await readSnapshotFile(io, snapshotFile);
  const config = configFile !== undefined ? await lintConfigFile(io, configFile) : undefined;
  const report = lintSnapshot(snapshot, config?.findings, { secretPolicy: config?.secretPolicy });
  const files = { snapshot: snapshotFile, config: configFile };
  if (flags.json === true) io.stdout(`${JSON.stringify(lintJson(report, files, failOn), null, 2)}\n`);
  else io.stdout(formatLint(report, files, failOn));
  return lintFails(report, failOn) ? ExitCode.notRouted : ExitCode.ok;
}
