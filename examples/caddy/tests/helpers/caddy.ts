/**
 * The real `caddy` binary for tests: `caddy validate`, and a Caddy run on loopback from a rendered
 * model (own HTTP and admin ports, own HOME so nothing is written outside its temp dir) that can be
 * reloaded with `caddy reload`. Plus small HTTP backends and a client sending a Host header.
 * Every wait is bounded.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ProxyModel } from '@switchyard/proto';
import { freePort } from '../../../../tools/testing/free-port.js';
import { CADDY_FILE, renderCaddy, type CaddyRenderResult } from '../../src/index.js';
export { closeAll } from '../../../../tools/testing/net.js';
import { waitForPort } from '../../../../tools/testing/net.js';

const COMMAND_TIMEOUT_MS = 20_000;

/** The environment Caddy runs with: its config and data directories inside `home`. */
function caddyEnv(home: string): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, XDG_CONFIG_HOME: join(home, 'config'), XDG_DATA_HOME: join(home, 'data') };
}

/** Runs `caddy <args>` (bounded); resolves with its exit status and output, never rejects for a non-zero exit. */
export function caddy(args: string[], home: string): Promise<{ ok: boolean; output: string }> {
  return new Promise((resolve, reject) => {
    execFile('caddy', args, { env: caddyEnv(home), timeout: COMMAND_TIMEOUT_MS }, (error, stdout, stderr) => {
      if (error && (error as NodeJS.ErrnoException).code === 'ENOENT') {
        reject(new Error('the caddy binary is not installed (tools/setup.sh installs it: apt-get install caddy)'));
        return;
      }
      resolve({ ok: !error, output: `${stdout}${stderr}` });
    });
  });
}

/** A directory for a test's Caddy files; remove it with `rmSync(dir, { recursive: true })`. */
export const caddyHome = (): string => mkdtempSync(join(tmpdir(), 'caddy-example-'));

/** Writes `content` as `caddy.json` in `dir` and runs `caddy validate` on it. */
export async function validate(content: string, dir: string): Promise<{ ok: boolean; output: string }> {
  const file = join(dir, `validate-${process.pid}-${Date.now()}.json`);
  writeFileSync(file, content);
  try {
    return await caddy(['validate', '--config', file], dir);
  } finally {
    rmSync(file, { force: true });
  }
}

/** A Caddy serving a rendered model on 127.0.0.1. */
export interface LiveCaddy {
  httpPort: number;
  adminAddress: string;
  /** The config file Caddy runs from. */
  file: string;
  /** The last render. */
  rendered: CaddyRenderResult;
  /** Renders `model`, writes the file, `caddy validate`s it and `caddy reload`s it; rejects with Caddy's output on failure. */
  apply(model: ProxyModel): Promise<void>;
  /** Caddy's log so far. */
  log(): string;
  /** Stops Caddy (SIGTERM, SIGKILL after 5 s) and removes its files. */
  stop(): Promise<void>;
}

/** Starts `caddy run` on a rendered model (after `caddy validate` passed) and waits until it listens. */
export async function startCaddy(model: ProxyModel): Promise<LiveCaddy> {
  const home = caddyHome();
  mkdirSync(join(home, 'config'));
  mkdirSync(join(home, 'data'));
  const file = join(home, CADDY_FILE);
  const httpPort = await freePort();
  const adminAddress = `127.0.0.1:${await freePort()}`;
  const render = async (next: ProxyModel): Promise<CaddyRenderResult> => {
    const result = renderCaddy(next, { httpPort, adminAddress });
    const content = result.files[0]?.content ?? '';
    writeFileSync(file, content);
    const check = await caddy(['validate', '--config', file], home);
    if (!check.ok) throw new Error(`caddy validate failed:\n${check.output}`);
    return result;
  };
  let rendered = await render(model);
  let output = '';
  const proc: ChildProcess = spawn('caddy', ['run', '--config', file], { env: caddyEnv(home), cwd: home, stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  proc.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  const stop = async (): Promise<void> => {
    if (proc.exitCode === null && proc.signalCode === null) {
      const exited = new Promise((resolve) => proc.once('exit', resolve));
      proc.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise((resolve) => (timer = setTimeout(resolve, 5000)))]);
      clearTimeout(timer);
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGKILL');
        await exited;
      }
    }
    rmSync(home, { recursive: true, force: true });
  };
  try {
    await waitForPort(httpPort, proc, () => output, 'caddy');
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    httpPort,
    adminAddress,
    file,
    get rendered() {
      return rendered;
    },
    async apply(next) {
      rendered = await render(next);
      const reload = await caddy(['reload', '--config', file, '--address', adminAddress], home);
      if (!reload.ok) throw new Error(`caddy reload failed:\n${reload.output}`);
    },
    log: () => output,
    stop,
  };
}

/** What a backend saw, as it answers it: `{ server, url, host }`. */
export interface Echo {
  server: string;
  url: string;
  host: string;
}

/** Starts an HTTP (or, with `tls`, HTTPS) backend on an ephemeral loopback port answering {@link Echo} as JSON. */
export async function startBackend(name: string, servers: net.Server[], tls?: { cert: string; key: string }): Promise<number> {
  const handler: http.RequestListener = (req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ server: name, url: req.url ?? '', host: req.headers.host ?? '' } satisfies Echo));
  };
  const server = tls ? https.createServer(tls, handler) : http.createServer(handler);
  servers.push(server);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port));
  });
}

/** What a request got. */
export interface Reply {
  status: number;
  body: string;
  /** The body parsed as {@link Echo} when a backend answered. */
  echo: Echo | undefined;
}

/** GETs `path` from 127.0.0.1:`port` with `Host: host` (no keep-alive; fails after 5 s). */
export function get(port: number, host: string, path = '/'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, headers: { Host: host, Connection: 'close' }, agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => {
        let echo: Echo | undefined;
        try {
          echo = res.headers['content-type'] === 'application/json' ? (JSON.parse(body) as Echo) : undefined;
        } catch {
          echo = undefined;
        }
        resolve({ status: res.statusCode ?? 0, body, echo });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`GET http://${host}${path} timed out`)));
    req.on('error', reject);
  });
}

/** A self-signed certificate and key (PEM) for a TLS backend, made with openssl in a temp dir that is removed. */
export function selfSignedCertificate(): Promise<{ cert: string; key: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'caddy-example-cert-'));
  return new Promise((resolve, reject) => {
    execFile(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'key.pem', '-out', 'cert.pem', '-subj', '/CN=backend.test', '-days', '2'],
      { cwd: dir, timeout: COMMAND_TIMEOUT_MS },
      (error) => {
        try {
          if (error) reject(error);
          else resolve({ cert: readFileSync(join(dir, 'cert.pem'), 'utf8'), key: readFileSync(join(dir, 'key.pem'), 'utf8') });
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      },
    );
  });
}

