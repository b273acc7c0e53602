import { BackendMode, NoticeSeverity, ProxyKind, Severity, type ConfigNotice, type Delivery, type Diagnostic, type GetStatusResponse, type ProxyModel, type ProxyReplicaStatus, type ReconcileStatus, type RegisteredExtension, type Upstream } from '@switchyard/proto';
import type { Explanation, RequestOutcome, ServiceClaim } from '@switchyard/model';

/** A cluster name as printed: `"name"`, or `"" (default)`. */
export function clusterLabel(cluster: string): string {
  return cluster === '' ? '"" (default)' : JSON.stringify(cluster);
}

/** `error` / `warning` / `info` for a diagnostic's severity. */
export function severityName(severity: Severity): string {
  return severity === Severity.SEVERITY_ERROR ? 'error' : severity === Severity.SEVERITY_WARNING ? 'warning' : 'info';
}

/** `warning` / `info` for a config notice's severity. */
export function noticeSeverityName(severity: NoticeSeverity): string {
  return severity === NoticeSeverity.NOTICE_SEVERITY_WARNING ? 'warning' : 'info';
}

/** One diagnostic on one line: severity, service, label, code and message. */
export function formatDiagnostic(d: Diagnostic): string {
  return `${severityName(d.severity).padEnd(7)}  ${d.service || '-'}  ${d.label || '(service)'}  ${d.code}: ${d.message}`;
}

/** `nginx`, `haproxy`, `other` or `unspecified`. */
export function proxyKindName(kind: ProxyKind): string {
  switch (kind) {
    case ProxyKind.PROXY_KIND_NGINX:
      return 'nginx';
    case ProxyKind.PROXY_KIND_HAPROXY:
      return 'haproxy';
    case ProxyKind.PROXY_KIND_OTHER:
      return 'other';
    default:
      return 'unspecified';
  }
}

function modeName(mode: BackendMode): string {
  return mode === BackendMode.BACKEND_MODE_VIP ? 'vip' : 'task';
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function ago(ms: number, now: number): string {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 120) return `${s}s ago`;
  if (s < 7200) return `${Math.round(s / 60)}m ago`;
  if (s < 172_800) return `${Math.round(s / 3600)}h ago`;
  return `${Math.round(s / 86_400)}d ago`;
}

/** Aligns rows of cells into columns separated by two spaces (no trailing spaces). */
export function table(rows: string[][], indent = ''): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => indent + row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ').trimEnd());
}

function diagnosticRows(diagnostics: readonly Diagnostic[]): string[][] {
  return diagnostics.map((d) => [severityName(d.severity), d.service || '-', d.label || '(service)', `${d.code}: ${d.message}`]);
}

/** One line per proxy replica: task, node, what it serves, when, and the last rejection. */
function replicaRows(replicas: ProxyReplicaStatus[], delivery: Delivery | undefined, now: number): string[][] {
  return replicas.map((r) => {
    const applied = r.appliedChecksum === '' ? 'nothing applied yet' : `model v${r.appliedModelVersion}${delivery && r.appliedChecksum !== delivery.checksum ? ' (behind)' : ''}`;
    const when = r.appliedAtUnixMs > 0 ? `applied ${ago(r.appliedAtUnixMs, now)}` : '-';
    const rejected = r.rejectedChecksum !== '' ? `REJECTED v${r.rejectedModelVersion} ${ago(r.rejectedAtUnixMs, now)}: ${r.rejectedError.split('\n')[0]?.slice(0, 160) ?? ''}` : '';
    return [
      `task ${(r.replica?.taskId ?? '').slice(0, 12)}`,
      `node ${(r.replica?.nodeId ?? '').slice(0, 12)}`,
      r.connected ? 'connected' : 'DISCONNECTED',
      applied,
      when,
      `${plural(r.reloads, 'reload')}, ${r.draining} draining`,
      rejected,
    ];
  });
}

function formatCluster(cluster: string, model: ProxyModel | undefined, deliveries: Delivery[], extensions: RegisteredExtension[], replicas: ProxyReplicaStatus[], now: number): string[] {
  const out = [`Cluster ${clusterLabel(cluster)}`];
  if (!model) {
    out.push('  model        none yet (core has not built a model for this cluster)');
  } else {
    out.push(`  model        version ${model.version}, hash ${model.hash.slice(0, 12) || '-'}`);
    const hosts = model.hosts.map((h) => h.host);
    out.push(`  hosts        ${hosts.length === 0 ? 'none' : `${hosts.length}: ${hosts.join(', ')}`}`);
    if (model.sniRoutes.length > 0) out.push(`  passthrough  ${model.sniRoutes.length}: ${model.sniRoutes.map((s) => s.host).join(', ')}`);
    out.push(`  default      ${model.defaultUpstream === '' ? 'none (unknown hosts get the 503 page)' : `upstream ${model.defaultUpstream}`}`);
    const routed = model.services.filter((s) => s.routed).length;
    out.push(`  services     ${routed} routed, ${model.services.length - routed} not routed`);
    out.push(
      ...table(
        model.services.map((s) => [
          s.routed ? 'routed' : 'NOT ROUTED',
          s.name,
          plural(s.runningTasks, 'task'),
          s.hosts.length > 0 ? s.hosts.join(', ') : '(no hosts known)',
        ]),
        '    ',
      ),
    );
    const errors = model.diagnostics.filter((d) => d.severity === Severity.SEVERITY_ERROR).length;
    const warnings = model.diagnostics.length - errors;
    out.push(`  diagnostics  ${model.diagnostics.length === 0 ? 'none' : `${plural(errors, 'error')}, ${plural(warnings, 'warning')}`}`);
    out.push(...table(diagnosticRows(model.diagnostics), '    '));
  }
  out.push(`  deliveries   ${deliveries.length === 0 ? 'none yet' : deliveries.length}`);
  out.push(
    ...table(
      deliveries.map((d) => [
        d.proxyService,
        d.mode || 'rolling',
        `config ${d.configName}`,
        `model v${d.modelVersion}${model && d.modelVersion < model.version ? ` (behind v${model.version})` : ''}`,
        d.deliveredAtUnixMs > 0 ? `${new Date(d.deliveredAtUnixMs).toISOString()} (${ago(d.deliveredAtUnixMs, now)})` : '-',
      ]),
      '    ',
    ),
  );
  for (const d of deliveries) {
    if (d.lastError !== '') out.push(`    ${d.proxyService}: LAST DELIVERY FAILED (model v${d.lastErrorModelVersion}, ${ago(d.lastErrorAtUnixMs, now)}; still serving model v${d.modelVersion}): ${d.lastError.split('\n').join(' ').slice(0, 300)}`);
  }
  for (const d of deliveries) {
    const mine = replicas.filter((r) => r.proxyService === d.proxyService);
    if (d.mode !== 'hitless' && mine.length === 0) continue;
    out.push(`  replicas     ${d.proxyService}: ${mine.length === 0 ? 'no proxy agent has connected yet' : `${mine.filter((r) => r.connected).length} connected, ${mine.filter((r) => r.connected && r.appliedChecksum === d.checksum).length} on the current config`}`);
    out.push(...table(replicaRows(mine, d, now), '    '));
  }
  out.push(`  extensions   ${extensions.length === 0 ? 'none registered' : extensions.length}`);
  const lease = (e: (typeof extensions)[number]) =>
    e.watches > 0 ? `watching (${e.watches})` : e.leaseExpiresAtUnixMs > 0 ? `not watching; lease ends in ${Math.max(0, Math.round((e.leaseExpiresAtUnixMs - now) / 1000))}s` : '';
  out.push(...table(extensions.map((e) => [e.name, proxyKindName(e.proxyKind), `id ${e.extensionId}`, lease(e)]), '    '));
  return out;
}

/** The `Config notices` section: a count, then one line per notice (severity, key, code: message), in core's order. */
function formatConfigNotices(notices: readonly ConfigNotice[]): string[] {
  const warnings = notices.filter((n) => n.severity === NoticeSeverity.NOTICE_SEVERITY_WARNING).length;
  return [
    `Config notices: ${plural(warnings, 'warning')}, ${notices.length - warnings} info`,
    ...table(notices.map((n) => [noticeSeverityName(n.severity), n.key, `${n.code}: ${n.message}`]), '  '),
  ];
}

/** How core sees the Docker engine: the last good round, and the last failure while it matters. */
function reconcileLines(r: ReconcileStatus, now: number): string[] {
  const seen = r.lastSuccessAtUnixMs > 0 ? `last swarm read ${ago(r.lastSuccessAtUnixMs, now)}` : 'no swarm read yet';
  if (r.consecutiveErrors > 0) return [`Docker engine: FAILING, ${plural(r.consecutiveErrors, 'failed round')} in a row (${seen}; routes keep their last good state): ${r.lastError.split('\n')[0]?.slice(0, 300) ?? ''}`];
  const last = r.lastError !== '' ? `; last failure ${ago(r.lastErrorAtUnixMs, now)}: ${r.lastError.split('\n')[0]?.slice(0, 160) ?? ''}` : '';
  return [`Docker engine: ok, ${seen}${last}`];
}

/**
 * The text of `switchyard status`: the config notices (when there are any: keys core ignores, settings
 * the host cannot honour), then one section per service cluster (model, hosts, services, diagnostics,
 * deliveries, extensions), clusters sorted by name.
 */
export function formatStatus(status: GetStatusResponse, address: string, now: number): string {
  const clusters = new Set<string>([
    ...status.models.map((m) => m.serviceCluster),
    ...status.deliveries.map((d) => d.serviceCluster),
    ...status.extensions.map((e) => e.serviceCluster),
  ]);
  const names = [...clusters].sort();
  const out = [`Core ${address}: ${plural(names.length, 'service cluster')}, ${plural(status.extensions.length, 'registered extension')}`];
  if (status.reconcile) out.push(...reconcileLines(status.reconcile, now));
  if (status.configNotices.length > 0) out.push('', ...formatConfigNotices(status.configNotices));
  for (const cluster of names) {
    out.push('');
    out.push(
      ...formatCluster(
        cluster,
        status.models.find((m) => m.serviceCluster === cluster),
        status.deliveries.filter((d) => d.serviceCluster === cluster).sort((a, b) => (a.proxyService < b.proxyService ? -1 : a.proxyService > b.proxyService ? 1 : 0)),
        status.extensions.filter((e) => e.serviceCluster === cluster).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.extensionId < b.extensionId ? -1 : 1)),
        status.replicas,
        now,
      ),
    );
  }
  return `${out.join('\n')}\n`;
}

function outcomeLines(label: string, o: RequestOutcome): string[] {
  const out = [`${label.padEnd(9)}${o.kind}: ${o.summary}`];
  if (o.location) out.push(`${''.padEnd(9)}Location: ${o.location}`);
  return out;
}

function upstreamLines(upstream: Upstream, shares: { service: string; endpoints: number; runningTasks: number; share: number }[]): string[] {
  const options = [
    `mode ${modeName(upstream.mode)}`,
    `sticky cookie ${upstream.stickyCookie === '' ? 'none' : JSON.stringify(upstream.stickyCookie)}`,
    `ip_hash ${upstream.ipHash ? 'yes' : 'no'}`,
    `TLS to tasks ${upstream.tls ? (upstream.tlsVerify ? 'yes (verified)' : 'yes (not verified)') : 'no'}`,
  ];
  const out = [`Upstream ${upstream.name}: ${options.join(', ')}`];
  out.push('  services');
  out.push(
    ...table(
      shares.map((s) => [s.service, plural(s.endpoints, 'endpoint'), plural(s.runningTasks, 'running task'), `${(s.share * 100).toFixed(1)}% of traffic`]),
      '    ',
    ),
  );
  out.push(`  endpoints${upstream.endpoints.length === 0 ? '  none: requests get 503' : ''}`);
  out.push(
    ...table(
      upstream.endpoints.map((e) => [`${e.address}:${e.port}`, `weight ${e.weight}`, e.service, e.taskId === '' ? '(virtual IP)' : `task ${e.taskId}`]),
      '    ',
    ),
  );
  return out;
}

function claimLines(claims: ServiceClaim[]): string[] {
  const rows = table(
    claims.map((c) => [c.service, plural(c.runningTasks, 'task'), c.serving ? 'serves this request' : c.routed ? 'routed, but not for this request' : 'NOT ROUTED']),
    '  ',
  );
  const out: string[] = [];
  claims.forEach((c, i) => {
    out.push(rows[i] ?? c.service);
    out.push(...table(diagnosticRows(c.diagnostics).map(([sev, , label, text]) => [sev ?? '', label ?? '', text ?? '']), '      '));
  });
  return out;
}

/** The text of `switchyard explain`: both listeners' outcomes, the route, TLS, upstreams and claimants. */
export function formatExplanation(e: Explanation): string {
  const out = [`Request  ${e.host}${e.path}  (cluster ${clusterLabel(e.serviceCluster)}, model v${e.modelVersion})`];
  out.push(...outcomeLines('HTTP', e.http), ...outcomeLines('HTTPS', e.https));
  const matched = e.http.matchedHost || e.https.matchedHost;
  if (matched !== '') {
    const how = e.http.hostMatch ?? e.https.hostMatch;
    out.push(`Host     ${matched}${how === 'wildcard' ? ' (wildcard match)' : ''}`);
  }
  for (const o of [e.http, e.https]) {
    if (o.route && !(o === e.https && e.http.route === o.route)) {
      const r = o.route;
      out.push(
        `Route    ${r.path} -> upstream ${r.upstream}; strip prefix ${r.stripPrefix ? 'yes' : 'no'}, websocket ${r.websocket ? 'yes' : 'no'}; forwarded path ${o.forwardedPath ?? e.path}`,
      );
    }
  }
  if (e.https.certificate) {
    const c = e.https.certificate;
    out.push(`TLS      certificate ${c.name} (secrets ${c.certSecret} / ${c.keySecret}, files ${c.certFile} / ${c.keyFile})${e.http.kind === 'https-redirect' ? ', ssl_only' : ''}`);
  } else if (e.https.kind === 'passthrough') {
    out.push(`TLS      SNI passthrough: the tasks terminate TLS${e.http.kind === 'https-redirect' ? '; ssl_only' : ''}`);
  }
  for (const u of e.upstreams) out.push(...upstreamLines(u.upstream, u.shares));
  if (e.claimants.length > 0) out.push('Services claiming this host', ...claimLines(e.claimants));
  else out.push('Services claiming this host: none');
  if (e.unreadable.length > 0 && !e.routed) {
    out.push('Services whose labels could not be read (hosts unknown; any may be meant for this host)', ...claimLines(e.unreadable));
  } else if (e.unreadable.length > 0) {
    out.push(`Not shown: ${plural(e.unreadable.length, 'service')} whose labels could not be read (see \`switchyard status\`)`);
  }
  out.push(`Result   ${e.routed ? 'routed' : 'NOT ROUTED'}`);
  return `${out.join('\n')}\n`;
}
