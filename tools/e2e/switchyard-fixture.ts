/**
 * Deploys Switchyard for an end-to-end test exactly as a user would: core as a swarm service from a
 * TOML config (tools/swarm/up.sh), which then deploys the extension and proxy services itself.
 * Everything is named after the test's SwarmFixture id and removed by `teardown()`.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { connectExtensionClient, loadCredentials, type ExtensionConnection } from '@switchyard/proto/client';
import { runCli } from '../../apps/cli/src/index.js';
import { docker, dockerLines, httpGet, waitFor, type HttpResponse, type SwarmFixture } from '../e2e-harness/index.js';

const root = resolve(__dirname, '../..');

/** One `[Extensions.<name>]` section for {@link deploySwitchyard}. */
export interface ExtensionSpec {
  name: string;
  /** `nginx`, `haproxy`, or a third-party kind (its images and commands go in `extra`). */
  kind: string;
  httpPort: number;
  httpsPort: number;
  serviceCluster?: string;
  /** Extra TOML lines for the section (e.g. `ProxyStopGracePeriod = "1s"`). */
  extra?: string;
  /** `[Extensions.<name>.Config]` lines. */
  config?: string;
}

/** A deployed Switchyard. */
export interface Switchyard {
  core: string;
  /** Scratch directory of this deployment (config, operator.pem). */
  dir: string;
  coreNetwork: string;
  grpc: ExtensionConnection;
  /** Proxy service name of an extension. */
  proxy(name: string): string;
  /** Core's log (last lines). */
  coreLogs(): Promise<string>;
  teardown(): Promise<void>;
}

/**
 * Writes the config, runs tools/swarm/up.sh and connects to core's published gRPC port (and
 * publishes core's /metrics port when `metricsPort` is given); `topLevel` is TOML put before the sections.
 */
export async function deploySwitchyard(fx: SwarmFixture, grpcPort: number, extensions: ExtensionSpec[], metricsPort?: number, topLevel = ''): Promise<Switchyard> {
  const core = `${fx.id}-core`;
  const coreNetwork = `${fx.id}-core-net`;
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-e2e-'));
  const sections = extensions.map(
    (e) => `
[Extensions.${e.name}]
ProxyKind = "${e.kind}"
ServiceName = "${fx.id}-${e.name}-ext"
ProxyServiceName = "${fx.id}-${e.name}-proxy"
ServiceCluster = "${e.serviceCluster ?? ''}"
ProxyStopGracePeriod = "2s"
ProxyUpdateDelay = "0s"
PublishMode = "host"
PublishedPort = ${e.httpPort}
PublishedSSLPort = ${e.httpsPort}
${e.extra ?? ''}
${e.config ? `[Extensions.${e.name}.Config]\n${e.config}` : ''}
`,
  );
  const file = join(dir, 'switchyard.toml');
  writeFileSync(file, `ListenAddr = ":8080"\nPollInterval = "2s"\nCoreAddress = "${core}:8080"\nCoreNetwork = "${coreNetwork}"\n${topLevel}\n${sections.join('\n')}`);
  return startCore({ file, dir, core, coreNetwork, grpcPort, metricsPort, proxy: (name) => `${fx.id}-${name}-proxy` });
}

/**
 * Deploys core from a configuration file used as it is (e.g. one of Interlock's), under the names
 * such a file assumes: core service `switchyard-core` on network `switchyard` (`CoreAddress` and
 * `CoreNetwork` defaults). `proxy(name)` of the result is the extension's proxy service name as given.
 */
export async function deployConfigFile(file: string, grpcPort: number, proxyServices: Record<string, string>): Promise<Switchyard> {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-e2e-'));
  return startCore({ file, dir, core: 'switchyard-core', coreNetwork: 'switchyard', grpcPort, proxy: (name) => proxyServices[name] ?? name });
}

async function startCore(o: { file: string; dir: string; core: string; coreNetwork: string; grpcPort: number; metricsPort?: number; proxy: (name: string) => string }): Promise<Switchyard> {
  const { file, dir, core, coreNetwork, grpcPort, metricsPort } = o;
  execFileSync('bash', [join(root, 'tools/swarm/up.sh'), file, core, coreNetwork], {
    env: { ...process.env, SWITCHYARD_CORE_PUBLISH: String(grpcPort), ...(metricsPort ? { SWITCHYARD_METRICS_PUBLISH: String(metricsPort) } : {}) },
    stdio: 'pipe',
  });
  // The operator credentials the CLI and these tests use (core issues them from its CA).
  const credentials = join(dir, 'operator.pem');
  await new Promise<void>((resolve, reject) =>
    execFile('bash', [join(root, 'tools/swarm/credentials.sh'), core, credentials, 'e2e'], { timeout: 150_000 }, (err, _out, stderr) => (err ? reject(new Error(`operator credentials: ${stderr || err.message}`)) : resolve())),
  );
  operatorCredentials = credentials;
  const grpc = connectExtensionClient(`127.0.0.1:${grpcPort}`, { tls: loadCredentials({ bundle: credentials }) });
  return {
    core,
    dir,
    coreNetwork,
    grpc,
    proxy: o.proxy,
    coreLogs: async () => (await docker(['service', 'logs', '--raw', '--tail', '500', core], { allowFailure: true, timeoutMs: 20_000 })).stdout,
    async teardown() {
      grpc.close();
      try {
        execFileSync('bash', [join(root, 'tools/swarm/down.sh'), core, coreNetwork], { stdio: 'pipe' });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/** GET through a proxy's HTTP port with a Host header; connection errors become status 0. */
export function viaProxy(port: number, host: string, path = '/', headers: Record<string, string> = {}): Promise<HttpResponse> {
  return httpGet({ port, host, path, headers, timeoutMs: 3000 }).catch(() => ({ status: 0, headers: {}, body: '' }) as HttpResponse);
}

/** What the e2e echo backend answers. */
export interface Echo {
  task: string;
  path: string;
  method: string;
  headers: Record<string, string>;
}

/** The echo JSON of a 200 response, else undefined. */
export function echoOf(res: HttpResponse): Echo | undefined {
  if (res.status !== 200) return undefined;
  try {
    return JSON.parse(res.body) as Echo;
  } catch {
    return undefined;
  }
}

/** Waits (bounded) until `host` answers 200 from the echo backend through the proxy on `port`. */
export function until200(port: number, host: string, path = '/', timeoutMs = 150_000): Promise<Echo> {
  return waitFor(async () => echoOf(await viaProxy(port, host, path)), { timeoutMs, intervalMs: 300, description: `200 from ${host}${path} on port ${port}` });
}

/** The operator credentials of the last deployed core (what {@link cli} uses). */
let operatorCredentials: string | undefined;

/** Runs the `switchyard` CLI in-process and captures its output and exit code. */
export async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const env = operatorCredentials ? { SWITCHYARD_TLS_BUNDLE: operatorCredentials } : {};
  const code = await runCli(argv, { stdout: (t) => (out += t), stderr: (t) => (err += t), env, cwd: process.cwd(), now: () => Date.now() });
  return { code, out, err };
}

/**
 * The configuration the proxy service's one running container serves: the proxy agent's live
 * directory in hitless mode, the files Docker mounted in rolling mode (main file and
 * `switchyard.d/` parts, concatenated). Undefined while there is not exactly one container.
 */
export async function runningProxyConfig(proxyService: string, kind: 'nginx' | 'haproxy'): Promise<string | undefined> {
  const ids = await dockerLines(['ps', '--quiet', '--filter', `label=com.docker.swarm.service.name=${proxyService}`]);
  if (ids.length !== 1) return undefined;
  // Both proxy images carry both packages' default files: read the directory of this kind only.
  const [dir, main] = kind === 'nginx' ? ['/etc/nginx', 'nginx.conf'] : ['/etc/haproxy', 'haproxy.cfg'];
  const script = `if [ -d /run/switchyard/live ]; then cd /run/switchyard/live; else cd ${dir}; fi; for f in ${main} switchyard.d/*; do if [ -f "$f" ]; then cat "$f"; fi; done`;
  const { stdout, exitCode } = await docker(['exec', ids[0]!, 'sh', '-c', script], { allowFailure: true, timeoutMs: 15_000 });
  return exitCode === 0 ? stdout : undefined;
}
