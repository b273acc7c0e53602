import { renderer as haproxyRenderer } from '@switchyard/render-haproxy';
import { renderer as nginxRenderer } from '@switchyard/render-nginx';
import { PROXY_KIND_NAMES, RENDERERS, isProxyKindName, parseCoreConfig } from '../src/index.js';

const CADDY = `[Extensions.a]
ProxyKind = "caddy"
Image = "example/caddy-extension"
ProxyImage = "example/proxy-caddy"
ProxyConfigPath = "/etc/caddy/caddy.json"
ProxyArgs = ["caddy", "run", "--config", "/etc/caddy/caddy.json"]
ProxyReloadSignal = "SIGUSR1"
[Extensions.a.Config]
Anything = "goes"
`;

describe('RENDERERS (the kind → renderer table)', () => {
  it("holds each renderer package's renderer under its own kind", () => {
    expect(RENDERERS).toEqual({ nginx: nginxRenderer, haproxy: haproxyRenderer });
    for (const kind of PROXY_KIND_NAMES) expect(RENDERERS[kind].kind).toBe(kind);
    expect(PROXY_KIND_NAMES).toEqual(['nginx', 'haproxy']);
    expect(Object.isFrozen(RENDERERS)).toBe(true);
  });

  it('recognises the kind names only', () => {
    expect(['nginx', 'haproxy', 'caddy', 'toString', 1].map(isProxyKindName)).toEqual([true, true, false, false, false]);
  });

  it("is what parseCoreConfig checks each extension's Config table with", () => {
    // A kind without a renderer here is a third-party proxy: its Config table is its extension's business.
    expect(parseCoreConfig(CADDY).Extensions[0]).toMatchObject({ ProxyKind: 'caddy', Config: { Anything: 'goes' } });
    const bad = RENDERERS.haproxy.parseConfig({ MaxConnections: 'many' });
    expect(bad.ok).toBe(false);
    if (bad.ok) return;
    expect(() => parseCoreConfig('[Extensions.a]\nProxyKind = "haproxy"\n[Extensions.a.Config]\nMaxConnections = "many"\n')).toThrow(`Extensions.a.Config: ${bad.message}`);
  });
});
