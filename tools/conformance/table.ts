/**
 * The routing conformance table: (cluster model, request) → what the user sees, for the world of
 * world.ts. Each row runs against real nginx, real HAProxy (one file and split) and `explainRequest`.
 * Rows are grouped by the docs/routing page they cover.
 */
import type { Row } from './outcome.js';
import { PUBLISHED_HTTPS_PORT } from './world.js';

const INFO = { 'x-server-info': 'switchyard' };

/** Every row of the suite. */
export const ROWS: readonly Row[] = [
  // hosts-and-paths.md
  {
    name: 'a host balances over the tasks of its service, path and query unchanged',
    doc: 'hosts-and-paths',
    request: { cluster: 'default', scheme: 'http', host: 'web.conf.test', path: '/hello?x=1', samples: 4 },
    expect: { status: 200, backends: ['web'], tasks: 2, path: '/hello?x=1', headers: INFO, upstreamHeaders: { host: 'web.conf.test', 'x-forwarded-proto': 'http' } },
  },
  {
    name: 'a second name of the service, in another case and with a port: the app gets the Host header as sent',
    doc: 'hosts-and-paths',
    request: { cluster: 'default', scheme: 'http', host: 'WWW.Conf.Test:8080', path: '/x' },
    expect: { status: 200, backends: ['web'], path: '/x', upstreamHeaders: { host: 'WWW.Conf.Test:8080' } },
  },
  {
    name: 'context_root with rewrite strips the prefix and keeps the query',
    doc: 'hosts-and-paths',
    request: { cluster: 'default', scheme: 'http', host: 'web.conf.test', path: '/api/users/7?q=1' },
    expect: { status: 200, backends: ['api'], path: '/users/7?q=1' },
  },
  {
    name: 'context_root with rewrite: the bare prefix reaches the app as /',
    doc: 'hosts-and-paths',
    request: { cluster: 'default', scheme: 'http', host: 'web.conf.test', path: '/api' },
    expect: { status: 200, backends: ['api'], path: '/' },
  },
  {
    name: 'context_root with rewrite: the prefix with a slash and a query reaches the app as /?q',
    doc: 'hosts-and-paths',
    request: { cluster: 'default', scheme: 'http', host: 'web.conf.test', path: '/api/?q=1' },
    expect: { status: 200, backends: ['api'], path: '/?q=1' },
  },
  {
    name: 'context_root matches whole segments only (/apiary is not under /api)',
    doc: 'hosts-and-paths',
    request: { cluster: 'default', scheme: 'http', host: 'web.conf.test', path: '/apiary' },
    expect: { status: 200, backends: ['web'], path: '/apiary' },
  },
  {
    name: 'the longest context root wins (/api/v2 over /api), without rewrite',
    doc: 'hosts-and-paths',
    request: { cluster: 'default', scheme: 'http', host: 'web.conf.test', path: '/api/v2/items' },
    expect: { status: 200, backends: ['apiv2'], path: '/api/v2/items' },
  },
  {
    name: 'a sibling of the longer context root stays with the shorter one',
    doc: 'hosts-and-paths',
    request: { cluster: 'default', scheme: 'http', host: 'web.conf.test', path: '/api/v2x' },
    expect: { status: 200, backends: ['api'], path: '/v2x' },
  },
  {
    name: 'a host served only under a context root: a path under it is routed',
    doc: 'hosts-and-paths',
    request: { cluster: 'default', scheme: 'http', host: 'docs.conf.test', path: '/docs/intro' },
    expect: { status: 200, backends: ['docs'], path: '/docs/intro' },
  },
  {
    name: 'a host served only under a context root: another path gets the 503 page (not the default backend)',
    doc: 'hosts-and-paths',
    request: { cluster: 'default', scheme: 'http', host: 'docs.conf.test', path: '/other' },
    expect: { status: 503, backends: [], headers: { 'content-type': 'text/html' } },
  },
  {
    name: 'a trailing dot in the Host header names the same host',
    doc: 'hosts-and-paths',
    request: { cluster: 'default', scheme: 'http', host: 'web.conf.test.', path: '/dot' },
    expect: { status: 200, backends: ['web'], path: '/dot' },
  },
  {
    name: 'dot segments are resolved before the context root is matched; the path is passed on as sent',
    doc: 'hosts-and-paths',
    request: { cluster: 'default', scheme: 'http', host: 'web.conf.test', path: '/api/../admin' },
    expect: { status: 200, backends: ['web'], path: '/api/../admin' },
  },
  {
    name: 'percent-escapes are decoded before the context root is matched',
    doc: 'hosts-and-paths',
    request: { cluster: 'default', scheme: 'http', host: 'web.conf.test', path: '/%61pi/x' },
    expect: { status: 200, backends: ['api'], path: '/x' },
  },
  {
    name: 'a doubled slash is merged before the context root is matched',
    doc: 'hosts-and-paths',
    request: { cluster: 'default', scheme: 'http', host: 'web.conf.test', path: '//api/x' },
    expect: { status: 200, backends: ['api'], path: '/x' },
  },
  {
    name: 'an escaped slash is decoded before the context root is matched',
    doc: 'hosts-and-paths',
    request: { cluster: 'default', scheme: 'http', host: 'web.conf.test', path: '/api%2Fx?q=1' },
    expect: { status: 200, backends: ['api'], path: '/x?q=1' },
  },
  {
    name: 'with rewrite the app gets the rest of the normalized path (dot segments resolved)',
    doc: 'hosts-and-paths',
    request: { cluster: 'default', scheme: 'http', host: 'web.conf.test', path: '/api/a/./b/../c?q=1' },
    expect: { status: 200, backends: ['api'], path: '/a/c?q=1' },
  },
  {
    name: 'a wildcard host matches a deeper name',
    doc: 'hosts-and-paths',
    request: { cluster: 'default', scheme: 'http', host: 'a.b.wild.conf.test', path: '/w' },
    expect: { status: 200, backends: ['wild'], path: '/w' },
  },
  {
    name: 'a wildcard host does not match its bare suffix (the default backend answers)',
    doc: 'hosts-and-paths',
    request: { cluster: 'default', scheme: 'http', host: 'wild.conf.test', path: '/w' },
    expect: { status: 200, backends: ['fallback'], path: '/w' },
  },

  // redirects.md
  {
    name: 'a redirect answers 302 to the target plus the original URI',
    doc: 'redirects',
    request: { cluster: 'default', scheme: 'http', host: 'old.conf.test', path: '/some/page?x=1' },
    expect: { status: 302, location: 'http://new.conf.test/some/page?x=1', backends: [] },
  },
  {
    name: 'the redirect target name is served by the service',
    doc: 'redirects',
    request: { cluster: 'default', scheme: 'http', host: 'new.conf.test', path: '/some/page' },
    expect: { status: 200, backends: ['site'], path: '/some/page' },
  },

  {
    name: 'a redirect from a path under a context root wins over the shorter route',
    doc: 'redirects',
    request: { cluster: 'default', scheme: 'http', host: 'web.conf.test', path: '/api/old/x?y=1' },
    expect: { status: 302, location: 'http://new.conf.test/moved/api/old/x?y=1', backends: [] },
  },
  {
    name: 'a redirect from / does not catch a context root of the host',
    doc: 'redirects',
    request: { cluster: 'default', scheme: 'http', host: 'legacy.conf.test', path: '/api/x' },
    expect: { status: 200, backends: ['legacyapi'], path: '/api/x' },
  },
  {
    name: 'a redirect from / catches every other path',
    doc: 'redirects',
    request: { cluster: 'default', scheme: 'http', host: 'legacy.conf.test', path: '/other?a=1' },
    expect: { status: 302, location: 'http://new.conf.test/other?a=1', backends: [] },
  },

  // ssl-only-and-backend-tls.md
  {
    name: 'ssl_only redirects plain HTTP to HTTPS with 301 (same host, path and query, the published TLS port)',
    doc: 'ssl-only-and-backend-tls',
    request: { cluster: 'default', scheme: 'http', host: 'Shop.Conf.Test:8080', path: '/cart?id=3' },
    expect: { status: 301, location: `https://shop.conf.test:${PUBLISHED_HTTPS_PORT}/cart?id=3`, backends: [] },
  },
  {
    name: 'ssl_backend: the proxy speaks TLS to the tasks',
    doc: 'ssl-only-and-backend-tls',
    request: { cluster: 'default', scheme: 'http', host: 'tlsback.conf.test', path: '/secure' },
    expect: { status: 200, backends: ['tlsback'], path: '/secure', backendTls: true, headers: INFO },
  },
  {
    name: 'without ssl_backend the proxy speaks plain HTTP to the tasks',
    doc: 'ssl-only-and-backend-tls',
    request: { cluster: 'default', scheme: 'http', host: 'web.conf.test', path: '/plain' },
    expect: { status: 200, backends: ['web'], backendTls: false },
  },

  // tls-termination.md
  {
    name: 'TLS is terminated with the host certificate (SNI) and forwarded as X-Forwarded-Proto https',
    doc: 'tls-termination',
    request: { cluster: 'default', scheme: 'https', host: 'shop.conf.test', path: '/cart?id=3' },
    expect: {
      status: 200,
      tls: { terminated: 'shop-cert' },
      backends: ['shop'],
      path: '/cart?id=3',
      backendTls: false,
      headers: INFO,
      upstreamHeaders: { 'x-forwarded-proto': 'https' },
    },
  },
  {
    name: 'SNI picks the wildcard certificate for a name under it',
    doc: 'tls-termination',
    request: { cluster: 'default', scheme: 'https', host: 'a.wild.conf.test', path: '/' },
    expect: { status: 200, tls: { terminated: 'wild-cert' }, backends: ['wild'], path: '/' },
  },
  {
    name: 'a host without a certificate refuses the TLS handshake',
    doc: 'tls-termination',
    request: { cluster: 'default', scheme: 'https', host: 'web.conf.test', path: '/' },
    expect: { status: 0, tls: 'refused', backends: [] },
  },
  {
    name: 'an unknown server name is refused (the default backend is HTTP only)',
    doc: 'tls-termination',
    request: { cluster: 'default', scheme: 'https', host: 'nobody.conf.test', path: '/' },
    expect: { status: 0, tls: 'refused', backends: [] },
  },

  // tls-passthrough.md
  {
    name: 'passthrough: the task presents its own certificate and the proxy adds nothing',
    doc: 'tls-passthrough',
    request: { cluster: 'default', scheme: 'https', host: 'pass.conf.test', path: '/p?q=1' },
    expect: { status: 200, tls: { passthrough: 'pass' }, backends: ['pass'], path: '/p?q=1', backendTls: true, headers: { 'x-server-info': null }, upstreamHeaders: { 'x-request-id': null } },
  },
  {
    name: 'passthrough: the name is TLS only, plain HTTP for it is an unknown host (here the default backend answers)',
    doc: 'tls-passthrough',
    request: { cluster: 'default', scheme: 'http', host: 'pass.conf.test', path: '/p' },
    expect: { status: 200, backends: ['fallback'], path: '/p' },
  },

  // sticky-sessions.md
  {
    name: 'sticky_session_cookie pins each cookie value to one task',
    doc: 'sticky-sessions',
    request: { cluster: 'default', scheme: 'http', host: 'sticky.conf.test', path: '/', sticky: 'SESSION' },
    expect: { status: 200, backends: ['sticky'], sticky: 'SESSION' },
  },
  {
    name: 'without the cookie requests are balanced over the tasks',
    doc: 'sticky-sessions',
    request: { cluster: 'default', scheme: 'http', host: 'sticky.conf.test', path: '/', samples: 6 },
    expect: { status: 200, backends: ['sticky'], tasks: 2 },
  },
  {
    name: 'a service without a sticky label pins nothing',
    doc: 'sticky-sessions',
    request: { cluster: 'default', scheme: 'http', host: 'web.conf.test', path: '/', sticky: 'SESSION' },
    expect: { status: 200, sticky: '' },
  },

  {
    name: 'ip_hash keeps one client address on one task',
    doc: 'sticky-sessions',
    request: { cluster: 'default', scheme: 'http', host: 'iphash.conf.test', path: '/', samples: 6 },
    expect: { status: 200, backends: ['iphash'], tasks: 1 },
  },

  // canary.md
  {
    name: 'canary by weight: 300 : 100 splits 75/25 whatever the replica counts',
    doc: 'canary',
    request: { cluster: 'default', scheme: 'http', host: 'canary.conf.test', path: '/', samples: 40 },
    expect: { status: 200, backends: ['canary', 'stable'], tasks: 3, shares: { stable: 0.75, canary: 0.25 } },
  },
  {
    name: 'canary by replica count: 2 tasks : 1 task splits 2/3 and 1/3',
    doc: 'canary',
    request: { cluster: 'default', scheme: 'http', host: 'bluegreen.conf.test', path: '/', samples: 30 },
    expect: { status: 200, backends: ['blue', 'green'], tasks: 3, shares: { blue: 2 / 3, green: 1 / 3 } },
  },

  {
    name: 'a routed service without running tasks gets the 503 page (not the default backend)',
    doc: 'default-backend',
    request: { cluster: 'default', scheme: 'http', host: 'idle.conf.test', path: '/' },
    expect: { status: 503, backends: [], headers: { 'content-type': 'text/html' } },
  },

  // default-backend.md
  {
    name: 'an unknown host reaches the default backend unchanged (path, query, Host)',
    doc: 'default-backend',
    request: { cluster: 'default', scheme: 'http', host: 'nobody.conf.test', path: '/some/path?q=1' },
    expect: { status: 200, backends: ['fallback'], path: '/some/path?q=1', upstreamHeaders: { host: 'nobody.conf.test' } },
  },
  {
    name: 'a bare IP address as Host reaches the default backend',
    doc: 'default-backend',
    request: { cluster: 'default', scheme: 'http', host: '127.0.0.1', path: '/ip' },
    expect: { status: 200, backends: ['fallback'], path: '/ip' },
  },
  {
    name: 'without a default backend an unknown host gets the 503 page',
    doc: 'default-backend',
    request: { cluster: 'east', scheme: 'http', host: 'nobody.conf.test', path: '/' },
    expect: { status: 503, backends: [], headers: { 'content-type': 'text/html', ...INFO } },
  },

  // websockets.md
  {
    name: 'a websocket_endpoints path upgrades and relays messages',
    doc: 'websockets',
    request: { cluster: 'default', scheme: 'http', host: 'chat.conf.test', path: '/ws', websocket: true },
    expect: { status: 200, backends: ['chat'], path: '/ws', websocket: true },
  },
  {
    name: 'a path below a websocket endpoint upgrades too',
    doc: 'websockets',
    request: { cluster: 'default', scheme: 'http', host: 'chat.conf.test', path: '/ws/room', websocket: true },
    expect: { status: 200, backends: ['chat'], websocket: true },
  },
  {
    name: 'the service still answers plain HTTP on its other paths',
    doc: 'websockets',
    request: { cluster: 'default', scheme: 'http', host: 'chat.conf.test', path: '/page' },
    expect: { status: 200, backends: ['chat'], path: '/page' },
  },
  {
    name: 'a path without websocket_endpoints does not upgrade',
    doc: 'websockets',
    request: { cluster: 'default', scheme: 'http', host: 'web.conf.test', path: '/', websocket: true },
    expect: { status: 200, backends: ['web'], websocket: false },
    differs: {
      targets: { haproxy: { websocket: true }, 'haproxy-split': { websocket: true } },
      why: 'deliberate, documented in websockets.md (as in Interlock, whose HAProxy template relays every upgrade and whose nginx template upgrades only websocket_endpoints): HAProxy relays the Upgrade handshake on every route; nginx and explainRequest allow it only under websocket_endpoints',
    },
  },

  // vip-mode.md
  {
    name: 'backend_mode=vip: one endpoint, the service VIP, answers for every task',
    doc: 'vip-mode',
    request: { cluster: 'default', scheme: 'http', host: 'vip.conf.test', path: '/v', samples: 3 },
    expect: { status: 200, backends: ['vipsvc'], tasks: 1, path: '/v' },
  },

  // service-clusters.md
  {
    name: "another cluster's host is unknown to this cluster's proxy (its default backend answers)",
    doc: 'service-clusters',
    request: { cluster: 'default', scheme: 'http', host: 'east.conf.test', path: '/e' },
    expect: { status: 200, backends: ['fallback'], path: '/e' },
  },
  {
    name: "a cluster's proxy routes its own services",
    doc: 'service-clusters',
    request: { cluster: 'east', scheme: 'http', host: 'east.conf.test', path: '/e' },
    expect: { status: 200, backends: ['east'], path: '/e' },
  },
  {
    name: "the default cluster's hosts get the 503 page from another cluster's proxy",
    doc: 'service-clusters',
    request: { cluster: 'east', scheme: 'http', host: 'web.conf.test', path: '/' },
    expect: { status: 503, backends: [] },
  },
  {
    name: "the default cluster's certificates are not served by another cluster's proxy",
    doc: 'service-clusters',
    request: { cluster: 'east', scheme: 'https', host: 'shop.conf.test', path: '/' },
    expect: { status: 0, tls: 'refused', backends: [] },
  },
];
