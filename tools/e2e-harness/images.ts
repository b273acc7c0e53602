import { imageExists } from './docker.js';

/** Local images the e2e tests use (built by tools/images/build.sh). */
export const E2E_IMAGES = {
  /** HTTP + WebSocket echo backend (tools/e2e-harness/echo-server.js), listens on 8080. */
  echo: 'switchyard/e2e-echo:latest',
  /** Stock nginx in the foreground, config at /etc/nginx/nginx.conf. */
  proxyNginx: 'switchyard/proxy-nginx:latest',
  /** Stock HAProxy (master-worker) in the foreground, config at /etc/haproxy/haproxy.cfg. */
  proxyHaproxy: 'switchyard/proxy-haproxy:latest',
  /** Debian's caddy plus the proxy agent (the example third-party proxy), config at /etc/caddy/caddy.json. */
  proxyCaddy: 'switchyard/proxy-caddy:latest',
  /** The example third-party extension that renders Caddy's JSON config (examples/caddy). */
  caddyExtension: 'switchyard/example-caddy-extension:latest',
} as const;

/** Rejects with a message naming the missing images and the command that builds them. */
export async function requireImages(images: readonly string[]): Promise<void> {
  const missing: string[] = [];
  for (const image of images) if (!(await imageExists(image))) missing.push(image);
  if (missing.length > 0) {
    throw new Error(`missing local images ${missing.join(', ')}: run 'bash tools/setup.sh' (or tools/images/build.sh)`);
  }
}
