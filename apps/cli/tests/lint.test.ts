import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExitCode } from '../src/index.js';
import { run } from './helpers.js';

describe('switchyard lint', () => {
  it('reports per cluster and service what is routed, what is not and why; exit 1 on an error', async () => {
    const { code, stdout, stderr } = await run(['lint', '--snapshot', 'lint-snapshot.json']);
    expect(stderr).toBe('');
    expect(code).toBe(ExitCode.notRouted);
    const lines = stdout.split('\n');
    expect(lines[0]).toBe('cluster "" (default): 1 of 2 labelled services routed');
    expect(lines[1]).toBe('  shop_app  NOT ROUTED  meant for shop.example.com');
    expect(lines[2]).toMatch(/^ {12}error {4}\(service\) {2}container-label: not routed: labels com\.docker\.lb\.hosts, com\.docker\.lb\.port are set on the containers/);
    expect(lines[2]).toContain('move them under deploy.labels (service labels)');
    expect(lines[3]).toBe('  web       routed      web.example.com/');
    expect(lines[4]).toMatch(/^ {12}warning {2}\(service\) {2}container-label: container label com\.docker\.lb\.sticky_session_cookie .* is ignored/);
    expect(stdout).toContain('cluster "edge": 1 of 1 labelled service routed\n  edge_api  routed      api.edge.example.com/\n');
    expect(stdout).not.toContain('db');
    expect(stdout.endsWith('1 error, 1 warning: FAIL (--fail-on error)\n')).toBe(true);
  });

  it('exits 0 when nothing reaches --fail-on, 1 with --fail-on warning on warnings only', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-lint-'));
    const snapshot = {
      services: [
        {
          id: 's1',
          name: 'web',
          labels: { 'com.docker.lb.hosts': 'web.example.com', 'com.docker.lb.port': '80' },
          containerLabels: { 'com.docker.lb.port': '80' },
          networkIds: ['n'],
        },
        { id: 's2', name: 'ok', labels: { 'com.docker.lb.hosts': 'ok.example.com', 'com.docker.lb.port': '80' }, networkIds: ['n'] },
      ],
      networks: [{ id: 'n', name: 'app' }],
    };
    writeFileSync(join(dir, 'warn.json'), JSON.stringify(snapshot));
    const byDefault = await run(['lint', '--snapshot', 'warn.json'], { cwd: dir });
    expect(byDefault.code).toBe(ExitCode.ok);
    expect(byDefault.stdout).toMatch(/0 errors, 1 warning: ok\n$/);
    const strict = await run(['lint', '--snapshot', 'warn.json', '--fail-on', 'warning'], { cwd: dir });
    expect(strict.code).toBe(ExitCode.notRouted);
    expect(strict.stdout).toMatch(/0 errors, 1 warning: FAIL \(--fail-on warning\)\n$/);
    writeFileSync(join(dir, 'clean.json'), JSON.stringify({ ...snapshot, services: snapshot.services.slice(1) }));
    const clean = await run(['lint', '--snapshot', 'clean.json', '--fail-on', 'warning'], { cwd: dir });
    expect(clean.code).toBe(ExitCode.ok);
    expect(clean.stdout).toBe('cluster "" (default): 1 of 1 labelled service routed\n  ok  routed      ok.example.com/\n\n0 errors, 0 warnings: ok\n');
  });

  it('prints --json with services, routes, proto JSON diagnostics and the verdict', async () => {
    const { code, stdout } = await run(['lint', '--snapshot', 'lint-snapshot.json', '--json', '--fail-on', 'warning']);
    expect(code).toBe(ExitCode.notRouted);
    const json = JSON.parse(stdout) as Record<string, unknown>;
    expect(json).toMatchObject({ snapshot: 'lint-snapshot.json', config: null, failOn: 'warning', failed: true, errors: 1, warnings: 1, clusters: ['', 'edge'] });
    expect(json.services).toEqual([
      {
        id: 'svc-compose',
        name: 'shop_app',
        serviceCluster: '',
        routed: false,
        hosts: ['shop.example.com'],
        routes: [],
        runningTasks: 1,
        diagnostics: [expect.objectContaining({ service: 'shop_app', code: 'container-label', severity: 'SEVERITY_ERROR' })],
      },
      expect.objectContaining({ name: 'web', routed: true, routes: ['web.example.com/'], diagnostics: [expect.objectContaining({ severity: 'SEVERITY_WARNING' })] }),
      expect.objectContaining({ name: 'edge_api', serviceCluster: 'edge', routed: true, routes: ['api.edge.example.com/'], diagnostics: [] }),
    ]);
    expect(json.configFindings).toEqual([]);
  });

  it('lists websocket and TLS routes of the fixture swarm', async () => {
    const { stdout } = await run(['lint', '--snapshot', 'snapshot.json']);
    expect(stdout).toContain('  shop    routed      *.shop.example.com/, shop.example.com/\n');
    expect(stdout).toContain('  broken  NOT ROUTED  meant for broken.example.com\n');
    expect(stdout).toContain('invalid-port');
  });

  it('checks --config with core\'s parser: a file core would refuse is an input error (exit 2)', async () => {
    const ok = await run(['lint', '--snapshot', 'lint-snapshot.json', '--config', 'core.toml']);
    expect(ok.stdout).toContain('config core.toml: valid, SecretPolicy "labelled"; no notices\n');
    const bad = await run(['lint', '--snapshot', 'lint-snapshot.json', '--config', 'snapshot.json']);
    expect(bad.code).toBe(ExitCode.usage);
    expect(bad.stderr).toContain('config file snapshot.json: config is not valid TOML');
  });

  it.each([
    [['lint'], /--snapshot FILE\.json is required/],
    [['lint', '--snapshot', 'lint-snapshot.json', '--fail-on', 'info'], /--fail-on: expected error or warning, got "info"/],
    [['lint', '--snapshot', 'lint-snapshot.json', 'extra'], /unexpected argument "extra"/],
    [['lint', '--snapshot', 'lint-snapshot.json', '--core', '127.0.0.1:1'], /option --core does not apply to lint/],
    [['lint', '--snapshot', 'missing.json'], /snapshot file missing\.json: ENOENT/],
  ])('usage error → 2: %j', async (argv, message) => {
    const { code, stdout, stderr } = await run(argv);
    expect(code).toBe(ExitCode.usage);
    expect(stdout).toBe('');
    expect(stderr).toMatch(message);
  });
});
