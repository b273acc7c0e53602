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
        commands: undefined,
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
    expect(readAgentEnv({ ...base, SWITCHYARD_PROXY_KIND: 'Traefik!', SWITCHYARD_BOOT_CONFIG: '/t.toml', SWITCHYARD_BOOT_WAIT_MS: '3s', SWITCHYARD_LIVE_DIR: 'run' }).errors).toEqual([
      'SWITCHYARD_PROXY_KIND must be nginx, haproxy or another lower-case kind name, got "Traefik!"',
      'SWITCHYARD_PROXY_START is required for a proxy of kind "Traefik!" (the command that runs it)',
      'SWITCHYARD_PROXY_RELOAD or SWITCHYARD_PROXY_RELOAD_SIGNAL is required for a proxy of kind "Traefik!" (how it reloads in place)',
      'SWITCHYARD_LIVE_DIR must be an absolute path',
      'SWITCHYARD_BOOT_WAIT_MS must be a whole number of milliseconds, got "3s"',
    ]);
  });

  it("reads a third-party proxy's commands, with the stop signal defaulting to SIGTERM", () => {
    const caddy = {
      ...base,
      SWITCHYARD_PROXY_KIND: 'caddy',
      SWITCHYARD_BOOT_CONFIG: '/etc/caddy/caddy.json',
      SWITCHYARD_PROXY_START: '["caddy","run","--config","/etc/caddy/caddy.json"]',
      SWITCHYARD_PROXY_CHECK: '["caddy","validate","--config","/etc/caddy/caddy.json"]',
      SWITCHYARD_PROXY_RELOAD: '["caddy","reload","--config","/etc/caddy/caddy.json"]',
    };
    expect(readAgentEnv(caddy).env).toMatchObject({
      kind: 'caddy',
      bootConfigPath: '/etc/caddy/caddy.json',
      commands: {
        start: ['caddy', 'run', '--config', '/etc/caddy/caddy.json'],
        check: ['caddy', 'validate', '--config', '/etc/caddy/caddy.json'],
        reload: { command: ['caddy', 'reload', '--config', '/etc/caddy/caddy.json'] },
        stopSignal: 'SIGTERM',
      },
    });
    const bySignal = { ...caddy, SWITCHYARD_PROXY_RELOAD: '', SWITCHYARD_PROXY_CHECK: '', SWITCHYARD_PROXY_RELOAD_SIGNAL: 'SIGUSR1', SWITCHYARD_PROXY_STOP_SIGNAL: 'SIGQUIT' };
    expect(readAgentEnv(bySignal).env?.commands).toEqual({ start: ['caddy', 'run', '--config', '/etc/caddy/caddy.json'], check: undefined, reload: { signal: 'SIGUSR1' }, stopSignal: 'SIGQUIT' });
  });

  it('names a malformed command, both reload methods, and a missing boot path of a third-party proxy', () => {
    const { SWITCHYARD_PROXY_KIND: _kind, ...rest } = base;
    const errors = readAgentEnv({ ...rest, SWITCHYARD_PROXY_KIND: 'caddy', SWITCHYARD_PROXY_START: 'caddy run', SWITCHYARD_PROXY_RELOAD: '["caddy","reload"]', SWITCHYARD_PROXY_RELOAD_SIGNAL: 'HUP' }).errors;
    expect(errors).toEqual([
      'SWITCHYARD_BOOT_CONFIG is required for a proxy of kind "caddy"',
      'SWITCHYARD_PROXY_START must be a JSON array of strings naming a command, got "caddy run"',
      'SWITCHYARD_PROXY_RELOAD_SIGNAL must be a signal name like SIGHUP, got "HUP"',
    ]);
    expect(readAgentEnv({ ...base, SWITCHYARD_PROXY_KIND: 'caddy', SWITCHYARD_BOOT_CONFIG: '/c.json', SWITCHYARD_PROXY_START: '["caddy"]', SWITCHYARD_PROXY_RELOAD: '["r"]', SWITCHYARD_PROXY_RELOAD_SIGNAL: 'SIGHUP' }).errors).toEqual([
      'set SWITCHYARD_PROXY_RELOAD or SWITCHYARD_PROXY_RELOAD_SIGNAL, not both',
    ]);
  });
});
