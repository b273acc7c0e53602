/**
 * Interlock's own default configurations, unchanged, on a real swarm: core starts from the file as
 * Interlock prints it (nginx) or as its docs assemble it (HAProxy), deploys the extension and the
 * proxy under the file's names, and routes a labelled service end to end. The same file drives
 * `switchyard render --config`, whose output the real `nginx -t` / `haproxy -c` accept, and
 * `switchyard lint --config`.
 *
 * What the machine changes, not the file: the nginx default places everything on nodes labelled
 * `com.docker.ucp.orchestrator.swarm=true` (UCP's label), so the test labels this node; and both
 * defaults publish through the ingress routing mesh, which this kernel lacks (no IPVS), so requests go
 * to the proxy task's own bridge address instead of a published port.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { E2E_IMAGES, SwarmFixture, docker, dockerLines, httpGet, requireImages, waitFor, type HttpResponse } from '../../e2e-harness/index.js';
import { cli, deployConfigFile, echoOf, type Switchyard } from '../switchyard-fixture.js';

const root = resolve(__dirname, '../../..');
const fixture = (name: string) => join(root, 'tools/fixtures/interlock', name);
const GRPC_PORT = 19141;
const UCP_NODE_LABEL = 'com.docker.ucp.orchestrator.swarm';

const CASES = [
  { file: 'default-nginx.toml', kind: 'nginx' as const, extension: 'default', extensionService: 'ucp-interlock-extension', proxyService: 'ucp-interlock-proxy', replicas: 2, ignored: ['Extensions.default.Config.AdminPass', 'Extensions.default.Config.AdminUser', 'Extensions.default.Config.Version'] },
  { file: 'default-haproxy.toml', kind: 'haproxy' as const, extension: 'haproxy', extensionService: 'interlock-ext-haproxy', proxyService: 'interlock-proxy-haproxy', replicas: 1, ignored: ['Extensions.haproxy.Config.Version'] },
];

/** The bridge (docker_gwbridge) address of each running task container of a service. */
async function bridgeAddresses(service: string): Promise<string[]> {
  const ids = await dockerLines(['ps', '--quiet', '--no-trunc', '--filter', `label=com.docker.swarm.service.name=${service}`]);
  const out = await dockerLines(['network', 'inspect', 'docker_gwbridge', '--format', '{{range $id, $c := .Containers}}{{$id}} {{$c.IPv4Address}}{{"\\n"}}{{end}}']);
  return out
    .map((l) => l.split(' '))
    .filter(([id]) => ids.includes(id ?? ''))
    .map(([, cidr]) => (cidr ?? '').split('/')[0]!)
    .filter((a) => a.length > 0);
}

const get = (address: string, host: string): Promise<HttpResponse> =>
  httpGet({ address, port: 80, host, timeoutMs: 3000 }).catch(() => ({ status: 0, headers: {}, body: '' }) as HttpResponse);

describe.each(CASES)("Interlock's $file, unchanged", (c) => {
  const fx = new SwarmFixture();
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-e2e-interlock-'));
  const host = `${c.kind}.interlock.local`;
  let sy: Switchyard | undefined;
  let node = '';
  let app = '';

  beforeAll(async () => {
    await requireImages([E2E_IMAGES.echo, 'switchyard/core:latest', 'switchyard/extension:latest', E2E_IMAGES.proxyNginx, E2E_IMAGES.proxyHaproxy]);
    node = (await docker(['info', '--format', '{{.Swarm.NodeID}}'])).stdout.trim();
    await docker(['node', 'update', '--label-add', `${UCP_NODE_LABEL}=true`, node]);
    sy = await deployConfigFile(fixture(c.file), GRPC_PORT, { [c.extension]: c.proxyService });
    const net = await fx.createNetwork({ suffix: 'app-net' });
    app = await fx.createService({ image: E2E_IMAGES.echo, suffix: 'app', networks: [net], env: { ECHO_TASK: '{{.Task.Name}}' }, labels: { 'com.docker.lb.hosts': host, 'com.docker.lb.port': '8080' } });
  }, 300_000);

  afterAll(async () => {
    await fx.cleanup().catch((err: Error) => console.warn(err.message));
    await sy?.teardown();
    if (node) await docker(['node', 'update', '--label-rm', UCP_NODE_LABEL, node], { allowFailure: true });
    rmSync(dir, { recursive: true, force: true });
  }, 240_000);

  it('core deploys the extension and the proxy under the names the file gives, with Switchyard images', async () => {
    const services = await waitFor(
      async () => {
        const names = await dockerLines(['service', 'ls', '--format', '{{.Name}} {{.Image}}']);
        const ext = names.find((l) => l.startsWith(`${c.extensionService} `));
        const proxy = names.find((l) => l.startsWith(`${c.proxyService} `));
        return ext && proxy ? { ext, proxy } : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 1000, description: `${c.extensionService} and ${c.proxyService}` },
    );
    expect(services.ext).toBe(`${c.extensionService} switchyard/extension:latest`);
    expect(services.proxy).toBe(`${c.proxyService} switchyard/proxy-${c.kind}:latest`);
    // The file's labels reach the services it describes (Interlock's Labels / ProxyLabels).
    if (c.kind === 'nginx') {
      const labels = JSON.parse((await docker(['service', 'inspect', c.proxyService, '--format', '{{json .Spec.Labels}}'])).stdout) as Record<string, string>;
      expect(labels['com.docker.ucp.InstanceID']).toBe('xybt14ctipeasd7lfggl4hw94');
    }
    // Ignored keys and replaced images are each reported once, by name.
    const logs = await waitFor(async () => {
      const text = (await sy!.coreLogs()) ?? '';
      return text.includes('config key ignored') ? text : undefined;
    }, { timeoutMs: 60_000, intervalMs: 1000, description: "core's ignored-key log lines" });
    for (const key of [...c.ignored, `Extensions.${c.extension}.Image`, `Extensions.${c.extension}.ProxyImage`]) expect(logs).toContain(key);
  }, 180_000);

  it('routes a labelled service through every proxy replica', async () => {
    // The proxy tasks are read again on every attempt: joining the app's network replaces them
    // (start-first in ingress mode), so an address read once may belong to a task on its way out.
    const served = await waitFor(
      async () => {
        const addresses = await bridgeAddresses(c.proxyService);
        if (addresses.length !== c.replicas) return undefined;
        const echoes = await Promise.all(addresses.map(async (address) => ({ address, echo: echoOf(await get(address, host)) })));
        return echoes.every((e) => e.echo !== undefined) ? echoes : undefined;
      },
      { timeoutMs: 180_000, intervalMs: 500, description: `200 from ${host} via each of ${c.replicas} proxy task(s) of ${c.proxyService}` },
    );
    for (const { address, echo } of served) {
      expect(echo?.task.startsWith(`${app}.`)).toBe(true);
      expect((await get(address, 'unknown.interlock.local')).status).toBe(503);
    }
  }, 300_000);

  it("switchyard status lists the file's ignored and replaced keys, and warns that ingress publishing needs IPVS this host lacks", async () => {
    const status = await waitFor(async () => {
      const s = await cli(['status', '--core', `127.0.0.1:${GRPC_PORT}`, '--json']);
      const notices = s.code === 0 ? ((JSON.parse(s.out) as { configNotices?: { key: string; code: string; severity: string }[] }).configNotices ?? []) : [];
      return notices.some((n) => n.code === 'ingress-without-ipvs') ? notices : undefined;
    }, { timeoutMs: 120_000, intervalMs: 2000, description: 'the ingress-without-ipvs notice in switchyard status' });
    expect(status[0]).toMatchObject({ key: `Extensions.${c.extension}.PublishMode`, code: 'ingress-without-ipvs', severity: 'NOTICE_SEVERITY_WARNING' });
    const keys = status.map((n) => `${n.code} ${n.key}`);
    for (const key of c.ignored) expect(keys).toContain(`ignored-key ${key}`);
    expect(keys).toContain(`replaced-key Extensions.${c.extension}.Image`);
    expect(keys).toContain(`replaced-key Extensions.${c.extension}.ProxyImage`);
  }, 180_000);

  it('switchyard snapshot, then render --config and lint --config on the same file', async () => {
    const snap = join(dir, 'snapshot.json');
    const taken = await cli(['snapshot', '--out', snap]);
    expect(taken.code).toBe(0);
    expect(readFileSync(snap, 'utf8')).toContain(host);

    const out = join(dir, 'rendered');
    const rendered = await cli(['render', '--snapshot', snap, '--config', fixture(c.file), '--extension', c.extension, '--out', out]);
    expect(rendered).toMatchObject({ code: 0 });
    const main = join(out, c.kind === 'nginx' ? 'nginx.conf' : 'haproxy.cfg');
    const files = readdirSync(out, { recursive: true, withFileTypes: true }).filter((f) => f.isFile());
    expect(files.map((f) => readFileSync(join(f.parentPath, f.name), 'utf8')).join('\n')).toContain(host);
    // Interlock's defaults log to /dev/stdout, which nginx opens itself: give it a file, not a socket.
    const log = join(dir, `${c.kind}-check.log`);
    const fd = openSync(log, 'w');
    const args = c.kind === 'nginx' ? ['-t', '-q', '-c', main] : ['-dW', '-c', '-f', main];
    const check = spawnSync(c.kind, args, { stdio: ['ignore', fd, fd], timeout: 30_000 });
    closeSync(fd);
    expect({ status: check.status, output: readFileSync(log, 'utf8') }).toEqual({ status: 0, output: expect.any(String) });

    const lint = await cli(['lint', '--snapshot', snap, '--config', fixture(c.file), '--json']);
    expect(lint.code).toBe(0);
    const report = JSON.parse(lint.out) as { services: { name: string; routed: boolean }[] };
    expect(report.services.find((s) => s.name === app)).toMatchObject({ routed: true });

    // Wrong-kind input is an input error that names the file, never an empty report.
    const empty = join(dir, 'empty.json');
    writeFileSync(empty, '{}');
    const wrong = await cli(['lint', '--snapshot', empty, '--config', fixture(c.file)]);
    expect(wrong.code).toBe(2);
    expect(wrong.err).toContain(empty);
    // So is a malformed file, and a model given where a snapshot belongs.
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{"services": [');
    const malformed = await cli(['lint', '--snapshot', broken]);
    expect([malformed.code, malformed.err.includes(broken)]).toEqual([2, true]);
    const model = join(dir, 'model.json');
    writeFileSync(model, JSON.stringify({ version: '3', hash: 'ab', hosts: [{ host, routes: [{ path: '/', upstream: 'app' }] }], upstreams: [{ name: 'app', endpoints: [] }] }));
    const asSnapshot = await cli(['lint', '--snapshot', model]);
    expect([asSnapshot.code, asSnapshot.err.includes(model)]).toEqual([2, true]);
  }, 180_000);
});
