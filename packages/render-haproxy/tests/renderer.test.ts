import { ProxyKind, ProxyModel, type Renderer } from '@switchyard/proto';
import { HAPROXY_CONFIG_DEFAULTS, inspectHaproxyConfig, renderHaproxy, renderer, type HaproxyConfig } from '../src/index.js';

const model = ProxyModel.fromPartial({
  version: 3,
  hosts: [{ host: 'a.example.com', routes: [{ path: '/', upstream: 'a' }] }],
  upstreams: [{ name: 'a', endpoints: [{ address: '10.0.0.2', port: 80, weight: 1 }] }],
});

describe('renderer (the Renderer contract of @switchyard/proto)', () => {
  it('names its kind, proxy kind and main file', () => {
    const typed: Renderer<HaproxyConfig> = renderer;
    expect([typed.kind, typed.proxyKind, typed.mainFile]).toEqual(['haproxy', ProxyKind.PROXY_KIND_HAPROXY, 'haproxy.cfg']);
  });

  it('parses a table as inspectHaproxyConfig does, with the defaults and the ignored keys', () => {
    const table = { ...{ MaxConnections: 4096 }, HTTPVersion: '1.1' };
    expect(renderer.parseConfig(table)).toEqual({ ok: true, ...inspectHaproxyConfig(table) });
    expect(renderer.parseConfig(undefined)).toEqual({ ok: true, config: HAPROXY_CONFIG_DEFAULTS, ignored: [] });
  });

  it('returns the problems of a bad table instead of throwing', () => {
    const parsed = renderer.parseConfig({ NoSuchKey: 1 });
    expect(parsed).toEqual({ ok: false, code: 'invalid-haproxy-config', message: expect.stringContaining('NoSuchKey: unknown key'), issues: [{ key: 'NoSuchKey', message: 'unknown key' }] });
  });

  it('renders byte-identically to renderHaproxy with the same config and options', () => {
    const parsed = renderer.parseConfig({ MaxConnections: 4096 });
    if (!parsed.ok) throw new Error(parsed.message);
    const options = { httpPort: 8080, httpsPort: 8443, publishedHttpsPort: 443, proxyId: 'p1' };
    const out = renderer.render(model, parsed.config, options);
    expect(out).toEqual(renderHaproxy(model, { ...options, config: parsed.config }));
    expect(out.files[0]?.path).toBe(renderer.mainFile);
    expect(renderer.render(model, parsed.config)).toEqual(renderHaproxy(model, { config: parsed.config }));
  });
});
