/**
 * explainRequest agrees with both proxies (see the render packages' isolation tests): trailing-dot
 * hosts, redirect against context-root precedence, and wildcards that never capture other services' TLS.
 */
import { ProxyModel, type Upstream } from '@switchyard/proto';
import { endpoint, upstream } from '../../../tools/testing/model.js';
import { explainRequest } from '../src/index.js';

const up = (name: string): Upstream => upstream(name, [endpoint('10.0.0.2', 80, name, 1, `${name}1`)]);
const cert = (name: string) => ({ name, certSecret: name, keySecret: `${name}.key`, certFile: `${name}.pem`, keyFile: `${name}.pem.key` });

describe('explainRequest agrees with the proxies', () => {
  it('routes "name." and "Name.:port" to the host "name", not the default backend', () => {
    const m = ProxyModel.fromPartial({
      hosts: [{ host: 'web.test', routes: [{ path: '/', upstream: 'web' }] }],
      defaultUpstream: 'default',
      upstreams: [up('web'), up('default')],
    });
    for (const host of ['web.test.', 'WEB.test.:8080']) expect(explainRequest(m, host).http).toMatchObject({ kind: 'proxy', upstream: 'web', matchedHost: 'web.test' });
    expect(explainRequest(m, 'other.test').http.kind).toBe('default-backend');
  });

  it('lets the most specific path win between a redirect and a context root (the redirect on an equal path)', () => {
    const m = ProxyModel.fromPartial({
      hosts: [
        {
          host: 'web.test',
          routes: [
            { path: '/api', upstream: 'api' },
            { path: '/same', upstream: 'api' },
          ],
          redirects: [
            { fromPath: '/', toUrl: 'http://elsewhere.test' },
            { fromPath: '/api/old', toUrl: 'http://old.test' },
            { fromPath: '/same', toUrl: 'http://same.test' },
          ],
        },
      ],
      upstreams: [up('api')],
    });
    expect(explainRequest(m, 'web.test', '/api/users').http).toMatchObject({ kind: 'proxy', upstream: 'api' });
    expect(explainRequest(m, 'web.test', '/api/old/x?q=1').http).toMatchObject({ kind: 'redirect', location: 'http://old.test/api/old/x?q=1' });
    expect(explainRequest(m, 'web.test', '/other').http).toMatchObject({ kind: 'redirect', location: 'http://elsewhere.test/other' });
    expect(explainRequest(m, 'web.test', '/same/x').http).toMatchObject({ kind: 'redirect', location: 'http://same.test/same/x' });
  });

  it("does not let a wildcard certificate answer HTTPS for another service's plain-HTTP host", () => {
    const m = ProxyModel.fromPartial({
      hosts: [
        { host: '*.good.test', certificate: 'wild', routes: [{ path: '/', upstream: 'wild' }] },
        { host: 'victim.good.test', routes: [{ path: '/', upstream: 'victim' }] },
      ],
      certificates: [cert('wild')],
      upstreams: [up('wild'), up('victim')],
    });
    expect(explainRequest(m, 'a.good.test').https).toMatchObject({ kind: 'proxy', upstream: 'wild' });
    expect(explainRequest(m, 'victim.good.test').http).toMatchObject({ kind: 'proxy', upstream: 'victim' });
    expect(explainRequest(m, 'victim.good.test').https).toMatchObject({ kind: 'no-tls', matchedHost: 'victim.good.test', upstream: '' });
  });

  it("does not let a wildcard SNI passthrough route capture other services' hosts", () => {
    const m = ProxyModel.fromPartial({
      hosts: [
        { host: 'owned.pass.test', certificate: 'owned', routes: [{ path: '/', upstream: 'owned' }] },
        { host: 'plain.pass.test', routes: [{ path: '/', upstream: 'plain' }] },
        { host: 'both.test', sslOnly: true },
      ],
      sniRoutes: [
        { host: '*.pass.test', upstream: 'pass' },
        { host: 'both.test', upstream: 'pass' },
      ],
      certificates: [cert('owned')],
      upstreams: [up('pass'), up('owned'), up('plain')],
    });
    expect(explainRequest(m, 'x.pass.test').https).toMatchObject({ kind: 'passthrough', upstream: 'pass' });
    expect(explainRequest(m, 'owned.pass.test').https).toMatchObject({ kind: 'proxy', upstream: 'owned', certificate: { name: 'owned' } });
    expect(explainRequest(m, 'plain.pass.test').https.kind).toBe('no-tls');
    // The same name as an SNI route: passthrough wins.
    expect(explainRequest(m, 'both.test').https).toMatchObject({ kind: 'passthrough', upstream: 'pass' });
  });
});
