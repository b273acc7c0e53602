import { GetStatusResponse } from '@switchyard/proto';
import { fixtureStatus, run, startFakeCore, type FakeCore } from './helpers.js';

describe('switchyard status', () => {
  let core: FakeCore;
  beforeAll(async () => {
    core = await startFakeCore();
  });
  afterAll(() => core.close());

  it('prints every cluster: model, hosts, services, diagnostics, deliveries and extensions', async () => {
    const { code, stdout, stderr } = await run(['status', '--core', core.address]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const lines = stdout.split('\n');
    expect(lines[0]).toBe(`Core ${core.address}: 2 service clusters, 2 registered extensions`);
    expect(lines).toContain('Cluster "" (default)');
    expect(stdout).toMatch(/^ {2}model {8}version 12, hash [0-9a-f]{12}$/m);
    expect(lines).toContain('  hosts        3: *.shop.example.com, shop.example.com, web.example.com');
    expect(lines).toContain('  default      none (unknown hosts get the 503 page)');
    expect(lines).toContain('  services     3 routed, 2 not routed');
    expect(stdout).toMatch(/^ {4}routed +web +2 tasks +web\.example\.com$/m);
    expect(stdout).toMatch(/^ {4}NOT ROUTED +lost +1 task +lost\.example\.com$/m);
    expect(stdout).toMatch(/^ {4}NOT ROUTED +broken +0 tasks +broken\.example\.com$/m);
    expect(lines).toContain('  diagnostics  2 errors, 0 warnings');
    expect(stdout).toMatch(/^ {4}error +broken +com\.docker\.lb\.port +invalid-port: .*"eighty"/m);
    expect(stdout).toMatch(/^ {4}error +lost +com\.docker\.lb\.network +unknown-network: network "nowhere"/m);
    expect(lines).toContain(
      '    switchyard-default-proxy  hitless  config switchyard-default-proxy-11-ab12cd  model v11 (behind v12)  2026-11-03T09:59:55.000Z (5s ago)',
    );
    expect(lines).toContain('    default  nginx  id ext-1  watching (1)');
    // The failed delivery, and each replica: what it serves, reloads, draining, its last rejection.
    expect(lines).toContain(
      "    switchyard-default-proxy: LAST DELIVERY FAILED (model v12, 2s ago; still serving model v11): the proxy's own check refused the configuration: nginx: [emerg] cannot load certificate",
    );
    expect(lines).toContain('  replicas     switchyard-default-proxy: 2 connected, 1 on the current config');
    expect(lines).toContain('    task task1abcdefg  node node1  connected  model v11           applied 4s ago   7 reloads, 1 draining');
    expect(lines).toContain(
      '    task task2abcdefg  node node2  connected  model v10 (behind)  applied 60s ago  3 reloads, 0 draining  REJECTED v11 4s ago: nginx: [emerg] unknown directive "bogus"',
    );
    // A cluster known only from its extension is listed, without a model.
    const edge = lines.indexOf('Cluster "edge"');
    expect(edge).toBeGreaterThan(0);
    expect(lines.slice(edge)).toEqual([
      'Cluster "edge"',
      '  model        none yet (core has not built a model for this cluster)',
      '  deliveries   none yet',
      '  extensions   1',
      '    edge  haproxy  id ext-2  not watching; lease ends in 30s',
      '',
    ]);
  });

  it('exits 0 even when the model has error diagnostics', async () => {
    expect((await run(['status', '--core', core.address])).code).toBe(0);
  });

  it('--json prints the GetStatusResponse in proto JSON form', async () => {
    const { code, stdout } = await run(['status', '--core', core.address, '--json']);
    expect(code).toBe(0);
    const json = JSON.parse(stdout);
    expect(json.extensions[0]).toEqual({ extensionId: 'ext-1', name: 'default', proxyKind: 'PROXY_KIND_NGINX', watches: 1 });
    expect(json.models[0].diagnostics[0].severity).toBe('SEVERITY_ERROR');
    expect(GetStatusResponse.fromJSON(json)).toEqual(fixtureStatus());
  });

  it('takes the address from $SWITCHYARD_CORE when --core is absent', async () => {
    const { code, stdout } = await run(['status'], { env: { SWITCHYARD_CORE: core.address } });
    expect(code).toBe(0);
    expect(stdout.split('\n')[0]).toContain(core.address);
  });

  it('prefers --core over $SWITCHYARD_CORE', async () => {
    const { code } = await run(['status', '--core', core.address], { env: { SWITCHYARD_CORE: '127.0.0.1:1' } });
    expect(code).toBe(0);
  });
});
