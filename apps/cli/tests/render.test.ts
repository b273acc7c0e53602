import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProxyModel } from '@switchyard/proto';
import { renderHaproxy } from '@switchyard/render-haproxy';
import { renderNginx } from '@switchyard/render-nginx';
import { fixtureModel, run, startFakeCore, type FakeCore } from './helpers.js';

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'switchyard-cli-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('switchyard render from the live model', () => {
  let core: FakeCore;
  beforeAll(async () => {
    core = await startFakeCore();
  });
  afterAll(() => core.close());

  it('prints exactly what the nginx renderer makes of core model, diagnostics on stderr', async () => {
    const { code, stdout, stderr } = await run(['render', '--proxy', 'nginx', '--core', core.address]);
    expect(code).toBe(0);
    expect(stdout).toBe(renderNginx(fixtureModel()).files[0]?.content);
    expect(stdout).toContain('server_name web.example.com;');
    expect(stderr.split('\n')).toEqual([
      expect.stringMatching(/^model: {2}error +broken +com\.docker\.lb\.port +invalid-port: /),
      expect.stringMatching(/^model: {2}error +lost +com\.docker\.lb\.network +unknown-network: /),
      '',
    ]);
  });

  it('renders HAProxy too', async () => {
    const { code, stdout } = await run(['render', '--proxy', 'haproxy', '--core', core.address]);
    expect(code).toBe(0);
    expect(stdout).toBe(renderHaproxy(fixtureModel()).files[0]?.content);
    expect(stdout).toMatch(/^frontend /m);
  });

  it('--out writes every file under the directory instead of printing', async () => {
    const out = join(tmp, 'live-out');
    const { code, stdout, stderr } = await run(['render', '--proxy', 'nginx', '--core', core.address, '--out', out]);
    expect(code).toBe(0);
    expect(stdout).toBe('');
    expect(readdirSync(out)).toEqual(['nginx.conf']);
    expect(readFileSync(join(out, 'nginx.conf'), 'utf8')).toBe(renderNginx(fixtureModel()).files[0]?.content);
    expect(stderr).toContain(`wrote ${join(out, 'nginx.conf')}`);
  });

  it('--json prints files and diagnostics', async () => {
    const { code, stdout } = await run(['render', '--proxy', 'nginx', '--core', core.address, '--json']);
    expect(code).toBe(0);
    const json = JSON.parse(stdout);
    expect(json.modelVersion).toBe(12);
    expect(json.files.map((f: { path: string }) => f.path)).toEqual(['nginx.conf']);
    expect(json.modelDiagnostics.map((d: { code: string }) => d.code)).toEqual(['invalid-port', 'unknown-network']);
  });

  it('exits 1 when core has no model for the cluster', async () => {
    const { code, stderr } = await run(['render', '--proxy', 'nginx', '--cluster', 'nope', '--core', core.address]);
    expect(code).toBe(1);
    expect(stderr).toContain('no model for service cluster "nope"');
  });
});

describe('switchyard render offline', () => {
  it('renders a snapshot file with the options of an Interlock TOML extension', async () => {
    const { code, stdout } = await run(['render', '--snapshot', 'snapshot.json', '--config', 'core.toml', '--extension', 'default']);
    expect(code).toBe(0);
    expect(stdout).toContain('worker_processes 2;');
    expect(stdout).toContain('worker_connections 2048;');
    expect(stdout).toContain('listen 8080;'); // TargetPort
    expect(stdout).toContain('listen 8443 ssl;'); // TargetSSLPort
    expect(stdout).toContain('server 10.0.1.21:9000;');
  });

  it('the rendered nginx config passes the real nginx -t', async () => {
    const { code, stdout } = await run(['render', '--snapshot', 'snapshot.json', '--config', 'core.toml', '--extension', 'default']);
    expect(code).toBe(0);
    const dir = mkdtempSync(join(tmp, 'nginx-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=shop.example.com', '-keyout', 'shop.cert.pem.key', '-out', 'shop.cert.pem'], { cwd: dir, stdio: 'pipe' });
    const conf = join(dir, 'nginx.conf');
    writeFileSync(conf, stdout.split('/run/secrets/').join(`${dir}/`));
    const log = join(dir, 'check.log');
    const result = spawnSync('sh', ['-c', `nginx -t -q -c "${conf}" >"${log}" 2>&1`], { timeout: 30_000 });
    expect({ status: result.status, output: readFileSync(log, 'utf8') }).toEqual({ status: 0, output: '' });
  });

  it('takes the proxy kind, ports and cluster from the extension section', async () => {
    const { code, stdout } = await run(['render', '--snapshot', 'snapshot.json', '--config', 'core.toml', '--extension', 'lb-haproxy']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^ {4}maxconn 4096$/m);
    expect(stdout).toMatch(/^ {4}bind :8081$/m);
    // cluster "edge" has no services in the snapshot
    expect(stdout).not.toContain('web.example.com');
    const withCluster = await run(['render', '--snapshot', 'snapshot.json', '--config', 'core.toml', '--extension', 'lb-haproxy', '--cluster', '']);
    expect(withCluster.stdout).toContain('web.example.com');
  });

  it('renders a ProxyModel JSON file', async () => {
    const file = join(tmp, 'model.json');
    writeFileSync(file, JSON.stringify(ProxyModel.toJSON(fixtureModel())));
    const { code, stdout } = await run(['render', '--proxy', 'nginx', '--model', file]);
    expect(code).toBe(0);
    expect(stdout).toBe(renderNginx(fixtureModel()).files[0]?.content);
  });

  it('rejects an invalid Config table with exit 2, naming the key', async () => {
    const file = join(tmp, 'bad.toml');
    writeFileSync(file, '[Extensions.x]\n[Extensions.x.Config]\nMaxConnections = "lots"\nNoSuchKey = 1\n');
    const { code, stderr, stdout } = await run(['render', '--proxy', 'nginx', '--snapshot', 'snapshot.json', '--config', file]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain('Extensions.x.Config: invalid nginx extension config');
    expect(stderr).toContain('MaxConnections');
    expect(stderr).toContain('NoSuchKey: unknown key');
  });

  it("refuses what core refuses: an unknown top-level key (core's own parser)", async () => {
    const file = join(tmp, 'typo.toml');
    writeFileSync(file, 'PolInterval = "3s"\n[Extensions.x]\n');
    const { code, stderr } = await run(['render', '--proxy', 'nginx', '--snapshot', 'snapshot.json', '--config', file]);
    expect(code).toBe(2);
    expect(stderr).toContain('PolInterval: unknown key');
  });

  it("renders Interlock's documented default configuration unchanged, listing the keys it ignores", async () => {
    const file = join(__dirname, '..', '..', '..', 'tools', 'fixtures', 'interlock', 'default-nginx.toml');
    const { code, stdout, stderr } = await run(['render', '--snapshot', 'snapshot.json', '--config', file]);
    expect(code).toBe(0);
    expect(stdout).toContain("log_format main '$remote_addr - $remote_user [$time_local] \"$request\" ' '$status");
    expect(stderr).toContain('config: Extensions.default.Config.Version: ignored (');
    expect(stderr).toContain('config: Extensions.default.Config.AdminUser: ignored (');
  });

  it.each([
    [['render', '--snapshot', 'snapshot.json'], /--proxy nginx\|haproxy is required/],
    [['render', '--proxy', 'caddy', '--snapshot', 'snapshot.json'], /--proxy: expected nginx or haproxy, got "caddy"/],
    [['render', '--proxy', 'nginx', '--snapshot', 'snapshot.json', '--model', 'x.json'], /either --model or --snapshot/],
    [['render', '--proxy', 'nginx', '--snapshot', 'missing.json'], /snapshot file missing\.json: ENOENT/],
    [['render', '--proxy', 'nginx', '--snapshot', 'core.toml'], /snapshot file core\.toml is not valid JSON/],
    [['render', '--snapshot', 'snapshot.json', '--config', 'core.toml'], /several extensions \(default, lb-haproxy\): pick one with --extension NAME/],
    [['render', '--snapshot', 'snapshot.json', '--config', 'core.toml', '--extension', 'nope'], /no \[Extensions\.nope\] section \(it has: default, lb-haproxy\)/],
    [['render', '--proxy', 'nginx', '--extension', 'default'], /--extension needs --config/],
    [['render', '--proxy', 'nginx', '--config', 'snapshot.json'], /config file snapshot\.json: config is not valid TOML/],
  ])('%j is a usage error (exit 2)', async (argv, message) => {
    const { code, stderr, stdout } = await run(argv);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(message);
  });
});
