import { RENDERERS } from '@switchyard/config';
import { USAGE, readSettings } from '../src/index.js';

describe('readSettings (command line and $SWITCHYARD_PROXY_OPTIONS)', () => {
  it('picks the renderer from the kind table and parses its Config table with it', () => {
    const read = readSettings(['--core', 'core:8080', '--proxy', 'haproxy', '--cluster', 'blue', '--name', 'ext', ''], '{"config": {"MaxConnections": 4096}, "httpPort": 8080, "publishedHttpsPort": 8443}');
    if (!('settings' in read)) throw new Error(JSON.stringify(read));
    const { renderer, config, ...rest } = read.settings;
    expect(renderer).toBe(RENDERERS.haproxy);
    expect(config).toMatchObject({ MaxConnections: 4096 });
    expect(rest).toEqual({ core: 'core:8080', proxy: 'haproxy', cluster: 'blue', name: 'ext', renderOptions: { httpPort: 8080, httpsPort: undefined, publishedHttpsPort: 8443 } });
  });

  it('defaults to nginx, the default cluster and the name "default"', () => {
    const read = readSettings(['--core', 'c:1'], undefined);
    if (!('settings' in read)) throw new Error(JSON.stringify(read));
    expect([read.settings.proxy, read.settings.renderer, read.settings.cluster, read.settings.name]).toEqual(['nginx', RENDERERS.nginx, '', 'default']);
  });

  it('returns problems as data: usage errors with the usage text, bad options without', () => {
    expect(readSettings(['--help'], undefined)).toEqual({ help: true });
    expect(readSettings(['--core', 'c:1', '--proxy', 'caddy'], undefined)).toEqual({ error: USAGE, usage: true });
    expect(readSettings(['--proxy', 'nginx'], undefined)).toEqual({ error: USAGE, usage: true });
    expect(readSettings(['--core', 'c:1', 'stray'], undefined)).toEqual({ error: `Unexpected argument 'stray'\n${USAGE}`, usage: true });
    expect(readSettings(['--core', 'c:1', '--bogus'], undefined)).toMatchObject({ error: expect.stringContaining('--bogus'), usage: true });
    expect(readSettings(['--core', 'c:1'], '{')).toMatchObject({ error: expect.stringContaining('SWITCHYARD_PROXY_OPTIONS is not valid JSON'), usage: false });
    expect(readSettings(['--core', 'c:1'], '{"config": {"NoSuchKey": 1}}')).toEqual({ error: 'invalid proxy options: invalid nginx extension config: NoSuchKey: unknown key', usage: false });
  });

  it('names every kind of the table in its usage', () => {
    expect(USAGE).toContain(`--proxy ${Object.keys(RENDERERS).join('|')}`);
  });
});
