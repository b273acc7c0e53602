import { ProxyKind, ProxyModel, type Renderer } from '@switchyard/proto';
import { NGINX_CONFIG_DEFAULTS, inspectNginxConfig, renderNginx, renderer, type NginxConfig } from '../src/index.js';

const model = ProxyModel.fromPartial({
  version: 3,
  hosts: [{ host: 'a.example.com', routes: [{ path: '/', upstream: 'a' }] }],
  upstreams: [{ name: 'a', endpoints: [{ address: '10.0.0.2', port: 80, weight: 1 }] }],
});

describe('renderer (the Renderer contract of @switchyard/proto)', () => {
  it('names its kind, proxy kind and main file', () => {
    const typed: Renderer<NginxConfig> = renderer;
    expect([typed.kind, typed.proxyKind, typed.mainFile]).toEqual(['nginx', ProxyKind.PROXY_KIND_NGINX, 'nginx.conf']);
  });

  it('parses a table as inspectNginxConfig does, with the defaults and the ignored keys', () => {
    const table = { ...{ WorkerProcesses: 3, User: "nobody" }, HTTPVersion: '1.1' };
    expect(renderer.parseConfig(table)).toEqual({ ok: true, ...inspectNginxConfig(table) });
    expect(renderer.parseConfig(undefined)).toEqual({ ok: true, config: NGINX_CONFIG_DEFAULTS, ignored: [] });
  });

  it('returns the problems of a bad table instead of throwing', () => {
    const parsed = renderer.parseConfig({ NoSuchKey: 1 });
    expect(parsed).toEqual({ ok: false, code: 'invalid-nginx-config', message: expect.stringContaining('NoSuchKey: unknown key'), issues: [{ key: 'NoSuchKey', message: 'unknown key' }] });
  });

  it('renders byte-identically to renderNginx with the same config and options', () => {
    const parsed = renderer.parseConfig({ WorkerProcesses: 3, User: "nobody" });
    if (!parsed.ok) throw new Error(parsed.message);
    const options = { httpPort: 8080, httpsPort: 8443, publishedHttpsPort: 443, proxyId: 'p1' };
    const out = renderer.render(model, parsed.config, options);
    expect(out).toEqual(renderNginx(model, { ...options, config: parsed.config }));
    expect(out.files[0]?.path).toBe(renderer.mainFile);
    expect(renderer.render(model, parsed.config)).toEqual(renderNginx(model, { config: parsed.config }));
  });
});
