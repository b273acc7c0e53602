import { spawn } from 'node:child_process';
import net from 'node:net';

/** A loopback port whose connects hang (SYNs dropped), like a swarm task IP that has just gone. */
export interface BlackHole {
  port: number;
  close(): void;
}

/**
 * Opens a black hole on 127.0.0.1: a child process listens with a backlog of 1 and is stopped
 * (SIGSTOP) before it can accept anything; two idle connections then fill its accept queue, so the
 * kernel drops every further SYN and connect() hangs. Checks that a connect really hangs before
 * returning, and throws when it does not (no black hole on this kernel). Bounded in time. The port
 * is written as plain text (console.log would colour it under FORCE_COLOR, as nx sets).
 */
export async function openBlackHole(): Promise<BlackHole> {
  const script = "const s = require('net').createServer(); s.listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => process.stdout.write(s.address().port + '\\n'));";
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'ignore'] });
  const sockets: net.Socket[] = [];
  const close = (): void => {
    for (const socket of sockets) socket.destroy();
    child.kill('SIGKILL');
  };
  const within = <T>(ms: number, what: string, work: Promise<T>): Promise<T> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`black hole: ${what} took over ${ms} ms`)), ms)));
    return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
  };
  try {
    const port = await within(10_000, 'listening', new Promise<number>((resolve, reject) => {
      child.stdout?.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim())));
      child.once('exit', () => reject(new Error('black hole: the listener exited')));
    }));
    child.kill('SIGSTOP');
    const connect = (): net.Socket => {
      const socket = net.connect(port, '127.0.0.1');
      socket.on('error', () => undefined);
      sockets.push(socket);
      return socket;
    };
    for (let i = 0; i < 2; i++) {
      const socket = connect();
      await within(2000, 'filling the accept queue', new Promise((resolve) => socket.once('connect', resolve)));
    }
    const probe = connect();
    const connected = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 300);
      probe.once('connect', () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
    probe.destroy();
    if (connected) throw new Error('black hole: a connect to a full accept queue completed (SYNs are not dropped on this kernel)');
    return { port, close };
  } catch (error) {
    close();
    throw error;
  }
}
