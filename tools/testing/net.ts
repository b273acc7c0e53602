// Loopback helpers shared by the tests that run real proxies (nginx, HAProxy, Caddy) as child processes.
import type { ChildProcess } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';

/** Listens on an ephemeral loopback port (an in-process server: nothing else binds it meanwhile). */
export function listen(server: net.Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port));
  });
}

/** Closes servers, dropping the open connections of HTTP ones. */
export async function closeAll(servers: net.Server[]): Promise<void> {
  await Promise.all(
    servers.map(
      (s) =>
        new Promise<void>((resolve) => {
          s.close(() => resolve());
          if (s instanceof http.Server) s.closeAllConnections();
        }),
    ),
  );
}

/** Whether something accepts TCP connections on 127.0.0.1:`port` now. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

/**
 * Waits (at most 10 s) until `proc`, a proxy named `name`, accepts connections on `port`. Rejects at
 * once when it exits, and at the deadline, with its output (`log()`) in the message.
 */
export async function waitForPort(port: number, proc: ChildProcess | undefined, log: () => string, name: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (proc && proc.exitCode !== null) throw new Error(`${name} exited (${proc.exitCode}): ${log()}`);
    if (await accepts(port)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${name} did not listen on ${port} within 10 s: ${log()}`);
}
