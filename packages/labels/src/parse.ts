import { Severity } from '@switchyard/proto';
import type { Diagnostic } from '@switchyard/proto';
import { quoteValue } from './format.js';
import { defaultSpec, LabelKey, labelInfo, LABELS, type LabelField, type LabelInfo } from './label-table.js';
import { LABEL_PREFIX, SWITCHYARD_LABEL_PREFIX } from './types.js';
import type { ParseResult, RedirectSpec, ServiceRouteSpec } from './types.js';
import { asciiLower, hostMatches, hostnameProblem, isSafeRedirectUrl, isSafeToken, MAX_TOKEN_LENGTH, pathProblem, redirectUrlProblem } from './safe.js';

/** Longest label value read; longer values are rejected whole (`value-too-long`). */
export const MAX_LABEL_VALUE_LENGTH = 4096;

/**
 * Most `websocket_endpoints` paths kept per service: each becomes a location per host in the proxy
 * config, and a few hundred of them make one service's config block large enough to hold back every
 * delivery. Beyond it the first {@link MAX_WEBSOCKET_ENDPOINTS} paths, in label order, are kept
 * (warning `too-many-websocket-endpoints`).
 */
export const MAX_WEBSOCKET_ENDPOINTS = 64;

/** Most per-entry diagnostics reported for one list label; the rest are summarised in one more. */
const MAX_ENTRY_DIAGNOSTICS = 5;

/** Label keys by spec field, from the registry. */
const K = LabelKey;

const TRUE_WORDS = new Set(['true', '1', 'yes']);
const FALSE_WORDS = new Set(['false', '0', 'no']);
const SAFE_KEY = /^[A-Za-z0-9._-]{1,200}$/;

/** Trims spaces and tabs only: a newline is never "whitespace around a value", it is an error. */
const trimBlanks = (s: string): string => s.replace(/^[ \t]+|[ \t]+$/g, '');
const byCodeUnits = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
/** Removes one trailing "/" from a validated path, except from "/" itself. */
const stripTrailingSlash = (p: string): string => (p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p);

class Collector {
  readonly diagnostics: Diagnostic[] = [];
  /** Keys that produced at least one error. */
  readonly failed = new Set<string>();

  constructor(private readonly service: string) {}

  error(label: string, code: string, message: string): void {
    this.failed.add(label);
    this.diagnostics.push({ service: this.service, label, code, message, severity: Severity.SEVERITY_ERROR });
  }

  warn(label: string, code: string, message: string): void {
    this.diagnostics.push({ service: this.service, label, code, message, severity: Severity.SEVERITY_WARNING });
  }
}

/** Splits a list value on `sep`, trims entries and drops empty ones. */
function splitList(value: string, sep: string): string[] {
  return value
    .split(sep)
    .map(trimBlanks)
    .filter((entry) => entry !== '');
}

/** Reports per-entry problems of a list label, capped at {@link MAX_ENTRY_DIAGNOSTICS}. */
function reportEntries(out: Collector, key: string, code: string, problems: string[]): void {
  problems.slice(0, MAX_ENTRY_DIAGNOSTICS).forEach((message) => out.error(key, code, message));
  const rest = problems.length - MAX_ENTRY_DIAGNOSTICS;
  if (rest > 0) out.error(key, code, `${key}: ${rest} more invalid entries not shown`);
}

function parseBoolean(out: Collector, key: string, value: string): boolean | undefined {
  const word = asciiLower(value);
  if (TRUE_WORDS.has(word)) return true;
  if (FALSE_WORDS.has(word)) return false;
  out.error(key, 'invalid-boolean', `${key}: ${quoteValue(value)} is not a boolean (use true/false, 1/0 or yes/no)`);
  return undefined;
}

function parseInteger(out: Collector, key: string, value: string, min: number, max: number, code: string, what: string): number | undefined {
  if (/^[0-9]{1,6}$/.test(value)) {
    const n = Number(value);
    if (n >= min && n <= max) return n;
  }
  out.error(key, code, `${key}: ${quoteValue(value)} is not ${what} (an integer from ${min} to ${max})`);
  return undefined;
}

function parseToken(out: Collector, key: string, value: string, code: string, what: string): string | undefined {
  if (isSafeToken(value)) return value;
  out.error(
    key,
    code,
    `${key}: ${quoteValue(value)} is not a valid ${what} (1-${MAX_TOKEN_LENGTH} characters from A-Z a-z 0-9 _ . -, not starting with "." or "-")`,
  );
  return undefined;
}

function parseHosts(out: Collector, key: string, value: string): string[] | undefined {
  const hosts = new Set<string>();
  const problems: string[] = [];
  for (const entry of splitList(value, ',')) {
    const problem = hostnameProblem(entry, true);
    if (problem === undefined) hosts.add(asciiLower(entry));
    else problems.push(`${key}: host ${quoteValue(entry)} ${problem}`);
  }
  if (problems.length > 0) {
    reportEntries(out, key, 'invalid-host', problems);
    return undefined;
  }
  return [...hosts].sort(byCodeUnits);
}

function parsePath(out: Collector, key: string, value: string, code: string): string | undefined {
  const problem = pathProblem(value);
  if (problem === undefined) return stripTrailingSlash(value);
  out.error(key, code, `${key}: path ${quoteValue(value)} ${problem}`);
  return undefined;
}

function parsePathList(out: Collector, key: string, value: string): string[] | undefined {
  const paths = new Set<string>();
  const problems: string[] = [];
  for (const entry of splitList(value, ',')) {
    const problem = pathProblem(entry);
    if (problem === undefined) paths.add(stripTrailingSlash(entry));
    else problems.push(`${key}: path ${quoteValue(entry)} ${problem}`);
  }
  if (problems.length > 0) {
    reportEntries(out, key, 'invalid-websocket-endpoint', problems);
    return undefined;
  }
  if (paths.size > MAX_WEBSOCKET_ENDPOINTS) {
    out.warn(
      key,
      'too-many-websocket-endpoints',
      `${key}: ${paths.size} paths, more than ${MAX_WEBSOCKET_ENDPOINTS}; only the first ${MAX_WEBSOCKET_ENDPOINTS} (in label order) are upgraded to WebSocket`,
    );
    return [...paths].slice(0, MAX_WEBSOCKET_ENDPOINTS).sort(byCodeUnits);
  }
  return [...paths].sort(byCodeUnits);
}

const URL_SHAPE = /^(https?):\/\/([^/?#@\\]+)(\/[^?#]*)?$/i;

interface ParsedUrl {
  scheme: 'http' | 'https';
  hostname: string;
  /** host[:port], the port only when not the scheme's default. */
  host: string;
  port: string;
  path: string;
}

/** Parses an absolute http(s) URL strictly; returns the reason on failure. */
function parseHttpUrl(text: string): ParsedUrl | string {
  const shape = URL_SHAPE.exec(text);
  if (shape === null) {
    return 'is not an absolute http:// or https:// URL without user info, query or fragment';
  }
  const authority = shape[2] ?? '';
  const rawPath = shape[3] ?? '/';
  const colon = authority.indexOf(':');
  const rawHost = colon === -1 ? authority : authority.slice(0, colon);
  const hostProblem = hostnameProblem(rawHost, false);
  if (hostProblem !== undefined) return `has a host that ${hostProblem}`;
  if (colon !== -1 && !/^[0-9]{1,5}$/.test(authority.slice(colon + 1))) return 'has an invalid port';
  const rawPathProblem = pathProblem(rawPath);
  if (rawPathProblem !== undefined) return `has a path that ${rawPathProblem}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'is not a valid URL';
  }
  if (
    url.hostname !== asciiLower(rawHost) ||
    url.pathname !== rawPath ||
    url.search !== '' ||
    url.hash !== '' ||
    url.username !== '' ||
    url.password !== ''
  ) {
    return 'is not in canonical form (numeric hosts are read as IPv4 addresses; write them in full)';
  }
  if (url.port !== '' && Number(url.port) < 1) return 'has an invalid port';
  return {
    scheme: url.protocol === 'https:' ? 'https' : 'http',
    hostname: url.hostname,
    host: url.host,
    port: url.port,
    path: stripTrailingSlash(url.pathname),
  };
}

function parseRedirects(out: Collector, key: string, value: string): RedirectSpec[] | undefined {
  const problems: string[] = [];
  const bySource = new Map<string, RedirectSpec>();
  for (const pair of splitList(value, ';')) {
    const parts = pair.split(',').map(trimBlanks);
    if (parts.length !== 2 || parts[0] === '' || parts[1] === '') {
      problems.push(`${key}: ${quoteValue(pair)} is not a "source,target" pair of URLs`);
      continue;
    }
    const [sourceText = '', targetText = ''] = parts;
    const source = parseHttpUrl(sourceText);
    if (typeof source === 'string') {
      problems.push(`${key}: source ${quoteValue(sourceText)} ${source}`);
      continue;
    }
    if (source.port !== '') {
      problems.push(`${key}: source ${quoteValue(sourceText)} has a port; redirects match on host and path only`);
      continue;
    }
    const target = parseHttpUrl(targetText);
    if (typeof target === 'string') {
      problems.push(`${key}: target ${quoteValue(targetText)} ${target}`);
      continue;
    }
    if (source.scheme === target.scheme && source.host === target.host && source.path === target.path) {
      problems.push(`${key}: ${quoteValue(pair)} redirects to itself`);
      continue;
    }
    const redirect: RedirectSpec = {
      sourceHost: source.hostname,
      sourcePath: source.path,
      target: `${target.scheme}://${target.host}${target.path === '/' ? '' : target.path}`,
    };
    if (!isSafeRedirectUrl(redirect.target)) {
      problems.push(`${key}: target ${quoteValue(targetText)} ${redirectUrlProblem(redirect.target) ?? 'is not a safe URL'}`);
      continue;
    }
    const id = `${redirect.sourceHost}\u0000${redirect.sourcePath}`;
    const previous = bySource.get(id);
    if (previous !== undefined && previous.target !== redirect.target) {
      problems.push(
        `${key}: source ${quoteValue(sourceText)} is redirected twice, to ${quoteValue(previous.target)} and ${quoteValue(redirect.target)}`,
      );
      continue;
    }
    bySource.set(id, redirect);
  }
  if (problems.length > 0) {
    reportEntries(out, key, 'invalid-redirect', problems);
    return undefined;
  }
  return [...bySource.values()].sort(
    (a, b) => byCodeUnits(a.sourceHost, b.sourceHost) || byCodeUnits(a.sourcePath, b.sourcePath),
  );
}

/** Shows a label key in a diagnostic: as is when it is tame, otherwise quoted like a value. */
function showKey(key: string): string {
  return SAFE_KEY.test(key) ? key : quoteValue(key);
}

/** Reads one value of the kind `info.kind`; `undefined` when it is invalid (an error was reported). */
function readValue(out: Collector, info: LabelInfo, value: string): ServiceRouteSpec[LabelField] | undefined {
  const { key } = info;
  const code = info.codes[0] ?? 'invalid-value';
  switch (info.kind) {
    case 'host-list':
      return parseHosts(out, key, value);
    case 'port':
    case 'integer': {
      const [min, max] = info.range ?? [1, 65535];
      return parseInteger(out, key, value, min, max, code, info.what);
    }
    case 'token':
      return parseToken(out, key, value, code, info.what);
    case 'path':
      return parsePath(out, key, value, code);
    case 'path-list':
      return parsePathList(out, key, value);
    case 'redirects':
      return parseRedirects(out, key, value);
    case 'boolean':
      return parseBoolean(out, key, value);
    case 'enum': {
      const word = asciiLower(value);
      const values = info.values ?? [];
      if (values.includes(word)) return word as ServiceRouteSpec[LabelField];
      out.error(key, code, `${key}: ${quoteValue(value)} is not one of ${values.map((v) => `"${v}"`).join(', ')}`);
      return undefined;
    }
  }
}

/**
 * Parses one label's value into `spec[info.field]`. `value` is trimmed, non-empty and of bounded length.
 * An invalid value leaves the field at its default (the service is skipped anyway).
 */
function applyLabel(out: Collector, spec: ServiceRouteSpec, info: LabelInfo, value: string): void {
  const parsed = readValue(out, info, value);
  if (parsed !== undefined) (spec as unknown as Record<LabelField, unknown>)[info.field] = parsed;
}

/** Checks between labels, run on the values that parsed. */
function crossCheck(out: Collector, spec: ServiceRouteSpec, present: ReadonlySet<string>): void {
  const set = (key: string): boolean => present.has(key) && !out.failed.has(key);

  if (spec.hosts.length === 0 && !spec.defaultBackend && !out.failed.has(K.hosts)) {
    out.error(
      K.hosts,
      'missing-hosts',
      present.has(K.hosts)
        ? `${K.hosts}: the label lists no host names; the service is not routed`
        : `${K.hosts}: the service has ${LABEL_PREFIX}* labels but no ${K.hosts} (and is not ${K.defaultBackend}=true); the service is not routed`,
    );
  }
  if (spec.port === undefined && !out.failed.has(K.port)) {
    out.error(K.port, 'missing-port', `${K.port}: the label is required (the container port the proxy sends traffic to)`);
  }
  if (set(K.sslCert) && spec.sslKey === undefined && !out.failed.has(K.sslKey)) {
    out.error(K.sslCert, 'incomplete-ssl-pair', `${K.sslCert}: set without ${K.sslKey}; both secrets are needed to terminate TLS`);
  }
  if (set(K.sslKey) && spec.sslCert === undefined && !out.failed.has(K.sslCert)) {
    out.error(K.sslKey, 'incomplete-ssl-pair', `${K.sslKey}: set without ${K.sslCert}; both secrets are needed to terminate TLS`);
  }

  if (spec.sslPassthrough) {
    if (spec.sslCert !== undefined || spec.sslKey !== undefined) {
      out.error(
        K.sslPassthrough,
        'conflicting-labels',
        `${K.sslPassthrough}: true together with ${K.sslCert}/${K.sslKey}; TLS is either passed through to the tasks or terminated by the proxy, not both`,
      );
    }
    if (spec.contextRoot !== undefined) {
      out.error(
        K.sslPassthrough,
        'conflicting-labels',
        `${K.sslPassthrough}: true together with ${K.contextRoot}; passed-through TLS is routed by host name only, so a path prefix cannot be honoured`,
      );
    }
    const httpOnly: Array<[string, boolean]> = [
      [K.redirects, spec.redirects.length > 0],
      [K.websocketEndpoints, spec.websocketEndpoints.length > 0],
      [K.stickySessionCookie, spec.stickySessionCookie !== undefined],
      [K.sslBackend, spec.sslBackend],
    ];
    for (const [key, active] of httpOnly) {
      if (active) {
        out.warn(key, 'ignored-label', `${key}: has no effect on TLS connections when ${K.sslPassthrough}=true (the proxy does not see inside them)`);
      }
    }
  }
  if (spec.stickySessionCookie !== undefined && spec.ipHash) {
    out.error(K.ipHash, 'conflicting-labels', `${K.ipHash}: true together with ${K.stickySessionCookie}; choose one way of pinning clients`);
  }
  if (spec.backendMode === 'vip') {
    if (spec.stickySessionCookie !== undefined) {
      out.warn(K.stickySessionCookie, 'ignored-label', `${K.stickySessionCookie}: has no effect with ${K.backendMode}=vip (the proxy sees one address)`);
    }
    if (spec.ipHash) {
      out.warn(K.ipHash, 'ignored-label', `${K.ipHash}: has no effect with ${K.backendMode}=vip (the proxy sees one address)`);
    }
  }
  if (spec.contextRootRewrite && spec.contextRoot === undefined && !out.failed.has(K.contextRoot)) {
    out.warn(K.contextRootRewrite, 'ignored-label', `${K.contextRootRewrite}: has no effect without ${K.contextRoot}`);
  }
  if (spec.sslBackendTlsVerify === 'required' && !spec.sslBackend) {
    out.warn(K.sslBackendTlsVerify, 'ignored-label', `${K.sslBackendTlsVerify}: has no effect without ${K.sslBackend}=true`);
  }
  if (spec.sslOnly && !spec.sslPassthrough && spec.sslCert === undefined && !out.failed.has(K.sslCert) && !out.failed.has(K.sslKey)) {
    out.warn(
      K.sslOnly,
      'ssl-only-without-tls',
      `${K.sslOnly}: true but the service sets neither ${K.sslCert}/${K.sslKey} nor ${K.sslPassthrough}; HTTPS for its hosts must come from elsewhere`,
    );
  }
  if (!out.failed.has(K.hosts)) {
    for (const redirect of spec.redirects) {
      if (!spec.hosts.some((pattern) => hostMatches(pattern, redirect.sourceHost))) {
        out.warn(
          K.redirects,
          'redirect-host-not-routed',
          `${K.redirects}: source host ${quoteValue(redirect.sourceHost)} is not in ${K.hosts}; requests for it may never reach this redirect`,
        );
      }
    }
  }
}

/**
 * Parses one Docker service's labels into a validated {@link ServiceRouteSpec} plus diagnostics.
 *
 * - No `com.docker.lb.*` label at all: the service is not routed (`spec` undefined, no diagnostics).
 * - Otherwise every known label is validated; unknown keys under `com.docker.lb.` or `com.switchyard.lb.`
 *   give an `unknown-label` warning. Any error makes `spec` undefined: the service is skipped whole.
 * - Diagnostics are sorted by label key, then code; messages quote offending values JSON-escaped and cut
 *   to 80 characters.
 *
 * Never throws, whatever the input (non-string values included).
 * @param service - service name, copied into each diagnostic.
 * @param labels - the service's labels (`Spec.Labels`).
 * @example
 * parseServiceLabels('web', { 'com.docker.lb.hosts': 'app.example.com', 'com.docker.lb.port': '8080' }).spec?.hosts
 * // ['app.example.com']
 */
export function parseServiceLabels(service: string, labels: Readonly<Record<string, string>>): ParseResult {
  const keys = labels !== null && typeof labels === 'object' ? Object.keys(labels).sort(byCodeUnits) : [];
  if (!keys.some((key) => key.startsWith(LABEL_PREFIX))) return { spec: undefined, diagnostics: [] };

  const out = new Collector(typeof service === 'string' ? service : String(service));
  const spec = defaultSpec();
  const present = new Set<string>();

  for (const key of keys) {
    if (!key.startsWith(LABEL_PREFIX) && !key.startsWith(SWITCHYARD_LABEL_PREFIX)) continue;
    const shown = showKey(key);
    const info = labelInfo(key);
    if (info === undefined) {
      const lower = asciiLower(key);
      const hint = LABELS.find((info) => info.key === lower);
      out.warn(
        shown,
        'unknown-label',
        hint !== undefined
          ? `${shown}: unknown label, ignored (label keys are case-sensitive; did you mean ${hint.key}?)`
          : `${shown}: unknown label, ignored`,
      );
      continue;
    }
    present.add(key);
    const raw: unknown = (labels as Record<string, unknown>)[key];
    if (typeof raw !== 'string') {
      out.error(key, 'invalid-value', `${key}: the value is not a string`);
      continue;
    }
    if (raw.length > MAX_LABEL_VALUE_LENGTH) {
      out.error(key, 'value-too-long', `${key}: ${quoteValue(raw)} is longer than ${MAX_LABEL_VALUE_LENGTH} characters`);
      continue;
    }
    const value = trimBlanks(raw);
    if (value === '') {
      if (info.empty === 'default') continue; // hosts: checked below; cluster: "" is the default
      if (info.empty === 'unset') {
        present.delete(key);
        out.warn(key, 'empty-value', `${key}: the value is empty; the label is ignored`);
      } else {
        out.error(key, 'empty-value', `${key}: the value is empty`);
      }
      continue;
    }
    applyLabel(out, spec, info, value);
  }

  crossCheck(out, spec, present);

  const diagnostics = out.diagnostics.sort((a, b) => byCodeUnits(a.label, b.label) || byCodeUnits(a.code, b.code));
  const hasError = diagnostics.some((d) => d.severity === Severity.SEVERITY_ERROR);
  return { spec: hasError ? undefined : spec, diagnostics };
}

/** What a service's labels claim, read leniently: see {@link readClaim}. */
export interface LabelClaim {
  /** `com.docker.lb.*` keys present, sorted; empty when the labels do not ask for routing. */
  keys: string[];
  /** The service cluster named ("" = default), or `undefined` when the value is not a valid name. */
  serviceCluster: string | undefined;
  /** The valid entries of `hosts`, lower-cased, de-duplicated and sorted (invalid entries dropped). */
  hosts: string[];
}

/**
 * Reads what a set of labels claims even when they do not parse: which `com.docker.lb.*` keys are set,
 * the service cluster and the valid host names. The model uses it to list a service that is not routed
 * (bad labels, or labels put on the containers) in the right cluster with the hosts it was meant for,
 * so `switchyard explain` and `status` can say why. Never throws; routing itself uses
 * {@link parseServiceLabels} only.
 * @param labels - service or container labels.
 */
export function readClaim(labels: Readonly<Record<string, string>> | undefined): LabelClaim {
  const raw: Record<string, unknown> = labels !== null && typeof labels === 'object' ? labels : {};
  const keys = Object.keys(raw).filter((k) => k.startsWith(LABEL_PREFIX)).sort(byCodeUnits);
  const text = (key: string): string | undefined => {
    const v = raw[key];
    return typeof v === 'string' && v.length <= MAX_LABEL_VALUE_LENGTH ? trimBlanks(v) : undefined;
  };
  const cluster = text(K.serviceCluster) ?? (raw[K.serviceCluster] === undefined ? '' : undefined);
  const hosts = new Set<string>();
  for (const entry of splitList(text(K.hosts) ?? '', ',')) {
    const host = asciiLower(entry);
    if (hostnameProblem(host, true) === undefined) hosts.add(host);
  }
  return {
    keys,
    serviceCluster: cluster === undefined || cluster === '' || isSafeToken(cluster) ? cluster : undefined,
    hosts: [...hosts].sort(byCodeUnits),
  };
}
