import { run, startFakeCore, type FakeCore } from './helpers.js';

describe('switchyard explain (live model from core)', () => {
  let core: FakeCore;
  beforeAll(async () => {
    core = await startFakeCore();
  });
  afterAll(() => core.close());

  it('explains a routed request: route, strip prefix, websocket, upstream and endpoints; exit 0', async () => {
    const { code, stdout, stderr } = await run(['explain', 'web.example.com/api/live/feed?x=1', '--core', core.address]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const lines = stdout.split('\n');
    expect(lines[0]).toBe('Request  web.example.com/api/live/feed  (cluster "" (default), model v12)');
    expect(lines).toContain('HTTP     proxy: route /api on web.example.com to upstream api (prefix /api stripped, WebSocket upgrades allowed)');
    expect(lines).toContain('HTTPS    no-tls: host web.example.com has no certificate and no SNI passthrough route: the TLS handshake for web.example.com is refused (a wildcard of another service never answers for it)');
    expect(lines).toContain('Route    /api -> upstream api; strip prefix yes, websocket yes; forwarded path /live/feed');
    expect(lines).toContain('Upstream api: mode task, sticky cookie none, ip_hash no, TLS to tasks no');
    expect(stdout).toMatch(/^ {4}10\.0\.1\.21:9000 +weight 1 +api +task api1$/m);
    expect(stdout).toMatch(/^ {4}api +1 endpoint +1 running task +100\.0% of traffic$/m);
    expect(stdout).toMatch(/^ {2}api +1 task +serves this request$/m);
    expect(stdout).toMatch(/^ {2}web +2 tasks +routed, but not for this request$/m);
    expect(lines[lines.length - 2]).toBe('Result   routed');
    expect(core.modelRequests).toContain('');
  });

  it('shows the sticky cookie and every task of the root route', async () => {
    const { code, stdout } = await run(['explain', 'web.example.com', '--core', core.address]);
    expect(code).toBe(0);
    expect(stdout).toContain('Upstream web: mode task, sticky cookie "sid", ip_hash no, TLS to tasks no');
    expect(stdout).toMatch(/10\.0\.1\.11:8080 +weight 1 +web +task web1\n {4}10\.0\.1\.12:8080 +weight 1 +web +task web2\n/);
    expect(stdout).not.toContain('web3'); // a shut-down task is no endpoint
  });

  it('explains a wildcard TLS host: ssl_only redirect on HTTP, certificate on HTTPS', async () => {
    const { code, stdout } = await run(['explain', 'eu.shop.example.com/cart', '--core', core.address]);
    expect(code).toBe(0);
    const lines = stdout.split('\n');
    expect(lines).toContain('HTTP     https-redirect: host *.shop.example.com is ssl_only: plain HTTP is redirected to HTTPS');
    expect(lines).toContain('         Location: https://eu.shop.example.com/cart');
    expect(lines).toContain('Host     *.shop.example.com (wildcard match)');
    expect(lines).toContain('TLS      certificate shop.cert (secrets shop.cert / shop.key, files shop.cert.pem / shop.cert.pem.key), ssl_only');
  });

  it('explains why a claimed host is not routed (the service diagnostics) and exits 1', async () => {
    const { code, stdout } = await run(['explain', 'lost.example.com', '--core', core.address]);
    expect(code).toBe(1);
    const lines = stdout.split('\n');
    expect(lines).toContain('HTTP     unavailable: no service routes host lost.example.com and there is no default backend: the proxy answers with its 503 page');
    expect(stdout).toMatch(/^ {2}lost +1 task +NOT ROUTED$/m);
    expect(stdout).toMatch(/^ {6}error +com\.docker\.lb\.network +unknown-network: network "nowhere" is not one of the service's networks \(app\)$/m);
    expect(lines[lines.length - 2]).toBe('Result   NOT ROUTED');
  });

  it('--json prints the explanation with diagnostics in proto JSON form', async () => {
    const { code, stdout } = await run(['explain', 'lost.example.com/', '--json', '--core', core.address]);
    expect(code).toBe(1);
    const json = JSON.parse(stdout);
    expect(json).toMatchObject({ host: 'lost.example.com', path: '/', routed: false, modelVersion: 12, http: { kind: 'unavailable' } });
    expect(json.claimants).toEqual([
      {
        service: 'lost',
        hosts: ['lost.example.com'],
        routed: false,
        runningTasks: 1,
        serving: false,
        diagnostics: [
          {
            service: 'lost',
            label: 'com.docker.lb.network',
            code: 'unknown-network',
            message: 'network "nowhere" is not one of the service\'s networks (app)',
            severity: 'SEVERITY_ERROR',
          },
        ],
      },
    ]);
  });

  it('accepts a URL with a scheme', async () => {
    const { code, stdout } = await run(['explain', 'http://web.example.com/api', '--core', core.address, '--json']);
    expect(code).toBe(0);
    expect(JSON.parse(stdout).http.upstream).toBe('api');
  });

  it('exits 1 naming the clusters that have a model when the cluster has none', async () => {
    const { code, stderr, stdout } = await run(['explain', 'web.example.com', '--cluster', 'edge', '--core', core.address]);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toContain('has no model for service cluster "edge"; clusters with a model: "" (use --cluster NAME)');
    expect(core.modelRequests).toContain('edge');
  });
});

describe('switchyard explain (offline)', () => {
  it('works from a snapshot file without core', async () => {
    const { code, stdout } = await run(['explain', 'web.example.com/api', '--snapshot', 'snapshot.json', '--core', '127.0.0.1:1']);
    expect(code).toBe(0);
    expect(stdout).toContain('(cluster "" (default), model v0)');
    expect(stdout).toContain('Route    /api -> upstream api');
  });
});
