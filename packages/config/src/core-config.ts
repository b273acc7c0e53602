/**
 * Core's TOML configuration: Interlock 3's format (`ListenAddr`, `[Extensions.<name>]`,
 * `[Extensions.<name>.Config]`) plus Switchyard's documented additions. One parser for core and the CLI.
 */
import { durationMs } from '@switchyard/duration';
import { PROXY_KIND_NAME } from '@switchyard/proto';
import { parse as parseToml } from 'smol-toml';
import { z } from 'zod';
import { RENDERERS, isProxyKindName, type ProxyKindName } from './renderers.js';

/**
 * A key of the configuration that Switchyard accepts (so an Interlock file loads unchanged) but does not
 * use. `key` is the full dotted path, e.g. `Extensions.default.Config.Version`.
 */
export interface IgnoredKey {
  key: string;
  reason: string;
  /** The value used instead (e.g. Switchyard's image for one of Interlock's); absent when the key has no effect. */
  replacement?: string;
}

/** Thrown when core's TOML configuration is unreadable or invalid; the message names each bad key. */
export class CoreConfigError extends Error {
  /** Stable machine-readable code. */
  readonly code = 'invalid-core-config';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CoreConfigError';
  }
}

/** A Go duration (`"3s"`, `"1m30s"`, `"500ms"`) within bounds, in milliseconds. */
const duration = (minMs: number, maxMs: number) =>
  z.string().refine(
    (v) => {
      const ms = durationMs(v);
      return ms !== undefined && ms >= minMs && ms <= maxMs;
    },
    { message: `expected a Go duration such as "500ms", "3s" or "1m30s" (from ${minMs} ms to ${maxMs / 3_600_000} h)` },
  );
const HOUR = 3_600_000;
const port = z.number().int().min(1).max(65535);
const stringMap = z.record(z.string(), z.string());
const serviceName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/, 'expected a Docker service name');
const signalName = z.string().regex(/^SIG[A-Z0-9]+$/, 'expected a signal name like "SIGQUIT"');
/** A command as an argv array: at least the program, no empty program name. */
const command = z.array(z.string()).min(1, 'expected a command: ["program", "arg", ...]').refine((a) => a[0] !== '', 'the program name is empty');

/** Switchyard's own extension image (the default for `Image`). */
export const DEFAULT_EXTENSION_IMAGE = 'switchyard/extension:latest';

/** Extension keys Interlock documents that Switchyard accepts and ignores, with the reason. */
export const IGNORED_EXTENSION_KEYS: Readonly<Record<string, string>> = Object.freeze({
  ConfigImage: "Interlock's separate config service (hitless updates); Switchyard's core delivers proxy configs itself",
  ConfigServiceName: "Interlock's separate config service (hitless updates); Switchyard's core delivers proxy configs itself",
  Template: 'custom extension templates are not supported: Switchyard renders its own template (use GlobalOptions, HTTPOptions, TCPOptions or DefaultOptions)',
  TemplatePath: 'custom extension templates are not supported: Switchyard renders its own template (use GlobalOptions, HTTPOptions, TCPOptions or DefaultOptions)',
});

const extensionSchema = z
  .object({
    Image: z.string().min(1).default(DEFAULT_EXTENSION_IMAGE),
    Args: z.array(z.string()).default([]),
    Labels: stringMap.default({}),
    ContainerLabels: stringMap.default({}),
    Constraints: z.array(z.string()).default([]),
    PlacementPreferences: z.array(z.string()).default([]),
    ServiceName: serviceName.optional(),
    // nginx and haproxy are built in; any other kind is a third-party proxy its own extension renders for.
    ProxyKind: z.string().regex(PROXY_KIND_NAME, 'expected "nginx", "haproxy" or another lower-case kind name such as "caddy"').optional(),
    ProxyImage: z.string().min(1).optional(),
    ProxyArgs: z.array(z.string()).default([]),
    ProxyLabels: stringMap.default({}),
    ProxyContainerLabels: stringMap.default({}),
    ProxyServiceName: serviceName.optional(),
    ProxyConfigPath: z.string().regex(/^\/[A-Za-z0-9_./-]+$/, 'expected an absolute file path').optional(),
    ProxyReplicas: z.number().int().min(0).max(100).default(2),
    // Default by proxy kind: nginx drains on SIGQUIT, HAProxy in master-worker mode on SIGUSR1.
    ProxyStopSignal: signalName.optional(),
    // Switchyard's keys for a third-party proxy kind (how the proxy agent checks and reloads it).
    ProxyCheckCommand: command.optional(),
    ProxyReloadCommand: command.optional(),
    ProxyReloadSignal: signalName.optional(),
    ProxyStopGracePeriod: duration(0, 24 * HOUR).default('5s'),
    ProxyConstraints: z.array(z.string()).default([]),
    ProxyPlacementPreferences: z.array(z.string()).default([]),
    ProxyUpdateDelay: duration(0, 24 * HOUR).default('1s'),
    PublishMode: z.enum(['host', 'ingress']).default('host'),
    PublishedPort: port.default(80),
    TargetPort: port.default(80),
    PublishedSSLPort: port.default(443),
    TargetSSLPort: port.default(443),
    ServiceCluster: z.string().regex(/^[A-Za-z0-9_.-]*$/, 'expected letters, digits, "_", "." or "-"').default(''),
    Networks: z.array(z.string()).default([]),
    // In-place updates by the proxy agent (Switchyard's default); false = Interlock's rolling updates.
    HitlessServiceUpdate: z.boolean().default(true),
    Config: z.record(z.string(), z.unknown()).default({}),
    ConfigImage: z.string().optional(),
    ConfigServiceName: z.string().optional(),
    Template: z.string().optional(),
    TemplatePath: z.string().optional(),
  })
  .strict();

const address = z.string().regex(/^[^\s]*:\d{1,5}$/, 'expected "[host]:port"');

const coreSchema = z
  .object({
    ListenAddr: address.default(':8080'),
    MetricsAddr: address.default(':8081'),
    DockerURL: z.string().min(1).default('unix:///var/run/docker.sock'),
    TLSCACert: z.string().optional(),
    TLSCert: z.string().optional(),
    TLSKey: z.string().optional(),
    // Interlock's key, Interlock's meaning: with a TLS DockerURL, do not verify the Docker API's certificate.
    AllowInsecure: z.boolean().default(false),
    // Switchyard's key: only an explicit true lets core's gRPC API run without mutual TLS.
    InsecureControlPlane: z.boolean().default(false),
    // Bring your own control-plane CA (PEM files, both or neither); default: core creates one.
    ControlPlaneCACert: z.string().min(1).optional(),
    ControlPlaneCAKey: z.string().min(1).optional(),
    // Which services may use a secret as their certificate: only those the secret's labels allow
    // ("labelled", the default), or any service that names it (Interlock's behaviour: "any").
    SecretPolicy: z.enum(['labelled', 'any']).default('labelled'),
    PollInterval: duration(100, 24 * HOUR).default('3s'),
    // Switchyard's key: how long core waits for any one Docker Engine API call before giving up (the
    // round or delivery fails and is retried). The open event stream has no deadline.
    DockerAPITimeout: duration(1000, HOUR).default('30s'),
    EndpointOverride: z.string().optional(),
    CoreAddress: z.string().min(1).default('switchyard-core:8080'),
    CoreNetwork: z.string().min(1).default('switchyard'),
    Extensions: z.record(z.string().regex(/^[A-Za-z0-9_.-]+$/, 'extension names use letters, digits, "_", "." or "-"'), extensionSchema).default({}),
  })
  .strict();

type RawExtension = z.output<typeof extensionSchema>;

/** One `[Extensions.<name>]` section, with defaults filled in and derived values resolved. */
export interface ExtensionConfig
  extends Omit<RawExtension, 'ServiceName' | 'ProxyServiceName' | 'ProxyImage' | 'ProxyConfigPath' | 'ProxyKind' | 'ProxyStopSignal'> {
  ProxyStopSignal: string;
  Name: string;
  /** `nginx`, `haproxy` ({@link isProxyKindName}) or a third-party kind its own extension renders for. */
  ProxyKind: string;
  ServiceName: string;
  ProxyServiceName: string;
  ProxyImage: string;
  ProxyConfigPath: string;
  PollIntervalMs: number;
  ProxyStopGracePeriodMs: number;
  ProxyUpdateDelayMs: number;
}

/** Core's configuration (Interlock's TOML format plus Switchyard's documented additions). */
export interface CoreConfig extends Omit<z.output<typeof coreSchema>, 'Extensions'> {
  PollIntervalMs: number;
  /** `DockerAPITimeout` in milliseconds: the deadline of each Docker Engine API call core makes. */
  DockerAPITimeoutMs: number;
  Extensions: ExtensionConfig[];
  /**
   * Keys that were accepted but are not used (Interlock keys Switchyard has no use for), sorted by key.
   * Core logs them once at start; `switchyard status` shows them.
   */
  IgnoredKeys: IgnoredKey[];
}

/** A third-party proxy's graceful stop, unless `ProxyStopSignal` says otherwise. */
const OTHER_STOP_SIGNAL = 'SIGTERM';

const PROXY_DEFAULTS: Record<ProxyKindName, { image: string; configPath: string; stopSignal: string }> = {
  nginx: { image: 'switchyard/proxy-nginx:latest', configPath: '/etc/nginx/nginx.conf', stopSignal: 'SIGQUIT' },
  haproxy: { image: 'switchyard/proxy-haproxy:latest', configPath: '/etc/haproxy/haproxy.cfg', stopSignal: 'SIGUSR1' },
};

/** The proxy an extension renders for: `ProxyKind`, else guessed from its images, else from its name. */
function kindOf(name: string, ext: RawExtension): string {
  if (ext.ProxyKind) return ext.ProxyKind;
  const image = `${ext.Image} ${ext.ProxyImage ?? ''}`.toLowerCase();
  if (image.includes('haproxy')) return 'haproxy';
  if (name.toLowerCase().includes('haproxy')) return 'haproxy';
  return 'nginx';
}

/** Interlock's extension images (`docker/ucp-interlock-extension`, `interlockpreview/interlock-extension-nginx`, …). */
const INTERLOCK_EXTENSION_IMAGE = /(^|\/)(ucp-)?interlock-extension(-[a-z0-9]+)?([:@]|$)/i;
/** Interlock's proxy images and the stock nginx / HAProxy images its docs use as proxies. */
const INTERLOCK_PROXY_IMAGE = /(^|\/)(ucp-)?interlock-proxy(-[a-z0-9]+)?([:@]|$)|^(docker\.io\/)?(library\/)?(nginx|haproxy)([:@]|$)/i;

/**
 * The images an extension section runs, with Interlock's own images replaced: Interlock's extension
 * cannot speak Switchyard's API, and a stock proxy image has no agent for in-place updates, so a file
 * written for Interlock gets Switchyard's images of the same kind. Each replacement is a notice.
 */
function imagesOf(name: string, kind: ProxyKindName, ext: RawExtension, notices: IgnoredKey[]): { image: string; args: string[]; proxyImage: string } {
  let image = ext.Image;
  let args = ext.Args;
  if (INTERLOCK_EXTENSION_IMAGE.test(image)) {
    notices.push({ key: `Extensions.${name}.Image`, reason: `"${image}" is Interlock's extension, which cannot speak Switchyard's API`, replacement: DEFAULT_EXTENSION_IMAGE });
    image = DEFAULT_EXTENSION_IMAGE;
    // Interlock's extension flags mean nothing to Switchyard's (which refuses unknown flags).
    if (args.some((a) => a !== '')) notices.push({ key: `Extensions.${name}.Args`, reason: "arguments for Interlock's extension, whose image is replaced" });
    args = [];
  }
  let proxyImage = ext.ProxyImage ?? PROXY_DEFAULTS[kind].image;
  if (INTERLOCK_PROXY_IMAGE.test(proxyImage)) {
    notices.push({
      key: `Extensions.${name}.ProxyImage`,
      reason: `"${proxyImage}" has no Switchyard proxy agent (in-place updates); Switchyard's image is stock ${kind} plus the agent`,
      replacement: PROXY_DEFAULTS[kind].image,
    });
    proxyImage = PROXY_DEFAULTS[kind].image;
  }
  return { image, args, proxyImage };
}

/**
 * Where the proxy reads its configuration. Switchyard's proxy images read their package's own path
 * (their command names it), so another path given with one of them (Interlock's HAProxy default says
 * `/usr/local/etc/haproxy/haproxy.cfg`) would be mounted and never read: the image's path is used
 * instead, with a notice. With any other image the given path stands.
 */
function configPathOf(name: string, kind: ProxyKindName, ext: RawExtension, proxyImage: string, notices: IgnoredKey[]): string {
  const own = PROXY_DEFAULTS[kind];
  if (ext.ProxyConfigPath === undefined || ext.ProxyConfigPath === own.configPath) return own.configPath;
  if (proxyImage !== own.image) return ext.ProxyConfigPath;
  notices.push({ key: `Extensions.${name}.ProxyConfigPath`, reason: `${own.image} reads its configuration from its package's path`, replacement: own.configPath });
  return own.configPath;
}

/**
 * What a section of a third-party proxy kind must say, since Switchyard knows nothing of that proxy:
 * its extension's image (Switchyard's own renders only nginx and HAProxy), the proxy's image and
 * where it reads its file; with in-place updates also how the proxy agent runs it (`ProxyArgs`,
 * naming that file, which the agent replaces with its live copy) and how it reloads.
 */
function thirdPartyProblems(name: string, kind: string, ext: RawExtension): string[] {
  const at = `Extensions.${name}`;
  const problems: string[] = [];
  if (ext.Image === DEFAULT_EXTENSION_IMAGE) problems.push(`${at}.Image: ${DEFAULT_EXTENSION_IMAGE} renders only nginx and haproxy; a ${kind} proxy needs the image of an extension that renders for it`);
  if (ext.ProxyImage === undefined) problems.push(`${at}.ProxyImage: required for proxy kind ${JSON.stringify(kind)} (there is no default image)`);
  if (ext.ProxyConfigPath === undefined) problems.push(`${at}.ProxyConfigPath: required for proxy kind ${JSON.stringify(kind)} (where the proxy reads its configuration)`);
  if (ext.HitlessServiceUpdate) {
    if (ext.ProxyArgs.length === 0) {
      problems.push(`${at}.ProxyArgs: required for proxy kind ${JSON.stringify(kind)} with HitlessServiceUpdate (the command the proxy agent runs the proxy with)`);
    } else if (ext.ProxyConfigPath !== undefined && !ext.ProxyArgs.some((a) => a.includes(ext.ProxyConfigPath as string))) {
      problems.push(`${at}.ProxyArgs: must name ProxyConfigPath (${ext.ProxyConfigPath}); the proxy agent runs the proxy on its live copy of that file`);
    }
    if ((ext.ProxyReloadCommand === undefined) === (ext.ProxyReloadSignal === undefined)) {
      problems.push(`${at}: set one of ProxyReloadCommand and ProxyReloadSignal for proxy kind ${JSON.stringify(kind)} with HitlessServiceUpdate (how the proxy reloads in place)`);
    }
  }
  return problems;
}

/** ProxyArgs do nothing with in-place updates: the proxy agent starts the proxy itself. */
function argsNotice(name: string, ext: RawExtension, notices: IgnoredKey[]): void {
  if (ext.HitlessServiceUpdate && ext.ProxyArgs.length > 0) {
    notices.push({ key: `Extensions.${name}.ProxyArgs`, reason: 'with HitlessServiceUpdate the proxy agent starts the proxy on ProxyConfigPath itself; ProxyArgs apply only with HitlessServiceUpdate = false' });
  }
}

const isTable = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);

/**
 * `table` with keys that differ from `names` only in case spelled as in `names` (Interlock's Go TOML
 * decoder matches keys case-insensitively). A key whose exact spelling is also present is left alone.
 */
function canonical(table: Record<string, unknown>, names: readonly string[]): Record<string, unknown> {
  const byLower = new Map(names.map((n) => [n.toLowerCase(), n]));
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(table)) {
    const name = byLower.get(key.toLowerCase());
    out[name !== undefined && !(name !== key && name in table) ? name : key] = value;
  }
  return out;
}

/** The TOML document with top-level and extension keys in their canonical spelling. */
function canonicalDocument(doc: Record<string, unknown>): Record<string, unknown> {
  const top = canonical(doc, Object.keys(coreSchema.shape));
  if (isTable(top.Extensions)) {
    const extensions: Record<string, unknown> = {};
    for (const [name, ext] of Object.entries(top.Extensions)) extensions[name] = isTable(ext) ? canonical(ext, Object.keys(extensionSchema.shape)) : ext;
    top.Extensions = extensions;
  }
  return top;
}

const byKey = (a: { key: string }, b: { key: string }) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

/** Ports, service names and clusters that two extensions may not share. */
function clashes(extensions: ExtensionConfig[]): string[] {
  const problems: string[] = [];
  const clusters = new Map<string, string>();
  const names = new Map<string, string>();
  const ports = new Map<number, { name: string; mode: string }>();
  for (const ext of extensions) {
    const other = clusters.get(ext.ServiceCluster);
    if (other !== undefined) problems.push(`Extensions.${ext.Name}.ServiceCluster: cluster ${JSON.stringify(ext.ServiceCluster)} is already served by extension ${other}`);
    clusters.set(ext.ServiceCluster, ext.Name);
    for (const svc of [ext.ServiceName, ext.ProxyServiceName]) {
      const owner = names.get(svc);
      if (owner !== undefined) problems.push(`Extensions.${ext.Name}: service name ${svc} is already used by extension ${owner}`);
      names.set(svc, ext.Name);
    }
    // An ingress port is taken on every node; host-mode proxies of different clusters run on their own
    // nodes (Interlock's service-cluster docs publish the same ports from each), so only ingress clashes.
    for (const p of [ext.PublishedPort, ext.PublishedSSLPort]) {
      const owner = ports.get(p);
      if (owner !== undefined && (owner.mode === 'ingress' || ext.PublishMode === 'ingress' || owner.name === ext.Name)) {
        problems.push(`Extensions.${ext.Name}: published port ${p} is already used by ${owner.name === ext.Name ? 'this extension' : `extension ${owner.name}`}`);
      }
      ports.set(p, { name: ext.Name, mode: ext.PublishMode });
    }
  }
  return problems;
}

/**
 * Validates an extension's `Config` table with its proxy's own parser (the one the extension uses) and
 * returns the ignored keys, or the problem.
 */
function checkProxyConfig(kind: ProxyKindName, name: string, table: Record<string, unknown>): { ignored: IgnoredKey[] } | { problem: string } {
  const parsed = RENDERERS[kind].parseConfig(table);
  if (!parsed.ok) return { problem: `Extensions.${name}.Config: ${parsed.message}` };
  return { ignored: parsed.ignored.map((i) => ({ key: `Extensions.${name}.Config.${i.key}`, reason: i.reason })) };
}

/**
 * Parses and validates core's TOML configuration: Interlock's documented keys (matched
 * case-insensitively, as Interlock's Go decoder does), Switchyard's additions, and each extension's
 * `Config` table checked by its proxy's parser. Keys Switchyard does not use are accepted and listed in
 * {@link CoreConfig.IgnoredKeys}; unknown keys (typos) are errors. Durations are Go durations.
 *
 * @throws {CoreConfigError} naming every bad key (e.g. `Extensions.default.ProxyReplicas: expected number`).
 */
export function parseCoreConfig(text: string): CoreConfig {
  let doc: unknown;
  try {
    doc = parseToml(text);
  } catch (err) {
    throw new CoreConfigError(`config is not valid TOML: ${(err as Error).message}`, { cause: err });
  }
  const document = isTable(doc) ? canonicalDocument(doc) : doc;
  const parsed = coreSchema.safeParse(document);
  if (!parsed.success) {
    const lines = parsed.error.issues.flatMap((i) =>
      i.code === 'unrecognized_keys'
        ? i.keys.map((k) => `${[...i.path, k].join('.')}: unknown key`)
        : [`${i.path.join('.') || '(top level)'}: ${i.message}`],
    );
    throw new CoreConfigError(`invalid core config:\n  ${lines.join('\n  ')}`);
  }
  const cfg = parsed.data;
  const pollMs = durationMs(cfg.PollInterval) as number;
  const ignored: IgnoredKey[] = [];
  if (cfg.AllowInsecure && !(dockerOverTls(cfg.DockerURL) && cfg.TLSCert && cfg.TLSKey)) {
    ignored.push({ key: 'AllowInsecure', reason: "Interlock's switch for an unverified Docker API over TLS, and DockerURL is not TLS here; it never opens core's control plane (that is InsecureControlPlane)" });
  }
  if (cfg.EndpointOverride !== undefined) {
    ignored.push({ key: 'EndpointOverride', reason: 'extensions reach core at CoreAddress (over mutual TLS), not at an endpoint override' });
  }
  const problems: string[] = [];
  const extensions: ExtensionConfig[] = [];
  for (const [name, ext] of Object.entries(cfg.Extensions).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const kind = kindOf(name, ext);
    for (const key of Object.keys(IGNORED_EXTENSION_KEYS)) {
      if (ext[key as keyof RawExtension] !== undefined) ignored.push({ key: `Extensions.${name}.${key}`, reason: IGNORED_EXTENSION_KEYS[key] as string });
    }
    let images: { image: string; args: string[]; proxyImage: string };
    let configPath: string;
    if (isProxyKindName(kind)) {
      const checked = checkProxyConfig(kind, name, ext.Config);
      if ('problem' in checked) problems.push(checked.problem);
      else ignored.push(...checked.ignored);
      images = imagesOf(name, kind, ext, ignored);
      argsNotice(name, ext, ignored);
      configPath = configPathOf(name, kind, ext, images.proxyImage, ignored);
      for (const key of ['ProxyCheckCommand', 'ProxyReloadCommand', 'ProxyReloadSignal'] as const) {
        if (ext[key] !== undefined) ignored.push({ key: `Extensions.${name}.${key}`, reason: `the ${kind} proxy's check and reload are built in; the key is for third-party proxy kinds` });
      }
    } else {
      problems.push(...thirdPartyProblems(name, kind, ext));
      images = { image: ext.Image, args: ext.Args, proxyImage: ext.ProxyImage ?? '' };
      configPath = ext.ProxyConfigPath ?? '';
    }
    const given = isTable(document) && isTable(document.Extensions) && isTable(document.Extensions[name]) ? document.Extensions[name] : {};
    if (ext.PublishMode === 'host' && ext.HitlessServiceUpdate && given.ProxyReplicas !== undefined && ext.ProxyReplicas > 0) {
      ignored.push({
        key: `Extensions.${name}.ProxyReplicas`,
        reason:
          'with PublishMode = "host" and in-place updates one proxy runs on every node ProxyConstraints select (a global service), so a drained or lost node never blocks a change; ProxyReplicas counts proxies in ingress mode and with HitlessServiceUpdate = false (0 still stops them)',
      });
    }
    extensions.push({
      ...ext,
      Image: images.image,
      Args: images.args,
      Name: name,
      ProxyKind: kind,
      ServiceName: ext.ServiceName ?? `switchyard-${name}-extension`,
      ProxyServiceName: ext.ProxyServiceName ?? `switchyard-${name}-proxy`,
      ProxyImage: images.proxyImage,
      ProxyConfigPath: configPath,
      ProxyStopSignal: ext.ProxyStopSignal ?? (isProxyKindName(kind) ? PROXY_DEFAULTS[kind].stopSignal : OTHER_STOP_SIGNAL),
      PollIntervalMs: pollMs,
      ProxyStopGracePeriodMs: durationMs(ext.ProxyStopGracePeriod) as number,
      ProxyUpdateDelayMs: durationMs(ext.ProxyUpdateDelay) as number,
    });
  }
  problems.push(...clashes(extensions));
  if (problems.length > 0) throw new CoreConfigError(`invalid core config:\n  ${problems.join('\n  ')}`);
  return { ...cfg, PollIntervalMs: pollMs, DockerAPITimeoutMs: durationMs(cfg.DockerAPITimeout) as number, Extensions: extensions, IgnoredKeys: ignored.sort(byKey) };
}

/** Notice code of a key that is accepted and has no effect. */
export const IGNORED_KEY = 'ignored-key';
/** Notice code of a key whose value Switchyard replaces (e.g. one of Interlock's images). */
export const REPLACED_KEY = 'replaced-key';

/**
 * One ignored or replaced key as a notice (`switchyard status`, `switchyard lint --config`): its code
 * and a message that names the replacement, if any.
 */
export function keyNotice(i: IgnoredKey): { key: string; code: string; message: string } {
  return i.replacement === undefined ? { key: i.key, code: IGNORED_KEY, message: i.reason } : { key: i.key, code: REPLACED_KEY, message: `replaced by ${i.replacement}: ${i.reason}` };
}

/** True when `url` reaches the Docker API over TCP (where TLSCert/TLSKey/TLSCACert and AllowInsecure apply). */
function dockerOverTls(url: string): boolean {
  return /^(tcp|https):\/\//i.test(url);
}

/**
 * One line per ignored key, e.g. `Extensions.default.Config.Version: ignored (Interlock's extension version
 * stamp; …)`, for logs and the CLI. Empty for none.
 */
export function describeIgnoredKeys(ignored: readonly IgnoredKey[]): string[] {
  return ignored.map((i) => (i.replacement === undefined ? `${i.key}: ignored (${i.reason})` : `${i.key}: replaced by ${i.replacement} (${i.reason})`));
}
