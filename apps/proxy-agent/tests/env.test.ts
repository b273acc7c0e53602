import { readAgentEnv } from '../src/index.js';

const base = { SWITCHYARD_CORE_ADDRESS: 'core:8080', SWITCHYARD_PROXY_SERVICE: 'proxy', SWITCHYARD_PROXY_KIND: 'nginx' };

describe('readAgentEnv', () => {
  it('applies the defaults by proxy kind', () => {
    expect(readAgentEnv(base)).toEqual({
      errors: [],
      env: {
        coreAddress: 'core:8080',
        proxyService: 'proxy',
        kind: 'nginx',
        bootConfigPath: '/etc/nginx/nginx.conf',
        taskId: '',
        nodeId: '',
        liveRoot: '/run/switchyard',
        bootWaitMs: undefined,
        minReloadIntervalMs: undefined,
        logLevel: 'info',
      },
    });
    expect(readAgentEnv({ ...base, SWITCHYARD_PROXY_KIND: 'haproxy' }).env?.bootConfigPath).toBe('/etc/haproxy/haproxy.cfg');
  });

  it('reads every variable', () => {
    const { env } = readAgentEnv({
      ...base,
      SWITCHYARD_PROXY_KIND: 'haproxy',
      SWITCHYARD_BOOT_CONFIG: '/conf/h.cfg',
      SWITCHYARD_TASK_ID: 't1',
      SWITCHYARD_NODE_ID: 'n1',
      SWITCHYARD_LIVE_DIR: '/tmp/live',
      SWITCHYARD_BOOT_WAIT_MS: '500',
      SWITCHYARD_RELOAD_MIN_INTERVAL_MS: '0',
      SWITCHYARD_LOG_LEVEL: 'debug',
    });
    expect(env).toMatchObject({ kind: 'haproxy', bootConfigPath: '/conf/h.cfg', taskId: 't1', nodeId: 'n1', liveRoot: '/tmp/live', bootWaitMs: 500, minReloadIntervalMs: 0, logLevel: 'debug' });
  });

  it('names every bad or missing variable', () => {
    expect(readAgentEnv({}).errors).toEqual(['SWITCHYARD_CORE_ADDRESS is required', 'SWITCHYARD_PROXY_SERVICE is required', 'SWITCHYARD_PROXY_KIND is required']);
    expect(readAgentEnv({ ...base, SWITCHYARD_PROXY_KIND: 'traefik', SWITCHYARD_BOOT_WAIT_MS: '3s', SWITCHYARD_LIVE_DIR: 'run' }).errors).toEqual([
      'SWITCHYARD_PROXY_KIND must be nginx or haproxy, got "traefik"',
      'SWITCHYARD_LIVE_DIR must be an absolute path',
      'SWITCHYARD_BOOT_WAIT_MS must be a whole number of milliseconds, got "3s"',
    ]);
  });
});
