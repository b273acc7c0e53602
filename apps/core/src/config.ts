import { parse as parseToml } from 'smol-toml';
import type { DockerPort } from '@switchyard/reconciler';
import { z } from 'zod';

/** Proxies Switchyard renders for out of the box. */
export type ProxyKindName = 'nginx' | 'haproxy';

/** Thrown when core's TOML configuration is unreadable or invalid; the message names each bad key. */
export class CoreConfigError extends Error {
  readonly code = 'invalid-core-config';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CoreConfigError';
  }
}

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/;

/** Parses a Go-style duration ("3s", "500ms", "1m", "1h") into milliseconds. */
export function parseDuration(value: string): number {
  const m = DURATION.exec(value.trim());
  if (!m) throw new Error(`not a duration: ${JSON.stringify(value)} (use e.g. "500ms", "3s", "1m")`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
  return Math.round(Number(m[1]) * unit);
}

const duration = z.string().refine((v) => DURATION.test(v.trim()), { message: 'expected a duration like "500ms", "3s" or "1m"' });
const port = z.number().int().min(1).max(65535);
const stringMap = z.record(z.string(), z.string());
const serviceName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/, 'expected a Docker service name');

const extensionSchema = z
  .object({
    Image: z.string().min(1).default('switchyard/extension:latest'),
    Args: z.array(z.string()).default([]),
    Labels: stringMap.default({}),
    ContainerLabels: stringMap.default({}),
    Constraints: z.array(z.string()).default([]),
    PlacementPreferences: z.array(z.string()).default([]),
    ServiceName: serviceName.optional(),
    ProxyKind: z.enum(['nginx', 'haproxy']).optional(),
    ProxyImage: z.string().min(1).optional(),
    ProxyArgs: z.array(z.string()).default([]),
    ProxyLabels: stringMap.default({}),
    ProxyContainerLabels: stringMap.default({}),
    ProxyServiceName: serviceName.optional(),
    ProxyConfigPath: z.string().regex(/^\/[A-Za-z0-9_./-]+$/, 'expected an absolute file path').optional(),
    ProxyReplicas: z.number().int().min(0).max(100).default(2),
    // Default by proxy kind: nginx drains on SIGQUIT, HAProxy in master-worker mode on SIGUSR1.
    ProxyStopSignal: z.string().regex(/^SIG[A-Z0-9]+$/, 'expected a signal name like "SIGQUIT"').optional(),
    ProxyStopGracePeriod: duration.default('5s'),
    ProxyConstraints: z.array(z.string()).default([]),
    ProxyPlacementPreferences: z.array(z.string()).default([]),
    ProxyUpdateDelay: duration.default('1s'),
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
    // Interlock's separate config service; Switchyard's core delivers configs itself. Accepted
    // (so Interlock files load unchanged) and ignored.
    ConfigImage: z.string().optional(),
    ConfigServiceName: z.string().optional(),
  })
  .strict();

const coreSchema = z
  .object({
    ListenAddr: z.string().regex(/^[^\s]*:\d{1,5}$/, 'expected "[host]:port"').default(':8080'),
    MetricsAddr: z.string().regex(/^[^\s]*:\d{1,5}$/, 'expected "[host]:port"').default(':8081'),
    DockerURL: z.string().min(1).default('unix:///var/run/docker.sock'),
    TLSCACert: z.string().optional(),
    TLSCert: z.string().optional(),
    TLSKey: z.string().optional(),
    // Interlock's key: only an explicit true lets core's gRPC API run without mutual TLS.
    AllowInsecure: z.boolean().default(false),
    // Bring your own control-plane CA (PEM files, both or neither); default: core creates one.
    ControlPlaneCACert: z.string().min(1).optional(),
    ControlPlaneCAKey: z.string().min(1).optional(),
    // Which services may use a secret as their certificate: only those the secret's labels allow
    // ("labelled", the default), or any service that names it (Interlock's behaviour: "any").
    SecretPolicy: z.enum(['labelled', 'any']).default('labelled'),
    PollInterval: duration.default('3s'),
    EndpointOverride: z.string().optional(),
    CoreAddress: z.string().min(1).default('switchyard-core:8080'),
    CoreNetwork: z.string().min(1).default('switchyard'),
    Extensions: z.record(z.string().regex(/^[A-Za-z0-9_.-]+$/, 'extension names use letters, digits, "_", "." or "-"'), extensionSchema).default({}),
  })
  .strict();

type RawExtension = z.output<typeof extensionSchema>;

/** One `[Extensions.<name>]` section, with defaults filled in and derived values resolved. */
export interface ExtensionConfig extends Omit<RawExtension, 'ServiceName' | 'ProxyServiceName' | 'ProxyImage' | 'ProxyConfigPath' | 'ProxyKind' | 'ProxyStopSignal'> {
  ProxyStopSignal: string;
  Name: string;
  ProxyKind: ProxyKindName;
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
  Extensions: ExtensionConfig[];
}

const PROXY_DEFAULTS: Record<ProxyKindName, { image: string; configPath: string; stopSignal: string }> = {
  nginx: { image: 'switchyard/proxy-nginx:latest', configPath: '/etc/nginx/nginx.conf', stopSignal: 'SIGQUIT' },
  haproxy: { image: 'switchyard/proxy-haproxy:latest', configPath: '/etc/haproxy/haproxy.cfg', stopSignal: 'SIGUSR1' },
};

function kindOf(name: string, ext: RawExtension): ProxyKindName {
  if (ext.ProxyKind) return ext.ProxyKind;
  const image = `${ext.Image} ${ext.ProxyImage ?? ''}`.toLowerCase();
  if (image.includes('haproxy')) return 'haproxy';
  if (name.toLowerCase().includes('haproxy')) return 'haproxy';
  return 'nginx';
}

/**
 * Parses and validates core's TOML configuration. Throws {@link CoreConfigError} naming every bad
 * key (e.g. `Extensions.default.ProxyReplicas: expected number`). Unknown keys are errors.
 * `validateProxyConfig` is called for each extension's `Config` table with its proxy kind and should
 * throw on invalid proxy options (core passes the renderers' own validators).
 */
export function parseCoreConfig(
  text: string,
  validateProxyConfig?: (kind: ProxyKindName, config: Record<string, unknown>) => void,
): CoreConfig {
  let raw: unknown;
  try {
    raw = parseToml(text);
  } catch (err) {
    throw new CoreConfigError(`config is not valid TOML: ${(err as Error).message}`, { cause: err });
  }
  const parsed = coreSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.') || '(top level)'}: ${i.message}`);
    throw new CoreConfigError(`invalid core config:\n  ${lines.join('\n  ')}`);
  }
  const cfg = parsed.data;
  const pollMs = parseDuration(cfg.PollInterval);
  const extensions: ExtensionConfig[] = [];
  const problems: string[] = [];
  const clusters = new Map<string, string>();
  const names = new Map<string, string>();
  const ports = new Map<number, string>();
  for (const [name, ext] of Object.entries(cfg.Extensions).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const kind = kindOf(name, ext);
    const resolved: ExtensionConfig = {
      ...ext,
      Name: name,
      ProxyKind: kind,
      ServiceName: ext.ServiceName ?? `switchyard-${name}-extension`,
      ProxyServiceName: ext.ProxyServiceName ?? `switchyard-${name}-proxy`,
      ProxyImage: ext.ProxyImage ?? PROXY_DEFAULTS[kind].image,
      ProxyConfigPath: ext.ProxyConfigPath ?? PROXY_DEFAULTS[kind].configPath,
      ProxyStopSignal: ext.ProxyStopSignal ?? PROXY_DEFAULTS[kind].stopSignal,
      PollIntervalMs: pollMs,
      ProxyStopGracePeriodMs: parseDuration(ext.ProxyStopGracePeriod),
      ProxyUpdateDelayMs: parseDuration(ext.ProxyUpdateDelay),
    };
    const other = clusters.get(ext.ServiceCluster);
    if (other !== undefined) problems.push(`Extensions.${name}.ServiceCluster: cluster ${JSON.stringify(ext.ServiceCluster)} is already served by extension ${other}`);
    clusters.set(ext.ServiceCluster, name);
    for (const svc of [resolved.ServiceName, resolved.ProxyServiceName]) {
      const owner = names.get(svc);
      if (owner !== undefined) problems.push(`Extensions.${name}: service name ${svc} is already used by extension ${owner}`);
      names.set(svc, name);
    }
    for (const p of [ext.PublishedPort, ext.PublishedSSLPort]) {
      const owner = ports.get(p);
      if (owner !== undefined) problems.push(`Extensions.${name}: published port ${p} is already used by ${owner === name ? 'this extension' : `extension ${owner}`}`);
      ports.set(p, name);
    }
    if (validateProxyConfig) {
      try {
        validateProxyConfig(kind, ext.Config);
      } catch (err) {
        problems.push(`Extensions.${name}.Config: ${(err as Error).message}`);
      }
    }
    extensions.push(resolved);
  }
  if (problems.length > 0) throw new CoreConfigError(`invalid core config:\n  ${problems.join('\n  ')}`);
  return { ...cfg, PollIntervalMs: pollMs, Extensions: extensions };
}

/**
 * Reads core's TOML from a Docker Config object, as Interlock can: the object's data is the file.
 * Throws {@link CoreConfigError} when no config has exactly that name.
 */
export async function readConfigObject(docker: DockerPort, name: string): Promise<string> {
  const found = (await docker.listConfigs({ name: [name] })).find((c) => c.Spec?.Name === name);
  if (!found?.Spec?.Data) throw new CoreConfigError(`Docker Config ${JSON.stringify(name)} not found (or empty)`);
  return Buffer.from(found.Spec.Data, 'base64').toString('utf8');
}
