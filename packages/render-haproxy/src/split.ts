/**
 * The split layout, used when the one-file haproxy.cfg would exceed `maxFileBytes`.
 *
 * HAProxy has no include directive, but it loads a directory given with a second `-f` (only its
 * `*.cfg` files, in lexical order) and it reads lookup tables from map files. So:
 * - `haproxy.cfg` keeps the global and defaults sections, the frontends and the small built-in
 *   backends. Its frontends no longer hold one rule per host or route: they look the host and the
 *   route up in map files (a fixed number of lines per map file, whatever the number of hosts);
 * - `switchyard.d/part-NNN.cfg` hold the upstream backends;
 * - `switchyard.d/<table>-NNN.map` hold the host, route (and redirect) and SNI tables. `global` says
 *   `default-path config`, so their relative paths resolve next to haproxy.cfg (as the crt-lists',
 *   `switchyard.d/certificates.crt-list` or its `certificates-NNN.crt-list` parts, in both layouts).
 *
 * Matching is the same as in the one-file layout: map files are searched in order and, within a
 * `map_beg`/`map_end` table, the first matching line wins, so each table lists longest prefixes
 * (or most specific wildcards) first, exactly the order of the one-file rules.
 */
import { byteLength, packChunks, partNumber } from '@switchyard/proto';
import type { HaproxyConfig } from './config.js';
import {
  NO_ROUTE_RULE,
  SNI_INSPECT_DELAY,
  TLS_REJECT_BACKEND,
  TLS_TERMINATE_BACKEND,
  backendSections,
  defaultsSection,
  globalSection,
  httpFrontendHead,
  pathRules,
  stripPrefixRule,
  sslOnlyRedirect,
  statsSection,
  tcpDefaultsSection,
  tlsBindOf,
  tlsHandOffSections,
  unknownHostSection,
} from './view-model.js';
import { headerLines, type HaproxyAnalysis, type HaproxySection } from './view-model.js';

/** Directory (relative to haproxy.cfg) holding the extra files of the split layout. */
export const HAPROXY_SPLIT_DIR = 'switchyard.d';

/** Comment at the top of each `part-NNN.cfg` (after the common header). */
export const PART_COMMENT = 'Part of haproxy.cfg (split layout): backends, loaded after it by `-f <dir>`.';

/** A map file: a lookup table of `key value` lines. */
export interface MapTable {
  /** File name stem, e.g. `routes` → `switchyard.d/routes-001.map`. */
  stem: string;
  /** What the table holds (printed as a comment at the top of each file). */
  purpose: string;
  /** `key value` lines in matching order. */
  lines: string[];
}

/** The split layout of one configuration, before the main file and the parts are printed. */
export interface SplitLayout {
  /** Sections of haproxy.cfg. */
  main: HaproxySection[];
  /** Comment lines added to the main file's header. */
  mainHeader: string[];
  /** Backend sections, one array per `part-NNN.cfg` (already packed). */
  parts: HaproxySection[][];
  /** Map files: path (relative to haproxy.cfg's directory) and content. */
  maps: { path: string; content: string }[];
}

function comment(lines: readonly string[]): string {
  return lines.map((l) => `# ${l}\n`).join('');
}

/** Splits a table into map files of at most `maxBytes` each; returns their paths and contents. */
function mapFiles(table: MapTable, header: readonly string[], maxBytes: number): { path: string; content: string }[] {
  if (table.lines.length === 0) return [];
  const top = comment([...header, table.purpose]);
  const chunks = packChunks(table.lines, (l) => byteLength(l) + 1, maxBytes - byteLength(top));
  return chunks.map((lines, i) => ({
    path: `${HAPROXY_SPLIT_DIR}/${table.stem}-${partNumber(i)}.map`,
    content: `${top}${lines.map((l) => `${l}\n`).join('')}`,
  }));
}

/** Prefix of a `routes` map value that is a redirect target rather than `<strip>:<backend>`. */
const REDIRECT_MARK = 'redirect:';

/** The lookup tables of an analysed model, in a fixed order. */
export function mapTables(a: HaproxyAnalysis): MapTable[] {
  const prefixOf = new Map<string, string>();
  for (const [prefix, acl] of a.pathAcls) prefixOf.set(acl, prefix);
  const key = (host: string, acl: string | undefined) => `${host}${acl === undefined ? '' : (prefixOf.get(acl) ?? '')}/`;
  const exact = a.hosts.filter((h) => !h.host.startsWith('*.'));
  const wildcard = a.hosts.filter((h) => h.host.startsWith('*.'));
  const sniExact = a.sniEntries.filter((s) => !s.host.startsWith('*.'));
  const sniWildcard = a.sniEntries.filter((s) => s.host.startsWith('*.'));
  return [
    { stem: 'hosts', purpose: 'Host name -> virtual host (map_str).', lines: exact.map((h) => `${h.host} ${h.host}`) },
    {
      stem: 'wildcards',
      purpose: 'Host name suffix -> wildcard virtual host (map_end, most specific first).',
      lines: wildcard.map((h) => `${h.host.slice(1)} ${h.host}`),
    },
    { stem: 'ssl-only', purpose: 'Virtual hosts whose plain HTTP requests are redirected to HTTPS (map_str).', lines: a.hosts.filter((h) => h.sslOnly).map((h) => `${h.host} 1`) },
    {
      stem: 'routes',
      purpose: `Virtual host + normalized path prefix + "/" -> path segments to strip:backend, or ${REDIRECT_MARK}<redirect target> (map_beg, longest prefix first, a redirect first on an equal prefix).`,
      lines: a.hosts.flatMap((h) =>
        pathRules(h).map((rule) =>
          rule.kind === 'route'
            ? `${key(h.host, rule.route.pathAcl)} ${rule.route.stripSegments}:up_${rule.route.upstream.name}`
            : `${key(h.host, rule.redirect.pathAcl)} ${REDIRECT_MARK}${rule.redirect.toUrl}`,
        ),
      ),
    },
    { stem: 'sni', purpose: 'TLS server name -> passthrough, termination or refusal backend (map_str).', lines: sniExact.map((s) => `${s.host} ${s.backend}`) },
    {
      stem: 'sni-wildcards',
      purpose: 'TLS server name suffix -> passthrough, termination or refusal backend (map_end, most specific first).',
      lines: sniWildcard.map((s) => `${s.host.slice(1)} ${s.backend}`),
    },
  ];
}

/**
 * Lays an analysed model out as haproxy.cfg + `switchyard.d/` files. `sectionBytes` measures a
 * section as the template prints it; `maxBytes` bounds every file except an oversized single item.
 */
export function splitLayout(a: HaproxyAnalysis, sectionBytes: (s: HaproxySection) => number, maxBytes: number, headerBytes: number): SplitLayout {
  const mapHeader = [...a.header, `Part of haproxy.cfg (split layout): a lookup table read by its frontends.`];
  const maps = mapTables(a).flatMap((t) => mapFiles(t, mapHeader, maxBytes));
  const files = (stem: string) => maps.filter((m) => m.path.startsWith(`${HAPROXY_SPLIT_DIR}/${stem}-`)).map((m) => m.path);

  const global = globalSection(a.config);
  const main: HaproxySection[] = [global, tcpDefaultsSection(a.config), defaultsSection(a.config)];
  const terminateTls = a.certList.length > 0;
  if (terminateTls || a.sniRoutes.length > 0) {
    const lines = [`bind :${a.httpsPort}`, `tcp-request inspect-delay ${SNI_INSPECT_DELAY}`, 'tcp-request content accept if { req.ssl_hello_type 1 }'];
    for (const [stem, match] of [['sni', 'map_str'], ['sni-wildcards', 'map_end']] as const) {
      for (const file of files(stem)) {
        const lookup = `req.ssl_sni,lower,${match}(${file})`;
        lines.push(`use_backend %[${lookup}] if { ${lookup} -m found }`);
      }
    }
    lines.push(`default_backend ${terminateTls ? TLS_TERMINATE_BACKEND : TLS_REJECT_BACKEND}`);
    main.push({ comments: ['TLS listener: SNI passthrough routes (map files), everything else is terminated by fe_http.'], title: 'frontend fe_tls from sy_tcp', lines });
    main.push(...tlsHandOffSections(a));
  }
  main.push(httpFrontend(a, files));
  main.push(statsSection(a.config));
  if (!a.defaultUpstream) main.push(unknownHostSection());

  const backends = backendSections(a);
  const partTop = headerBytes + byteLength(comment([PART_COMMENT]));
  const parts = packChunks(backends, sectionBytes, maxBytes - partTop);
  return {
    main,
    mainHeader: [`Split layout: backends in ${HAPROXY_SPLIT_DIR}/part-*.cfg, lookup tables in ${HAPROXY_SPLIT_DIR}/*.map.`, `Start with: haproxy -f <this file> -f <its directory>/${HAPROXY_SPLIT_DIR}`],
    parts,
    maps,
  };
}

/** fe_http of the split layout: the host, redirect and route rules become map lookups. */
function httpFrontend(a: HaproxyAnalysis, files: (stem: string) => string[]): HaproxySection {
  const config: HaproxyConfig = a.config;
  const tlsBind = tlsBindOf(a);
  const { lines, statsCondition } = httpFrontendHead(config, a.httpPort, tlsBind);
  // txn.route is "<bytes to strip>:<backend>".
  lines.push(`http-request set-var(txn.route) str(0:sy_stats) if ${statsCondition}`);
  for (const file of files('hosts')) lines.push(`http-request set-var(txn.vh) var(txn.host),map_str(${file}) if !has_route !has_vh`);
  for (const file of files('wildcards')) lines.push(`http-request set-var(txn.vh) var(txn.host),map_end(${file}) if !has_route !has_vh`);
  for (const file of files('ssl-only')) {
    lines.push(`${sslOnlyRedirect(a.httpsRedirectPort)} if !has_route !{ ssl_fc } has_vh { var(txn.vh),map_str(${file}) -m found }`);
  }
  // Lookup key: virtual host + normalized path (txn.mpath) + "/", so "/app" and "/app/..." both begin with the key "<vh>/app/".
  if (a.hosts.length > 0) {
    lines.push('http-request set-var(txn.key) var(txn.vh),concat(,txn.mpath,/) if !has_route has_vh');
  }
  for (const file of files('routes')) lines.push(`http-request set-var(txn.route) var(txn.key),map_beg(${file}) if !has_route has_vh`);
  if (a.hosts.some((h) => h.redirects.length > 0)) {
    lines.push(`http-request redirect location %[var(txn.route),regsub(^${REDIRECT_MARK},)]%[capture.req.uri] code 302 if { var(txn.route) -m beg ${REDIRECT_MARK} }`);
  }
  if (a.hosts.length > 0) {
    lines.push(NO_ROUTE_RULE);
  }
  const strips = [...new Set(a.hosts.flatMap((h) => h.routes.map((r) => r.stripSegments)).filter((n) => n > 0))].sort((x, y) => x - y);
  for (const n of strips) lines.push(stripPrefixRule(n, `{ var(txn.route),field(1,:) -m str ${n} }`));
  lines.push(...headerLines(config, a.proxyId));
  lines.push('use_backend %[var(txn.route),field(2,:)] if has_route');
  lines.push(`default_backend ${a.defaultUpstream ? `up_${a.defaultUpstream.name}` : 'sy_default'}`);
  return {
    comments: [`HTTP on port ${a.httpPort}${tlsBind ? ' and terminated HTTPS from fe_tls' : ''}; ${a.hosts.length} host(s), routed by map files.`],
    title: 'frontend fe_http',
    lines,
  };
}
