/** runProxyAgent with the real HAProxy binary: see helpers/real-proxy-suite.ts. */
import { join } from 'node:path';
import { haproxyDriver } from '../src/index.js';
import { realProxySuite } from './helpers/real-proxy-suite.js';

realProxySuite({
  driver: haproxyDriver(),
  files: ({ dir, port, backendPort, gen, split }) => {
    // As the renderer does: `default-path config` (map paths relative to haproxy.cfg) and an admin
    // socket with `expose-fd listeners` (the new worker takes over the listening sockets).
    const main = `global
    default-path config
    stats socket ${join(dir, 'admin.sock')} mode 600 level admin expose-fd listeners
defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
frontend web
    bind 127.0.0.1:${port}
    http-response set-header x-gen ${gen}
${split ? '    http-request set-var(txn.vh) req.hdr(host),lower,map_str(switchyard.d/hosts-001.map)\n' : ''}    default_backend be
${split ? '' : `backend be\n    server s1 127.0.0.1:${backendPort}\n`}`;
    if (!split) return [{ path: 'haproxy.cfg', content: main }];
    return [
      { path: 'haproxy.cfg', content: main },
      { path: 'switchyard.d/part-001.cfg', content: `backend be\n    server s1 127.0.0.1:${backendPort}\n` },
      { path: 'switchyard.d/hosts-001.map', content: 'nothing.example be\n' },
    ];
  },
  invalid: () => [{ path: 'haproxy.cfg', content: 'frontend web\n    bogus_keyword on\n' }],
});
