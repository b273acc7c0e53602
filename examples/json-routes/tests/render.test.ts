import { BackendMode, ProxyModel, Severity, configChecksum, type Upstream } from '@switchyard/proto';
import { ROUTES_FILE, endpointAddress, renderFiles, renderRouteTable } from '../src/index.js';

function upstream(name: string, endpoints: [string, number][], services: string[] = [name]): Upstream {
  return {
    name,
    endpoints: endpoints.map(([address, port]) => ({ address, port, weight: 1, service: services[0] ?? '', taskId: `t-${address}` })),
    stickyCookie: '',
    ipHash: false,
    tls: false,
    tlsVerify: false,
    mode: BackendMode.BACKEND_MODE_TASK,
    services,
  };
}

const route = (path: string, up: string) => ({ path, stripPrefix: false, upstream: up, websocket: false });
const host = (name: string, routes: ReturnType<typeof route>[]) => ({ host: name, certificate: '', sslOnly: false, routes, redirects: [] });

const model: ProxyModel = {
  ...ProxyModel.fromPartial({}),
  version: 12,
  hash: 'h',
  serviceCluster: 'json',
  hosts: [
    host('api.example.test', [route('/v2', 'api-v2'), route('/', 'api')]),
    host('www.example.test', [route('/', 'web')]),
  ],
  upstreams: [
    upstream('api', [['10.0.1.2', 8080], ['10.0.1.3', 8080]]),
    upstream('api-v2', [['10.0.1.9', 9000]]),
    upstream('web', [['fd00::5', 80]]),
  ],
};

describe('renderRouteTable', () => {
  it('lists every host with its routes and ip:port endpoints, in the model order', () => {
    const { table, diagnostics } = renderRouteTable(model);
    expect(diagnostics).toEqual([]);
    expect(table).toEqual({
      modelVersion: 12,
      hosts: [
        {
          host: 'api.example.test',
          routes: [
            { path: '/v2', upstream: 'api-v2', endpoints: ['10.0.1.9:9000'] },
            { path: '/', upstream: 'api', endpoints: ['10.0.1.2:8080', '10.0.1.3:8080'] },
          ],
        },
        { host: 'www.example.test', routes: [{ path: '/', upstream: 'web', endpoints: ['[fd00::5]:80'] }] },
      ],
    });
  });

  it('renders an empty model as an empty table', () => {
    expect(renderRouteTable(ProxyModel.fromPartial({}))).toEqual({ table: { modelVersion: 0, hosts: [] }, diagnostics: [] });
  });

  it('keeps a route whose upstream is missing, with no endpoints and a warning', () => {
    const broken = { ...model, upstreams: model.upstreams.filter((u) => u.name !== 'web') };
    const { table, diagnostics } = renderRouteTable(broken);
    expect(table.hosts[1]).toEqual({ host: 'www.example.test', routes: [{ path: '/', upstream: 'web', endpoints: [] }] });
    expect(diagnostics).toEqual([expect.objectContaining({ code: 'unknown-upstream', severity: Severity.SEVERITY_WARNING })]);
    expect(diagnostics[0]?.message).toContain('www.example.test/');
  });

  it('warns about what the format cannot express (SNI passthrough, redirects) and leaves it out', () => {
    const rich: ProxyModel = {
      ...model,
      hosts: [{ ...host('old.example.test', []), redirects: [{ fromPath: '/', toUrl: 'https://new.example.test' }] }],
      sniRoutes: [{ host: 'tls.example.test', upstream: 'api' }],
    };
    const { table, diagnostics } = renderRouteTable(rich);
    expect(table.hosts).toEqual([{ host: 'old.example.test', routes: [] }]);
    expect(diagnostics.map((d) => [d.code, d.service, d.severity])).toEqual([
      ['unsupported-redirect', '', Severity.SEVERITY_WARNING],
      ['unsupported-sni-route', 'api', Severity.SEVERITY_WARNING],
    ]);
  });
});

describe('endpointAddress', () => {
  it('brackets IPv6 addresses only', () => {
    expect(endpointAddress({ address: '10.0.0.1', port: 80 })).toBe('10.0.0.1:80');
    expect(endpointAddress({ address: '::1', port: 8080 })).toBe('[::1]:8080');
  });
});

describe('renderFiles', () => {
  it('gives one routes.json that parses back to the table, ends with a newline, and is byte-stable', () => {
    const first = renderFiles(model);
    expect(first.files.map((f) => f.path)).toEqual([ROUTES_FILE]);
    const content = first.files[0]!.content;
    expect(content.endsWith('}\n')).toBe(true);
    expect(JSON.parse(content)).toEqual(first.table);
    // Same model (even a structurally cloned one) → same bytes → same checksum.
    const again = renderFiles(JSON.parse(JSON.stringify(model)) as ProxyModel);
    expect(again.files[0]!.content).toBe(content);
    expect(configChecksum(again.files)).toBe(configChecksum(first.files));
  });

  it('changes content when an endpoint changes', () => {
    const moved = { ...model, upstreams: model.upstreams.map((u) => (u.name === 'web' ? upstream('web', [['fd00::6', 80]]) : u)) };
    expect(renderFiles(moved).files[0]!.content).not.toBe(renderFiles(model).files[0]!.content);
  });
});
