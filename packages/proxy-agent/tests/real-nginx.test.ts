/** runProxyAgent with the real nginx binary: see helpers/real-proxy-suite.ts. */
import { join } from 'node:path';
import { nginxDriver } from '../src/index.js';
import { realProxySuite } from './helpers/real-proxy-suite.js';

realProxySuite({
  driver: nginxDriver(),
  files: ({ dir, port, backendPort, gen, split }) => {
    const server = `upstream be { server 127.0.0.1:${backendPort}; }
server {
    listen 127.0.0.1:${port};
    location / { proxy_pass http://be; add_header x-gen ${gen} always; }
}
`;
    // Runs as root in a temp dir: pid, error log and temp paths there; no `user` directive.
    const main = `pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} warn;
worker_processes 1;
events { worker_connections 256; }
http {
    access_log off;
    client_body_temp_path ${join(dir, 'tmp', 'body')};
    proxy_temp_path ${join(dir, 'tmp', 'proxy')};
    fastcgi_temp_path ${join(dir, 'tmp', 'fastcgi')};
    uwsgi_temp_path ${join(dir, 'tmp', 'uwsgi')};
    scgi_temp_path ${join(dir, 'tmp', 'scgi')};
${split ? '    include switchyard.d/*.conf;\n' : server}}
`;
    return split ? [{ path: 'nginx.conf', content: main }, { path: 'switchyard.d/part-001.conf', content: server }] : [{ path: 'nginx.conf', content: main }];
  },
  invalid: ({ dir }) => [{ path: 'nginx.conf', content: `pid ${join(dir, 'nginx.pid')};\nevents {}\nhttp { server { bogus_directive on; } }\n` }],
});
