/**
 * The injection corpus (../corpus.ts) against every label and every string key of the extension
 * config tables.
 *
 * Labels: for each label of `LABELS` (plus the service name and the label key itself, which the
 * attacker also chooses) and each payload, placed in a few positions that fit the label's kind (alone,
 * after a valid value, as a second list entry), a snapshot holds three victim services (TLS,
 * passthrough, default backend, redirects, websockets, sticky cookies, vip mode) and one attacker
 * service carrying the payload. The model is rendered by both renderers in both layouts (one file,
 * and split with the smallest file size), and then:
 *  (a) every rendered file set passes the real `nginx -t` / `haproxy -c` (identical sets are checked once);
 *  (b) nothing was injected: the output parses as the proxy reads it, uses only directives the
 *      renderer emits for valid labels, and the payload's marker is never a directive or section name
 *      and never printed next to a character that means something to the proxy (`$`, `%[`, quotes…);
 *  (c) the text serving the victims' hosts is byte-identical to a render without the attacker;
 *  and the attacker got a diagnostic unless its value was printed (safely).
 *
 * Config keys: each payload as the value of each string (or list) key. The parser either refuses it
 * with an error naming the key, or the rendered config keeps its block/section structure, the value
 * stays in its own directive (raw option keys: in their own context), and the binary accepts it — or,
 * for raw option keys (operator-written directives by design), refuses it at the payload's own line.
 */
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, copyFileSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createHash } from 'node:crypto';
import { LABEL_PREFIX, LABELS, type LabelInfo, type LabelKind } from '@switchyard/labels';
import { buildModel, type LabelledSecret } from '@switchyard/model';
import type { Diagnostic, ProxyModel, SwarmSnapshot } from '@switchyard/proto';
import { HAPROXY_CONFIG_DEFAULTS, haproxyConfigSchema, parseHaproxyConfig, renderHaproxy, type HaproxyConfig } from '@switchyard/render-haproxy';
import { NGINX_CONFIG_DEFAULTS, nginxConfigSchema, parseNginxConfig, renderNginx, type NginxConfig } from '@switchyard/render-nginx';
import { corpus, type MarkedEntry } from '../corpus.js';
import {
  haproxyFirstWord,
  haproxySections,
  haproxyVictimSlice,
  nginxPath,
  nginxValue,
  nginxVictimSlice,
  parseNginxFile,
  walkNginx,
  type TextFile,
} from '../config-text.js';

jest.setTimeout(120_000);

const ENTRIES = corpus();
const ANY = { 'com.switchyard.lb.allowed-services': '*' };
/** The split layout everywhere (the smallest file size both renderers accept). */
const SPLIT_BYTES = 1024;

// ---------------------------------------------------------------------------------------------
// The scenario: three victims, one attacker
// ---------------------------------------------------------------------------------------------

const VICTIMS: { name: string; labels: Record<string, string>; vip?: string }[] = [
  {
    name: 'victim-a',
    labels: {
      'com.docker.lb.hosts': 'a-victim.test,www.a-victim.test',
      'com.docker.lb.port': '8080',
      'com.docker.lb.context_root': '/app',
      'com.docker.lb.context_root_rewrite': 'true',
      'com.docker.lb.ssl_cert': 'a-cert',
      'com.docker.lb.ssl_key': 'a-key',
      'com.docker.lb.websocket_endpoints': '/app/ws',
      'com.docker.lb.sticky_session_cookie': 'SID',
      'com.docker.lb.redirects': 'http://a-victim.test/old,https://a-victim.test/new',
    },
  },
  { name: 'victim-b', labels: { 'com.docker.lb.hosts': 'b-victim.test', 'com.docker.lb.port': '8443', 'com.docker.lb.ssl_passthrough': 'true', 'com.docker.lb.ip_hash': 'true' } },
  {
    name: 'victim-c',
    vip: '10.9.0.5',
    labels: {
      'com.docker.lb.hosts': 'c-victim.test',
      'com.docker.lb.port': '9000',
      'com.docker.lb.default_backend': 'true',
      'com.docker.lb.ssl_backend': 'true',
      'com.docker.lb.ssl_backend_tls_verify': 'required',
      'com.docker.lb.backend_mode': 'vip',
      'com.switchyard.lb.weight': '3',
    },
  },
];
const VICTIM_HOSTS = ['a-victim.test', 'www.a-victim.test', 'b-victim.test', 'c-victim.test'];
const ATTACKER = 'attacker';
const ATTACKER_LABELS = { 'com.docker.lb.hosts': 'z-attacker.test', 'com.docker.lb.port': '8080' };
/** Labels a label needs beside it to reach the code that prints it (none for most). */
const COMPANIONS: Record<string, Record<string, string>> = {
  'com.docker.lb.ssl_cert': { 'com.docker.lb.ssl_key': 'z-key' },
  'com.docker.lb.ssl_key': { 'com.docker.lb.ssl_cert': 'z-cert' },
  'com.docker.lb.ssl_backend_tls_verify': { 'com.docker.lb.ssl_backend': 'true' },
  'com.docker.lb.context_root_rewrite': { 'com.docker.lb.context_root': '/z' },
};
/** A valid value of each label kind (enums use their first value). */
const VALID: Record<LabelKind, string> = {
  'host-list': 'z-attacker.test',
  port: '8080',
  token: 'z-token',
  path: '/z',
  'path-list': '/z',
  boolean: 'true',
  enum: '',
  redirects: 'http://z-attacker.test/a,https://x.test',
  integer: '5',
};

/** Where a payload goes in a label of this kind: alone, after a valid value, as a further list entry. */
function placements(info: LabelInfo, payload: string): string[] {
  const valid = info.kind === 'enum' ? (info.values?.[0] ?? '') : VALID[info.kind];
  const out = [payload, `${valid}${payload}`];
  if (info.kind === 'host-list' || info.kind === 'path-list') out.push(`${valid},${payload}`);
  if (info.kind === 'path' || info.kind === 'path-list') out.push(`/${payload}`);
  if (info.kind === 'redirects') out.push(`${valid};${payload}`, `http://z-attacker.test/b,${payload}`, `${payload},https://x.test`);
  return [...new Set(out)];
}

interface Attack {
  name: string;
  labels: Record<string, string>;
  /** Token labels (secret and network names) also get a secret and a network of that name, so lookups succeed. */
  names?: string;
  /** Container labels of the task template (the model reports routing labels there, never uses them). */
  containerLabels?: Record<string, string>;
}

function snapshotOf(attack: Attack | undefined): SwarmSnapshot {
  const secrets: LabelledSecret[] = ['a-cert', 'a-key', 'z-cert', 'z-key'].map((name) => ({ id: `sec-${name}`, name, labels: ANY }));
  const networks = [{ id: 'n1', name: 'app', driver: 'overlay', scope: 'swarm', ingress: false }];
  const services: SwarmSnapshot['services'] = VICTIMS.map((v, i) => ({
    id: `svc-${v.name}`,
    name: v.name,
    labels: v.labels,
    containerLabels: {},
    networkIds: ['n1'],
    virtualIps: v.vip ? [{ networkId: 'n1', address: v.vip }] : [],
    createdAtUnixMs: 1000 + i,
  }));
  const tasks: SwarmSnapshot['tasks'] = VICTIMS.flatMap((v, i) =>
    [1, 2].map((slot) => ({ id: `${v.name}.${slot}`, serviceId: `svc-${v.name}`, nodeId: 'node', slot, state: 'running', desiredState: 'running', attachments: [{ networkId: 'n1', addresses: [`10.0.${i}.${slot + 1}`] }] })),
  );
  if (attack) {
    const networkIds = ['n1'];
    if (attack.names !== undefined && attack.names !== '') {
      secrets.push({ id: 'sec-attack', name: attack.names, labels: ANY });
      networks.push({ id: 'n-attack', name: attack.names, driver: 'overlay', scope: 'swarm', ingress: false });
      networkIds.push('n-attack');
    }
    services.push({ id: 'svc-attacker', name: attack.name, labels: attack.labels, containerLabels: attack.containerLabels ?? {}, networkIds, virtualIps: [{ networkId: 'n1', address: '10.9.9.9' }], createdAtUnixMs: 9000 });
    tasks.push({
      id: 'attacker.1',
      serviceId: 'svc-attacker',
      nodeId: 'node',
      slot: 1,
      state: 'running',
      desiredState: 'running',
      attachments: networkIds.map((networkId, i) => ({ networkId, addresses: [`10.${7 + i}.0.9`] })),
    });
  }
  return { services, tasks, networks, secrets };
}

// ---------------------------------------------------------------------------------------------
// Rendering and the real binaries
// ---------------------------------------------------------------------------------------------

type Proxy = 'nginx' | 'haproxy';
interface Output {
  proxy: Proxy;
  layout: 'one-file' | 'split';
  files: TextFile[];
  diagnostics: Diagnostic[];
}

function renderAll(model: ProxyModel, config: { nginx?: Partial<NginxConfig>; haproxy?: Partial<HaproxyConfig> } = {}): Output[] {
  const out: Output[] = [];
  for (const layout of ['one-file', 'split'] as const) {
    const maxFileBytes = layout === 'split' ? SPLIT_BYTES : undefined;
    const n = renderNginx(model, { config: config.nginx, maxFileBytes });
    out.push({ proxy: 'nginx', layout, files: n.files, diagnostics: n.diagnostics });
    const h = renderHaproxy(model, { config: config.haproxy, maxFileBytes });
    out.push({ proxy: 'haproxy', layout, files: h.files, diagnostics: h.diagnostics });
  }
  return out;
}

let work: string;
let secretsDir: string;
/** Binary checks by file-set hash (a promise, so concurrent cases share one run). */
const checked = new Map<string, Promise<Check>>();
const stats = { cases: 0, binaries: 0, reused: 0, refusedConfig: 0, acceptedConfig: 0, printedSafely: 0, ms: { nginx: 0, haproxy: 0 }, byCode: new Map<string, number>() };

/** What the binary said about a file set. */
interface Check {
  ok: boolean;
  output: string;
  /** The rendered line the binary's first error points at (`file:line`), if it names one. */
  failedLine: string | undefined;
}

/** Binary runs at a time: the checks are mostly CPU (certificate loading), so about one per core. */
const POOL = Math.max(2, availableParallelism());
let running = 0;
const waiting: (() => void)[] = [];

async function inPool<T>(work: () => Promise<T>): Promise<T> {
  if (running >= POOL) await new Promise<void>((resolve) => waiting.push(resolve));
  running++;
  try {
    return await work();
  } finally {
    running--;
    waiting.shift()?.();
  }
}

function run(command: string, args: string[], log: string): Promise<number | null> {
  const fd = openSync(log, 'w');
  return new Promise<number | null>((resolve, reject) => {
    // nginx opens /dev/stdout itself (the default log paths): give it a real file, not a pipe.
    const child = spawn(command, args, { stdio: ['ignore', fd, fd], cwd: tmpdir() });
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  }).finally(() => closeSync(fd));
}

/**
 * Runs the real binary on a rendered file set laid out as the proxy sees it (`nginx -t -c nginx.conf`;
 * `haproxy -dW -c -f haproxy.cfg -f switchyard.d`, zero-warning mode), the secrets prefix pointing at
 * test certificates, in a small pool. Identical file sets are checked once.
 */
function binaryCheck(o: Output): Promise<Check> {
  const key = createHash('sha256').update(o.proxy).update(JSON.stringify(o.files)).digest('hex');
  const cached = checked.get(key);
  if (cached) {
    stats.reused++;
    return cached;
  }
  const dir = join(work, `${o.proxy}-${key.slice(0, 16)}`);
  const check = inPool(async (): Promise<Check> => {
    mkdirSync(join(dir, 'switchyard.d'), { recursive: true });
    for (const f of o.files) {
      mkdirSync(dirname(join(dir, f.path)), { recursive: true });
      writeFileSync(join(dir, f.path), f.content.split('/run/secrets/').join(`${secretsDir}/`));
    }
    const began = Date.now();
    const log = join(dir, 'check.log');
    const status =
      o.proxy === 'nginx'
        ? await run('nginx', ['-t', '-q', '-c', join(dir, 'nginx.conf')], log)
        : await run('haproxy', ['-dW', '-c', '-f', join(dir, 'haproxy.cfg'), '-f', join(dir, 'switchyard.d')], log);
    stats.ms[o.proxy] += Date.now() - began;
    stats.binaries++;
    const output = readFileSync(log, 'utf8').trim();
    // nginx: "... in <dir>/nginx.conf:12"; haproxy: "[<dir>/haproxy.cfg:12]".
    const at = /(?:in |\[)(\/[^\s:\]]+):([0-9]+)/.exec(output);
    const file = at ? o.files.find((f) => join(dir, f.path) === at[1]) : undefined;
    rmSync(dir, { recursive: true, force: true });
    return { ok: status === 0 && (o.proxy === 'nginx' || !/ALERT|WARNING/.test(output)), output, failedLine: file?.content.split('\n')[Number(at?.[2]) - 1] };
  });
  checked.set(key, check);
  return check;
}

// ---------------------------------------------------------------------------------------------
// What "nothing was injected" means for each proxy
// ---------------------------------------------------------------------------------------------

/** Characters no rendered file may contain: control characters (but tab and LF), NEL, line/paragraph separators. */
// eslint-disable-next-line no-control-regex -- control characters are exactly what we look for
const FORBIDDEN_CHARS = /[\u0000-\u0008\u000b-\u001f\u007f\u0085\u2028\u2029]/;
/** A word HAProxy reads literally: no quotes, escapes, comments, `%` (log-format), `$` (environment), brackets or braces. */
const HAPROXY_PLAIN_WORD = /^[A-Za-z0-9._:/=@~+*,-]+$/;

interface Vocabulary {
  nginx: Set<string>;
  haproxy: Set<string>;
}

/** `context/name` of every nginx directive and `section-kind/keyword` of every HAProxy line. */
function vocabularyOf(outputs: Output[]): Vocabulary {
  const v: Vocabulary = { nginx: new Set(), haproxy: new Set() };
  for (const o of outputs) {
    if (o.proxy === 'nginx') for (const f of o.files) for (const d of walkNginx(parseNginxFile(f))) v.nginx.add(nginxPath(d));
    else for (const s of haproxySections(o.files)) for (const l of s.lines) v.haproxy.add(`${s.title.split(' ')[0]}/${haproxyFirstWord(l)}`);
  }
  return v;
}

/** Problems with one output (empty when nothing was injected). */
function injectionProblems(o: Output, marker: string, vocabulary: Vocabulary): string[] {
  const problems: string[] = [];
  for (const f of o.files) {
    const bad = FORBIDDEN_CHARS.exec(f.content);
    if (bad) problems.push(`${f.path} contains U+${bad[0].charCodeAt(0).toString(16).padStart(4, '0')}`);
  }
  if (o.proxy === 'nginx') {
    for (const f of o.files) {
      let tree;
      try {
        tree = parseNginxFile(f);
      } catch (error) {
        problems.push(`does not parse: ${(error as Error).message}`);
        continue;
      }
      for (const d of walkNginx(tree)) {
        if (!vocabulary.nginx.has(nginxPath(d))) problems.push(`directive ${nginxPath(d)} is not one the renderer emits`);
        if (d.name.includes(marker)) problems.push(`the payload is a directive name: ${d.name}`);
        for (const a of d.args.filter((t) => t.includes(marker))) {
          if (nginxValue(a).includes('$')) problems.push(`the payload reaches nginx with a variable: ${d.name} ${a}`);
        }
      }
    }
  } else {
    for (const f of o.files) {
      if (!/^[\t\n -~]*$/.test(f.content)) problems.push(`${f.path} is not printable ASCII`);
      if (f.path.endsWith('.map')) {
        for (const line of f.content.split('\n').filter((l) => l !== '' && !l.startsWith('#'))) {
          const w = line.split(' ');
          if (w.length !== 2 || !w.every((x) => HAPROXY_PLAIN_WORD.test(x))) problems.push(`${f.path}: map line is not "key value": ${JSON.stringify(line)}`);
        }
      }
      if (f.path.endsWith('.crt-list')) {
        for (const line of f.content.split('\n').filter((l) => l !== '' && !l.startsWith('#'))) {
          if (!line.split(' ').every((x) => HAPROXY_PLAIN_WORD.test(x))) problems.push(`${f.path}: crt-list line with a special character: ${JSON.stringify(line)}`);
        }
      }
    }
    for (const s of haproxySections(o.files)) {
      const kind = s.title.split(' ')[0] ?? '';
      if (s.title.includes(marker) && !s.title.split(' ').every((w) => HAPROXY_PLAIN_WORD.test(w))) problems.push(`section title with special characters: ${s.title}`);
      if (!['global', 'defaults', 'frontend', 'backend'].includes(kind)) problems.push(`section ${s.title} is not one the renderer emits`);
      for (const line of s.lines) {
        const first = haproxyFirstWord(line);
        if (!vocabulary.haproxy.has(`${kind}/${first}`)) problems.push(`${s.title}: keyword ${JSON.stringify(first)} is not one the renderer emits`);
        if (first.includes(marker)) problems.push(`${s.title}: the payload is a keyword: ${line}`);
        for (const w of line.split(' ').filter((x) => x.includes(marker))) {
          const inner = /^[a-z.]+\(([^()]*)\)$/.exec(w)?.[1];
          if (!HAPROXY_PLAIN_WORD.test(inner ?? w)) problems.push(`${s.title}: the payload is printed with special characters: ${JSON.stringify(line)}`);
        }
      }
    }
  }
  return problems;
}

/** The text serving the victims, per output kind. */
function victimSlice(o: Output, model: ProxyModel): string {
  if (o.proxy === 'nginx') {
    const upstreams = model.upstreams.filter((u) => u.services.some((s) => s.startsWith('victim-'))).map((u) => u.name);
    return nginxVictimSlice(o.files, VICTIM_HOSTS, upstreams);
  }
  return haproxyVictimSlice(o.files, VICTIM_HOSTS);
}

const outputName = (o: Output): string => `${o.proxy} ${o.layout}`;

// ---------------------------------------------------------------------------------------------
// Baselines
// ---------------------------------------------------------------------------------------------

let baseModel: ProxyModel;
let baseOutputs: Output[];
let baseSlices: Map<string, string>;
let vocabulary: Vocabulary;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'switchyard-corpus-'));
  secretsDir = join(work, 'secrets');
  mkdirSync(secretsDir);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=corpus', '-keyout', join(work, 'key.pem'), '-out', join(work, 'cert.pem')], { stdio: 'pipe' });
  baseModel = buildModel(snapshotOf(undefined), {});
  baseOutputs = renderAll(baseModel);
  baseSlices = new Map(baseOutputs.map((o) => [outputName(o), victimSlice(o, baseModel)]));
  // The renderers' vocabulary: the victims alone, and with an attacker using each label validly.
  const benign = LABELS.map((info) => {
    const labels = { ...ATTACKER_LABELS, ...COMPANIONS[info.key], [info.key]: info.kind === 'enum' ? (info.values?.[1] ?? '') : VALID[info.kind] };
    return renderAll(buildModel(snapshotOf({ name: ATTACKER, labels, names: VALID.token }), {}));
  });
  vocabulary = vocabularyOf([...baseOutputs, ...benign.flat()]);
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  const codes = [...stats.byCode.entries()].sort((a, b) => b[1] - a[1]).map(([code, n]) => `${code} ${n}`).join(', ');
  console.log(
    `injection corpus: ${ENTRIES.length} payloads, ${stats.cases} cases (label or config key × payload × placement); ` +
      `attacker printed safely in ${stats.printedSafely}; config values refused ${stats.refusedConfig}, accepted ${stats.acceptedConfig}; ` +
      `${stats.binaries} binary runs (${stats.reused} identical file sets reused; nginx ${stats.ms.nginx} ms, haproxy ${stats.ms.haproxy} ms)\nattacker diagnostics by code: ${codes}`,
  );
});

const installed = new Set<string>();
/** Installs a test certificate for every certificate of the model whose file name is plain. */
function installCertificates(model: ProxyModel): void {
  for (const c of model.certificates) {
    if (installed.has(c.certFile) || !/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(c.certFile)) continue;
    copyFileSync(join(work, 'cert.pem'), join(secretsDir, c.certFile));
    copyFileSync(join(work, 'key.pem'), join(secretsDir, `${c.certFile}.key`));
    installed.add(c.certFile);
  }
}

describe('baseline', () => {
  it('passes both binaries and has a victim slice naming every victim host', async () => {
    installCertificates(baseModel);
    for (const o of baseOutputs) {
      const { ok, output } = await binaryCheck(o);
      expect({ kind: outputName(o), ok, output: output.replace(/^Configuration file is valid$/, '') }).toEqual({ kind: outputName(o), ok: true, output: '' });
      const slice = baseSlices.get(outputName(o)) ?? '';
      for (const host of VICTIM_HOSTS) expect(slice).toContain(host);
      expect(slice).toMatch(/up_victim-a|victim-a/);
    }
  });

  it('a benign attacker leaves the victim slices unchanged (the comparison is not too strict)', () => {
    const model = buildModel(snapshotOf({ name: ATTACKER, labels: { ...ATTACKER_LABELS, 'com.docker.lb.context_root': '/app', 'com.docker.lb.ssl_cert': 'z-cert', 'com.docker.lb.ssl_key': 'z-key' } }), {});
    expect(model.services.find((s) => s.name === ATTACKER)?.routed).toBe(true);
    for (const o of renderAll(model)) expect(victimSlice(o, model)).toBe(baseSlices.get(outputName(o)));
  });

  it('a hijacking attacker changes a victim slice (the comparison is not too lax)', () => {
    const hijacked = { ...baseModel, hosts: baseModel.hosts.map((h) => (h.host === 'a-victim.test' ? { ...h, routes: h.routes.map((r) => ({ ...r, upstream: baseModel.upstreams.find((u) => u.services.includes('victim-c'))?.name ?? '' })) } : h)) };
    for (const o of renderAll(hijacked)) expect(victimSlice(o, hijacked)).not.toBe(baseSlices.get(outputName(o)));
  });
});

// ---------------------------------------------------------------------------------------------
// Labels
// ---------------------------------------------------------------------------------------------

interface Target {
  name: string;
  attacks(entry: MarkedEntry): Attack[];
}

const TARGETS: Target[] = [
  ...LABELS.map((info) => ({
    name: info.key,
    attacks: (entry: MarkedEntry): Attack[] =>
      placements(info, entry.payload).map((value) => ({
        name: ATTACKER,
        labels: { ...ATTACKER_LABELS, ...COMPANIONS[info.key], [info.key]: value },
        names: info.kind === 'token' ? value : undefined,
      })),
  })),
  { name: '(service name)', attacks: (entry) => [entry.payload, `attacker${entry.payload}`].map((name) => ({ name, labels: ATTACKER_LABELS })) },
  {
    name: '(container labels)',
    attacks: (entry) => [{ name: ATTACKER, labels: ATTACKER_LABELS, containerLabels: Object.fromEntries(LABELS.map((info) => [info.key, entry.payload])) }],
  },
  { name: '(label key)', attacks: (entry) => [{ name: ATTACKER, labels: { ...ATTACKER_LABELS, [`${LABEL_PREFIX}${entry.payload}`]: 'true' } }] },
];

describe.each(TARGETS.map((t) => [t.name, t] as const))('label %s', (_name, target) => {
  it('never injects, never breaks the config, never changes the victims', async () => {
    const failures: string[] = [];
    const checks: Promise<void>[] = [];
    for (const entry of ENTRIES) {
      for (const attack of target.attacks(entry)) {
        stats.cases++;
        const where = `${entry.class} ${JSON.stringify(attack.labels)} name=${JSON.stringify(attack.name)}`;
        const model = buildModel(snapshotOf(attack), {});
        installCertificates(model);
        const outputs = renderAll(model);
        const attackerDiagnostics = [...model.diagnostics, ...outputs.flatMap((o) => o.diagnostics)].filter((d) => d.service === attack.name);
        for (const d of new Set(model.diagnostics.filter((d) => d.service === attack.name).map((d) => d.code))) stats.byCode.set(d, (stats.byCode.get(d) ?? 0) + 1);
        const printed = outputs.some((o) => o.files.some((f) => f.content.includes(entry.marker)));
        if (printed) stats.printedSafely++;
        if (attackerDiagnostics.length === 0 && !printed && model.services.find((s) => s.id === 'svc-attacker')?.routed !== true) {
          failures.push(`${where}: the attacker was dropped without a diagnostic`);
        }
        for (const o of outputs) {
          for (const p of injectionProblems(o, entry.marker, vocabulary)) failures.push(`${where}: ${outputName(o)}: ${p}`);
          const slice = victimSlice(o, model);
          if (slice !== baseSlices.get(outputName(o))) failures.push(`${where}: ${outputName(o)}: the victims' configuration changed:\n${slice}`);
          checks.push(
            binaryCheck(o).then((check) => {
              if (!check.ok) failures.push(`${where}: ${outputName(o)}: the binary refused it: ${check.output}`);
            }),
          );
        }
      }
    }
    await Promise.all(checks);
    expect(failures.slice(0, 20)).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// Extension config keys
// ---------------------------------------------------------------------------------------------

/** Where raw option keys (operator-written directives) are printed: the one context their directives may land in. */
const NGINX_RAW_CONTEXT: Record<string, string[]> = {
  GlobalOptions: [''],
  HTTPOptions: ['http'],
  TCPOptions: ['stream'],
  SSLOpts: ['http/server'],
  // Log formats are nginx source too (quoted parts with $variables), printed as `log_format <name> …;`.
  MainLogFormat: ['http'],
  TraceLogFormat: ['http'],
};
const HAPROXY_RAW_SECTION: Record<string, string[]> = { GlobalOptions: ['global'], DefaultOptions: ['defaults'], SSLOpts: ['frontend fe_http'] };

interface ConfigTarget {
  proxy: Proxy;
  key: string;
  /** Where a raw option key's directives may land (undefined: not a raw option key). */
  raw: string[] | undefined;
}

/**
 * Every key of both schemas (a new key is covered without a change here). Keys read as numbers or
 * booleans are given the payloads too: since Go durations (`"5s"`) some take strings as well.
 */
const CONFIG_TARGETS: ConfigTarget[] = [
  ...Object.keys(nginxConfigSchema.shape).map((key) => ({ proxy: 'nginx' as const, key, raw: NGINX_RAW_CONTEXT[key] })),
  ...Object.keys(haproxyConfigSchema.shape).map((key) => ({ proxy: 'haproxy' as const, key, raw: HAPROXY_RAW_SECTION[key] })),
];

/** Block structure of an nginx output: every block directive with its context and arguments, in order. */
function nginxBlocks(o: Output): string[] {
  return o.files.flatMap((f) => walkNginx(parseNginxFile(f)).filter((d) => d.block !== undefined).map((d) => `${nginxPath(d)} ${d.args.join(' ')}`));
}

/** Problems of an output rendered with an accepted config value (empty when it stayed in its place). */
function configProblems(t: ConfigTarget, o: Output, base: Output, marker: string, value: string): string[] {
  const problems: string[] = [];
  for (const f of o.files) {
    const bad = FORBIDDEN_CHARS.exec(f.content);
    if (bad) problems.push(`${f.path} contains U+${bad[0].charCodeAt(0).toString(16).padStart(4, '0')}`);
  }
  if (o.proxy === 'nginx') {
    let directives;
    try {
      directives = o.files.flatMap((f) => walkNginx(parseNginxFile(f)));
    } catch (error) {
      return [...problems, `does not parse: ${(error as Error).message}`];
    }
    if (nginxBlocks(o).join('\n') !== nginxBlocks(base).join('\n')) problems.push('the block structure changed');
    const known = new Set(base.files.flatMap((f) => walkNginx(parseNginxFile(f)).map(nginxPath)));
    for (const d of directives) {
      const inRawContext = t.raw !== undefined && t.raw.includes(d.context.join('/')) && d.block === undefined;
      if (inRawContext) continue;
      if (!known.has(nginxPath(d))) problems.push(`new directive ${nginxPath(d)} outside the key's own context`);
      if (d.name.includes(marker)) problems.push(`the value is a directive name: ${d.name}`);
    }
  } else {
    const sections = haproxySections(o.files);
    const baseSections = haproxySections(base.files);
    if (sections.map((s) => s.title).join('\n') !== baseSections.map((s) => s.title).join('\n')) problems.push('the sections changed');
    sections.forEach((s, i) => {
      const before = baseSections[i];
      const kind = s.title.split(' ')[0] ?? '';
      const keywords = new Set(before?.lines.map(haproxyFirstWord));
      for (const line of s.lines) {
        if (t.raw?.includes(s.title) && line.includes(marker)) {
          if (t.key === 'SSLOpts' && line.startsWith('bind ') && !before?.lines.includes(line.slice(0, -value.trim().length - 1))) problems.push(`the bind line changed beyond its options: ${line}`);
          continue;
        }
        if (t.raw !== undefined && !before?.lines.includes(line)) problems.push(`${s.title}: a line changed outside the key's own section: ${line}`);
        if (t.raw === undefined && !keywords.has(haproxyFirstWord(line))) problems.push(`${s.title}: new keyword ${haproxyFirstWord(line)} (${kind})`);
        if (haproxyFirstWord(line).includes(marker)) problems.push(`${s.title}: the value is a keyword: ${line}`);
      }
    });
  }
  return problems;
}

describe.each(CONFIG_TARGETS.map((t) => [`${t.proxy} ${t.key}`, t] as const))('config %s', (_name, t) => {
  it('is refused naming the key, or stays in its own directive and passes the binary', async () => {
    const failures: string[] = [];
    const checks: Promise<void>[] = [];
    const defaults = (t.proxy === 'nginx' ? NGINX_CONFIG_DEFAULTS : HAPROXY_CONFIG_DEFAULTS) as Record<string, unknown>;
    for (const entry of ENTRIES) {
      stats.cases++;
      const value = Array.isArray(defaults[t.key]) ? [entry.payload] : entry.payload;
      const where = `${entry.class} ${JSON.stringify(value)}`;
      let parsed: Partial<NginxConfig> | Partial<HaproxyConfig>;
      try {
        parsed = t.proxy === 'nginx' ? parseNginxConfig({ [t.key]: value }) : parseHaproxyConfig({ [t.key]: value });
      } catch (error) {
        stats.refusedConfig++;
        const issues = (error as { issues?: { key: string }[] }).issues ?? [];
        if (!issues.some((i) => i.key === t.key || i.key.startsWith(`${t.key}[`))) failures.push(`${where}: refused without naming ${t.key}: ${(error as Error).message}`);
        continue;
      }
      stats.acceptedConfig++;
      const outputs = renderAll(baseModel, t.proxy === 'nginx' ? { nginx: parsed as Partial<NginxConfig> } : { haproxy: parsed as Partial<HaproxyConfig> });
      for (const o of outputs.filter((x) => x.proxy === t.proxy)) {
        const base = baseOutputs.find((b) => b.proxy === o.proxy && b.layout === o.layout) as Output;
        for (const p of configProblems(t, o, base, entry.marker, entry.payload)) failures.push(`${where}: ${outputName(o)}: ${p}`);
        checks.push(
          binaryCheck(o).then((check) => {
            if (check.ok) return;
            // A raw option is the operator's own directive: the binary may refuse it, but only at a line
            // the value produced (one the default render does not have).
            const baseLines = new Set(base.files.flatMap((f) => f.content.split('\n')));
            // nginx names no line for an unknown variable: then the variable must be one the value wrote.
            const variable = /unknown "([^"]+)" variable/.exec(check.output)?.[1];
            const ownVariable = variable !== undefined && new RegExp(`\\$\\{?${variable}`, 'i').test(entry.payload);
            const ownLine = check.failedLine !== undefined && !baseLines.has(check.failedLine);
            if (t.raw === undefined || !(ownLine || ownVariable)) {
              failures.push(`${where}: ${outputName(o)}: the binary refused it: ${check.output}`);
            }
          }),
        );
      }
    }
    await Promise.all(checks);
    expect(failures.slice(0, 20)).toEqual([]);
  });
});
