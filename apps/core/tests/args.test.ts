import { DEFAULT_CONFIG_FILE, parseCoreArgs } from '../src/args.js';

describe("core's command line", () => {
  it('reads the config file from --config, else $SWITCHYARD_CONFIG, else /config.toml', () => {
    expect(parseCoreArgs(['--config', '/c.toml'], { SWITCHYARD_CONFIG: '/env.toml' })).toEqual({ command: 'run', config: { file: '/c.toml' } });
    expect(parseCoreArgs(['--config=/c.toml'], {})).toEqual({ command: 'run', config: { file: '/c.toml' } });
    expect(parseCoreArgs([], { SWITCHYARD_CONFIG: '/env.toml' })).toEqual({ command: 'run', config: { file: '/env.toml' } });
    expect(parseCoreArgs([], {})).toEqual({ command: 'run', config: { file: DEFAULT_CONFIG_FILE } });
    expect(DEFAULT_CONFIG_FILE).toBe('/config.toml');
  });

  it('reads a Docker Config object with --config-object', () => {
    expect(parseCoreArgs(['--config-object', 'com.docker.ucp.interlock.conf-1'], { SWITCHYARD_CONFIG: '/env.toml' })).toEqual({ command: 'run', config: { object: 'com.docker.ucp.interlock.conf-1' } });
    expect(parseCoreArgs(['--config-object', 'x', '--config', '/c.toml'], {})).toEqual({ error: 'give --config or --config-object, not both' });
    expect(parseCoreArgs(['--config-object='], {})).toEqual({ error: '--config-object needs a Docker Config name' });
  });

  it('skips empty arguments (Interlock-style Args = [""])', () => {
    expect(parseCoreArgs(['', '--config', '/c.toml', ''], {})).toEqual({ command: 'run', config: { file: '/c.toml' } });
  });

  it('answers --help', () => {
    expect(parseCoreArgs(['--help'], {})).toEqual({ command: 'help' });
    expect(parseCoreArgs(['issue', '--help'], {})).toEqual({ command: 'help' });
  });

  it.each([
    [['--bogus'], /Unknown option '--bogus'/],
    [['-c', '/c.toml'], /Unknown option '-c'/],
    [['--config'], /--config/],
    [['run'], /Unexpected argument 'run'/],
    [['--config', '/c.toml', 'extra'], /Unexpected argument 'extra'/],
    [['issue', '--role', 'operator', '--name', 'a', '--bogus'], /Unknown option '--bogus'/],
    [['issue', '--role', 'operator', '--name', 'a', '--config-object', 'x'], /Unknown option '--config-object'/],
  ])('refuses %j', (argv, message) => {
    const result = parseCoreArgs(argv, {});
    expect('error' in result && result.error).toMatch(message);
  });

  it('parses issue with its role, name, cluster and config file', () => {
    expect(parseCoreArgs(['issue', '--role', 'extension', '--name', 'json-routes', '--cluster', 'json'], { SWITCHYARD_CONFIG: '/env.toml' })).toEqual({
      command: 'issue',
      role: 'extension',
      name: 'json-routes',
      cluster: 'json',
      configFile: '/env.toml',
    });
    expect(parseCoreArgs(['issue', '--role', 'operator', '--name', 'alice', '--config', '/c.toml'], {})).toEqual({ command: 'issue', role: 'operator', name: 'alice', cluster: '', configFile: '/c.toml' });
    // The default service cluster is spelled as an empty value (tools/swarm/credentials.sh does so).
    expect(parseCoreArgs(['issue', '--role', 'operator', '--name', 'e2e', '--cluster', ''], {})).toEqual({ command: 'issue', role: 'operator', name: 'e2e', cluster: '', configFile: '/config.toml' });
  });

  it.each([
    [['issue', '--name', 'a'], 'issue: --role must be one of extension, proxy, operator'],
    [['issue', '--role', 'core', '--name', 'a'], 'issue: --role must be one of extension, proxy, operator'],
    [['issue', '--role', 'operator'], 'issue: --name is required'],
  ])('refuses issue %j', (argv, error) => {
    expect(parseCoreArgs(argv, {})).toEqual({ error });
  });
});
