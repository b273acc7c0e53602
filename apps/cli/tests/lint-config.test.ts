import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keyNotice, parseCoreConfig } from '@switchyard/config';
import { ExitCode, IGNORED_KEY, REPLACED_KEY, configFindings } from '../src/index.js';
import { run } from './helpers.js';

/** Interlock's default UCP configuration (nginx), unchanged. */
const DEFAULT_NGINX = join(__dirname, '..', '..', '..', 'tools', 'fixtures', 'interlock', 'default-nginx.toml');

/** A swarm with one labelled service using a certificate secret whose labels allow no service. */
const TLS_SNAPSHOT = {
  services: [
    {
      id: 's-web',
      name: 'web',
      labels: { 'com.docker.lb.hosts': 'web.example.com', 'com.docker.lb.port': '80', 'com.docker.lb.ssl_cert': 'web.cert', 'com.docker.lb.ssl_key': 'web.key' },
      networkIds: ['net-app'],
    },
  ],
  tasks: [{ id: 't-web', serviceId: 's-web', nodeId: 'n1', slot: 1, state: 'running', desiredState: 'running', attachments: [{ networkId: 'net-app', addresses: ['10.0.1.5'] }] }],
  networks: [{ id: 'net-app', name: 'app', driver: 'overlay', scope: 'swarm' }],
  secrets: [
    { id: 'sec-cert', name: 'web.cert' },
    { id: 'sec-key', name: 'web.key' },
  ],
};

describe('switchyard lint --config', () => {
  it("lists every key Interlock's default nginx config sets that core ignores, with its reason (info: never fails lint)", async () => {
    const ignored = parseCoreConfig(readFileSync(DEFAULT_NGINX, 'utf8')).IgnoredKeys;
    expect(ignored.map((i) => i.key)).toEqual(expect.arrayContaining(['Extensions.default.Config.AdminPass', 'Extensions.default.Config.AdminUser', 'Extensions.default.Config.Version']));

    const { code, stdout, stderr } = await run(['lint', '--snapshot', 'lint-snapshot.json', '--config', DEFAULT_NGINX, '--fail-on', 'warning']);
    expect(stderr).toBe('');
    const lines = stdout.split('\n');
    const header = lines.indexOf(`config ${DEFAULT_NGINX}: valid, SecretPolicy "labelled"; ${ignored.length} notices`);
    expect(header).toBeGreaterThan(0);
    const section = lines.slice(header + 1, header + 1 + ignored.length);
    ignored.map(keyNotice).forEach((i, n) => expect(section[n]).toMatch(new RegExp(`^  info  ${i.key.replace(/\./g, '\\.')} +${i.code}: `)));
    ignored.map(keyNotice).forEach((i, n) => expect(section[n]?.endsWith(`${i.code}: ${i.message}`)).toBe(true));
    expect(stdout).toContain('replaced-key: replaced by switchyard/extension:latest: "dockereng/ucp-interlock-extension:3.0.0-2e21c4d" is Interlock');
    expect(lines[header + 1 + ignored.length]).toBe('');
    expect(stdout).toContain("  info  Extensions.default.Config.Version ");
    expect(stdout).toContain("ignored-key: Interlock's extension version stamp");
    // Ignored keys are notices, not warnings: the snapshot's own 1 error and 1 warning decide.
    expect(stdout.endsWith('1 error, 1 warning: FAIL (--fail-on warning)\n')).toBe(true);
    expect(code).toBe(ExitCode.notRouted);
  });

  it('--json has them as configFindings ({ key, code, severity, message }) and the secret policy', async () => {
    const { stdout } = await run(['lint', '--snapshot', 'lint-snapshot.json', '--config', DEFAULT_NGINX, '--json']);
    const json = JSON.parse(stdout) as Record<string, unknown>;
    const config = parseCoreConfig(readFileSync(DEFAULT_NGINX, 'utf8'));
    expect(json).toMatchObject({ config: DEFAULT_NGINX, secretPolicy: 'labelled', errors: 1, warnings: 1 });
    expect(json.configFindings).toEqual(config.IgnoredKeys.map((i) => ({ key: i.key, code: i.replacement === undefined ? IGNORED_KEY : REPLACED_KEY, severity: 'info', message: keyNotice(i).message })));
    expect(json.configFindings).toEqual(configFindings(config));
  });

  it("applies the config's SecretPolicy to the snapshot's certificate secrets", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-lint-policy-'));
    writeFileSync(join(dir, 'tls.json'), JSON.stringify(TLS_SNAPSHOT));
    writeFileSync(join(dir, 'labelled.toml'), '[Extensions.default]\n');
    writeFileSync(join(dir, 'any.toml'), 'SecretPolicy = "any"\n[Extensions.default]\n');

    // Core's default ("labelled"), with or without a config file: the secret's labels allow nobody.
    for (const argv of [['lint', '--snapshot', 'tls.json'], ['lint', '--snapshot', 'tls.json', '--config', 'labelled.toml']]) {
      const labelled = await run(argv, { cwd: dir });
      expect(labelled.code).toBe(ExitCode.notRouted);
      expect(labelled.stdout).toContain('  web  NOT ROUTED  meant for web.example.com\n');
      expect(labelled.stdout).toContain('secret-not-allowed');
    }

    // SecretPolicy = "any" (Interlock's behaviour): routed with its certificate.
    const any = await run(['lint', '--snapshot', 'tls.json', '--config', 'any.toml'], { cwd: dir });
    expect(any.stderr).toBe('');
    expect(any.stdout).toBe('cluster "" (default): 1 of 1 labelled service routed\n  web  routed      web.example.com/\n\nconfig any.toml: valid, SecretPolicy "any"; no notices\n\n0 errors, 0 warnings: ok\n');
    expect(any.code).toBe(ExitCode.ok);
  });

  it('refuses a config core would refuse (an unknown key), naming the key: exit 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-lint-bad-'));
    writeFileSync(join(dir, 'bad.toml'), '[Extensions.default]\nProxyReplica = 2\n');
    const { code, stdout, stderr } = await run(['lint', '--snapshot', join(__dirname, 'fixtures', 'lint-snapshot.json'), '--config', 'bad.toml'], { cwd: dir });
    expect(code).toBe(ExitCode.usage);
    expect(stdout).toBe('');
    expect(stderr).toContain('config file bad.toml: invalid core config:');
    expect(stderr).toContain('Extensions.default.ProxyReplica: unknown key');
  });
});
