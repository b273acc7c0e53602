import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'nice-grpc';
import { ExtensionServiceDefinition, NoticeSeverity, type ConfigNotice } from '@switchyard/proto';
import { connectExtensionClient } from '@switchyard/proto/client';
import { noopLogger, type Logger } from '@switchyard/reconciler';
import { FakeDockerPort } from '@switchyard/reconciler/testing';
import { parseCoreConfig } from '../src/config.js';
import { IGNORED_KEY, ignoredKeyNotices, sortNotices } from '../src/config-notices.js';
import { insecureCallers, type CallerContext } from '../src/control-plane.js';
import { Core } from '../src/core.js';
import { INGRESS_WITHOUT_IPVS, RoutingMeshCheck, procIpvsProbe } from '../src/routing-mesh.js';
import { MANAGED_BY, MANAGED_BY_VALUE, ROLE } from '../src/specs.js';

const INFO = NoticeSeverity.NOTICE_SEVERITY_INFO;
const WARNING = NoticeSeverity.NOTICE_SEVERITY_WARNING;

/** A logger that records what it was told. */
function recordingLogger(): Logger & { lines: { level: string; message: string; meta?: Record<string, unknown> }[] } {
  const lines: { level: string; message: string; meta?: Record<string, unknown> }[] = [];
  const at = (level: string) => (message: string, meta?: Record<string, unknown>) => void lines.push({ level, message, meta });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

const ingressConfig = () =>
  parseCoreConfig(`[Extensions.default]\nPublishMode = "ingress"\nPublishedSSLPort = 8443\n[Extensions.default.Config]\nVersion = ""\nAdminUser = ""\n[Extensions.edge]\nServiceCluster = "edge"\nPublishedPort = 81\nPublishedSSLPort = 444\n`);

describe('ignoredKeyNotices and sortNotices', () => {
  it('turns each ignored key into an info notice with its reason', () => {
    expect(ignoredKeyNotices([{ key: 'EndpointOverride', reason: 'not used' }])).toEqual([{ key: 'EndpointOverride', code: IGNORED_KEY, message: 'not used', severity: INFO }]);
    expect(ignoredKeyNotices([])).toEqual([]);
  });

  it('puts warnings first, then sorts by key and code, without touching its input', () => {
    const n = (key: string, code: string, severity: NoticeSeverity): ConfigNotice => ({ key, code, message: '', severity });
    const input = [n('b', 'x', INFO), n('z', 'w', WARNING), n('a', 'y', INFO), n('a', 'x', INFO), n('c', 'w', WARNING)];
    expect(sortNotices(input).map((x) => `${x.key}/${x.code}`)).toEqual(['c/w', 'z/w', 'a/x', 'a/y', 'b/x']);
    expect(input[0]?.key).toBe('b');
  });
});

describe('procIpvsProbe', () => {
  it('answers whether the file exists, never rejects', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-ipvs-'));
    writeFileSync(join(dir, 'ip_vs'), 'IP Virtual Server version 1.2.1\n');
    await expect(procIpvsProbe(join(dir, 'ip_vs'))()).resolves.toBe(true);
    await expect(procIpvsProbe(join(dir, 'missing'))()).resolves.toBe(false);
  });
});

describe('RoutingMeshCheck', () => {
  const [ingress] = ingressConfig().Extensions;

  it('warns once per ingress extension when IPVS is missing after the grace period, with a warning notice', async () => {
    const logger = recordingLogger();
    let now = 1_000;
    let probes = 0;
    const check = new RoutingMeshCheck({ probe: async () => (probes++, false), logger, graceMs: 30_000, now: () => now });
    await check.observe([ingress!]);
    expect(check.notices()).toEqual([]);
    now += 29_999;
    await check.observe([ingress!]);
    expect(check.notices()).toEqual([]);
    expect(logger.lines).toEqual([]);
    now += 1;
    await check.observe([ingress!]);
    await check.observe([ingress!]);
    expect(probes).toBe(4);
    const warnings = logger.lines.filter((l) => l.level === 'warn');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.message).toBe(
      'extension default publishes ports 80 and 8443 through Swarm\'s routing mesh (PublishMode = "ingress"), but this host\'s kernel has no IPVS (/proc/net/ip_vs is missing): connections to those ports will likely be refused. Set PublishMode = "host" in [Extensions.default].',
    );
    expect(warnings[0]?.meta).toMatchObject({ extension: 'default', proxyService: 'switchyard-default-proxy', publishMode: 'ingress', ports: [80, 8443] });
    expect(check.notices()).toEqual([{ key: 'Extensions.default.PublishMode', code: INGRESS_WITHOUT_IPVS, severity: WARNING, message: warnings[0]?.message }]);
  });

  it('stops probing once IPVS is seen, and drops its notice then', async () => {
    const logger = recordingLogger();
    let present = false;
    let probes = 0;
    const check = new RoutingMeshCheck({ probe: async () => (probes++, present), logger, graceMs: 0 });
    await check.observe([ingress!]);
    expect(check.notices()).toHaveLength(1);
    present = true;
    await check.observe([ingress!]);
    expect(check.notices()).toEqual([]);
    expect(logger.lines.map((l) => l.level)).toEqual(['warn', 'info']);
    await check.observe([ingress!]);
    expect(probes).toBe(2);
  });

  it('does not probe without an ingress proxy service, and says nothing when IPVS is there', async () => {
    const logger = recordingLogger();
    let probes = 0;
    const check = new RoutingMeshCheck({ probe: async () => (probes++, true), logger, graceMs: 0 });
    await check.observe([]);
    expect(probes).toBe(0);
    await check.observe([ingress!]);
    expect(probes).toBe(1);
    expect(check.notices()).toEqual([]);
    expect(logger.lines).toEqual([]);
  });

  it('treats a probe that throws as IPVS missing', async () => {
    const check = new RoutingMeshCheck({ probe: () => Promise.reject(new Error('EACCES')), logger: noopLogger, graceMs: 0 });
    await check.observe([ingress!]);
    expect(check.notices().map((n) => n.code)).toEqual([INGRESS_WITHOUT_IPVS]);
  });
});

describe("Core's GetStatus config_notices", () => {
  /** GetStatus over real gRPC on loopback. */
  async function statusOf(core: Core) {
    const server: Server<CallerContext> = createServer().use(insecureCallers());
    server.add(ExtensionServiceDefinition, core.service);
    const conn = connectExtensionClient(`127.0.0.1:${await server.listen('127.0.0.1:0')}`);
    try {
      return await conn.client.getStatus({});
    } finally {
      conn.close();
      await server.shutdown();
    }
  }

  it("lists the config's ignored keys (info) and, once the ingress proxy exists on a host without IPVS, a warning first", async () => {
    const docker = new FakeDockerPort();
    docker.addNetwork({ Name: 'switchyard' });
    const config = ingressConfig();
    let probes = 0;
    const core = new Core({ config, docker, logger: noopLogger, routingMesh: new RoutingMeshCheck({ probe: async () => (probes++, false), logger: noopLogger, graceMs: 0 }) });

    const before = await statusOf(core);
    expect(before.configNotices).toEqual(ignoredKeyNotices(config.IgnoredKeys));
    expect(before.configNotices.map((n) => n.key)).toEqual(['Extensions.default.Config.AdminUser', 'Extensions.default.Config.Version']);
    expect(before.configNotices.every((n) => n.severity === INFO && n.code === IGNORED_KEY)).toBe(true);

    // The proxy service appears (delivered by core); the next deploy round checks the routing mesh.
    await docker.createService({ Name: 'switchyard-default-proxy', Labels: { [MANAGED_BY]: MANAGED_BY_VALUE, [ROLE]: 'proxy' } });
    await docker.createService({ Name: 'switchyard-edge-proxy', Labels: { [MANAGED_BY]: MANAGED_BY_VALUE, [ROLE]: 'proxy' } });
    core.start();
    try {
      const deadline = Date.now() + 10_000;
      while ((probes === 0 || !core.hub.current('')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    } finally {
      await core.stop();
    }
    const after = await statusOf(core);
    expect(after.configNotices.map((n) => [n.severity, n.key, n.code])).toEqual([
      [WARNING, 'Extensions.default.PublishMode', INGRESS_WITHOUT_IPVS],
      [INFO, 'Extensions.default.Config.AdminUser', IGNORED_KEY],
      [INFO, 'Extensions.default.Config.Version', IGNORED_KEY],
    ]);
    expect(after.configNotices[0]?.message).toContain('Set PublishMode = "host" in [Extensions.default]');
  });

  it('is empty for a config without ignored keys on a host-mode setup', async () => {
    const docker = new FakeDockerPort();
    const core = new Core({ config: parseCoreConfig('[Extensions.default]\n'), docker, logger: noopLogger, deployExtensions: false });
    expect((await statusOf(core)).configNotices).toEqual([]);
  });
});
