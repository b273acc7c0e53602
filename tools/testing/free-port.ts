// A port for a test to hand to a process it starts (nginx, HAProxy, a metrics server).
//
// Asking the kernel for port 0 and closing the socket is racy: the port comes from the ephemeral range,
// where every outgoing connection of every parallel test also takes its local port, so by the time
// nginx binds it another socket may hold it (CI saw `bind() ... Address already in use`). Ports are
// picked below the ephemeral range instead (Linux's default starts at 32768), at random so parallel
// Jest workers rarely meet, never twice in one process, and only when both the wildcard and the
// loopback address can bind them now.
import net from 'node:net';

const LOW = 20_000;
const HIGH = 32_000;
const handedOut = new Set<number>();

function canBind(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** A port no socket holds now, outside the kernel's ephemeral range. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = LOW + Math.floor(Math.random() * (HIGH - LOW));
    if (handedOut.has(port)) continue;
    if ((await canBind(port, '0.0.0.0')) && (await canBind(port, '127.0.0.1'))) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error(`no free port between ${LOW} and ${HIGH} after 200 tries`);
}
