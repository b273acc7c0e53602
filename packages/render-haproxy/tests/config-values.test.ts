/**
 * What the parser accepts, HAProxy accepts: a table of operator values for `[Extensions.<name>.Config]`
 * (good and bad). Every value `parseHaproxyConfig` accepts is rendered (a model with TLS termination and SNI
 * passthrough) and checked with the real `haproxy -dW -c` (zero-warning mode), in a small parallel pool.
 * The values the issue reported as accepted-then-broken must be refused, naming the key.
 * `VALUE_CHECK_REPORT=1` prints the counts.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ProxyModel } from '@switchyard/proto';
import { HaproxyConfigError, parseHaproxyConfig, renderHaproxy } from '../src/index.js';
import { installCert, makePki, type TestPki } from './helpers/tools.js';

/** [key, value, 'refuse' / 'accept' when the parser must refuse / accept the value]. */
type Case = [string, unknown, ('refuse' | 'accept')?];

const CASES: Case[] = [
  ['PidPath', '/run/proxy.pid'], ['PidPath', '/tmp/h.pid'], ['PidPath', 'proxy.pid'], ['PidPath', '/a/../b'],
  ['AdminSocketPath', ''], ['AdminSocketPath', '/tmp/sy-admin.sock'], ['AdminSocketPath', `/tmp/${'a'.repeat(100)}.sock`], ['AdminSocketPath', 'admin.sock'],
  ['HardStopAfter', '5m'], ['HardStopAfter', ''], ['HardStopAfter', '1m30s', 'accept'], ['HardStopAfter', '90s'], ['HardStopAfter', '1.5h', 'accept'], ['HardStopAfter', '0'],
  ['HardStopAfter', '30d'], ['HardStopAfter', 'soon'], ['HardStopAfter', '500ms'],
  ['MaxConnections', 1, 'refuse'], ['MaxConnections', 2], ['MaxConnections', 16], ['MaxConnections', 100], ['MaxConnections', 1024, 'accept'], ['MaxConnections', 100000],
  ['MaxConnections', 0], ['MaxConnections', -1], ['MaxConnections', 4.5], ['MaxConnections', '1024'],
  ['ConnectTimeout', 1], ['ConnectTimeout', 5], ['ConnectTimeout', 600], ['ConnectTimeout', 2147483], ['ConnectTimeout', 0], ['ConnectTimeout', 2147484], ['ConnectTimeout', '5s'],
  ['ClientTimeout', 600], ['ClientTimeout', 30], ['ClientTimeout', 0], ['ServerTimeout', 600], ['ServerTimeout', 86400], ['ServerTimeout', 1.5],
  ['TaskConnectTimeout', '1s'], ['TaskConnectTimeout', '500ms'], ['TaskConnectTimeout', '1.5s', 'accept'], ['TaskConnectTimeout', '1m30s', 'accept'], ['TaskConnectTimeout', '1'], ['TaskConnectTimeout', '0s'],
  ['AdminUser', '', 'accept'], ['AdminUser', 'admin'], ['AdminUser', 'ad min'], ['AdminPass', '', 'accept'], ['AdminPass', 's3cret!'], ['AdminPass', 'a b'], ['AdminPass', 'x#y'],
  ['SSLOpts', ''], ['SSLOpts', 'no-tls-tickets'], ['SSLOpts', 'alpn h2,http/1.1'], ['SSLOpts', 'no-tls-tickets alpn h2,http/1.1'], ['SSLOpts', "alpn 'h2", 'refuse'],
  ['SSLOpts', 'alpn "h2', 'refuse'], ['SSLOpts', "curves 'X25519:P-256'"], ['SSLOpts', 'bogus-option'], ['SSLOpts', 'ssl-min-ver TLSv1.2'], ['SSLOpts', 'x\ny'],
  ['SSLDefaultDHParam', 2048], ['SSLDefaultDHParam', 1024, 'accept'], ['SSLDefaultDHParam', 4096], ['SSLDefaultDHParam', 512], ['SSLDefaultDHParam', 3000],
  ['SSLVerify', 'required'], ['SSLVerify', 'none'], ['SSLVerify', 'optional'],
  ['SSLCiphers', 'HIGH:!aNULL:!MD5'], ['SSLCiphers', 'ECDHE+AESGCM'], ['SSLCiphers', 'DEFAULT'], ['SSLCiphers', ''], ['SSLCiphers', 'a', 'refuse'], ['SSLCiphers', 'NOTACIPHER', 'refuse'],
  ['SSLCiphers', 'TLS_AES_128_GCM_SHA256', 'refuse'], ['SSLCiphers', 'HIGH:!aNULL;x'],
  ['SSLProtocols', 'TLSv1.2', 'accept'], ['SSLProtocols', 'TLSv1.2 TLSv1.3'], ['SSLProtocols', 'TLSv1.3'], ['SSLProtocols', 'TLSv1 TLSv1.1 TLSv1.2'], ['SSLProtocols', 'TLSv1.0 TLSv1.3'],
  ['SSLProtocols', 'SSLv3', 'refuse'], ['SSLProtocols', 'SSLv3 TLSv1.2', 'refuse'], ['SSLProtocols', 'TLSv1.4'], ['SSLProtocols', ''], ['SSLProtocols', 'tlsv1.2'],
  ['GlobalOptions', []], ['GlobalOptions', ['tune.bufsize 32768']], ['GlobalOptions', ['nbthread 2']], ['GlobalOptions', ['tune.ssl.cachesize 20000', 'tune.http.maxhdr 128']],
  ['GlobalOptions', ['maxconn 100']], ['GlobalOptions', ['pidfile /tmp/x.pid']], ['GlobalOptions', ['frontend x']], ['GlobalOptions', ['log stdout format raw local0']],
  ['GlobalOptions', ["setenv FOO 'bar"], 'refuse'], ['GlobalOptions', ['tune.maxrewrite 2048']], ['DefaultOptions', ['option dontlognull']],
  ['DefaultOptions', []], ['DefaultOptions', ['option http-keep-alive']], ['DefaultOptions', ['timeout http-request 10s']], ['DefaultOptions', ['retries 3']],
  ['DefaultOptions', ['timeout connect 5s']], ['DefaultOptions', ['option forwardfor']], ['DefaultOptions', ['backend x']],
  ['HideInfoHeaders', true], ['HideInfoHeaders', 'yes'],
  // Interlock keys Switchyard does not use (nginx ones in an HAProxy table included): accepted and ignored.
  ['Version', '', 'accept'], ['User', 'nginx', 'accept'], ['WorkerProcesses', 1, 'accept'], ['MainLogFormat', "'$remote_addr';", 'accept'], ['KeepaliveTimeout', '75s', 'accept'], ['HTTPOptions', [], 'accept'],
  ['MaxConn', 1024],
];

interface Outcome {
  key: string;
  value: unknown;
  accepted: boolean;
  problem?: string;
  proxyOk?: boolean;
  output?: string;
}

const model = ProxyModel.fromJSON(JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'sni-passthrough', 'model.json'), 'utf8')));

function haproxyTest(dir: string): Promise<{ ok: boolean; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('haproxy', ['-dW', '-c', '-f', join(dir, 'haproxy.cfg'), '-f', join(dir, 'switchyard.d')], { cwd: tmpdir(), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.on('close', (code) => resolve({ ok: code === 0, output }));
  });
}

async function pool<T, R>(items: T[], size: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: size }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await work(items[i] as T);
      }
    }),
  );
  return results;
}

let pki: TestPki;
let root: string;
let outcomes: Outcome[];

beforeAll(async () => {
  pki = makePki(['example.com', '*.example.com']);
  for (const cert of model.certificates) installCert(pki, pki.dir, cert.certFile);
  root = mkdtempSync(join(tmpdir(), 'sy-haproxy-values-'));
  outcomes = await pool(CASES.map((c, i) => ({ c, i })), 8, async ({ c: [key, value], i }): Promise<Outcome> => {
    let config;
    try {
      config = parseHaproxyConfig({ [key]: value });
    } catch (err) {
      if (!(err instanceof HaproxyConfigError)) throw err;
      return { key, value, accepted: false, problem: err.message };
    }
    const { files } = renderHaproxy(model, { config, httpPort: 18080 + i, httpsPort: 28443 });
    const dir = join(root, `case-${i}`);
    mkdirSync(join(dir, 'switchyard.d'), { recursive: true });
    for (const f of files) {
      mkdirSync(dirname(join(dir, f.path)), { recursive: true });
      writeFileSync(join(dir, f.path), f.content.split('/run/secrets/').join(`${pki.dir}/`));
    }
    const check = await haproxyTest(dir);
    return { key, value, accepted: true, proxyOk: check.ok, output: check.output };
  });
}, 120_000);

afterAll(() => {
  pki?.cleanup();
  if (root) rmSync(root, { recursive: true, force: true });
});

it('has a table of at least 100 HAProxy operator values', () => {
  expect(CASES.length).toBeGreaterThanOrEqual(100);
});

it('haproxy -c accepts every value the parser accepts', () => {
  const broken = outcomes
    .filter((o) => o.accepted && !o.proxyOk)
    .map((o) => `${o.key} = ${JSON.stringify(o.value)}: ${(o.output ?? '').split('\n').find((l) => /ALERT|WARNING/.test(l)) ?? o.output}`);
  if (process.env['VALUE_CHECK_REPORT'] === '1') {
    const accepted = outcomes.filter((o) => o.accepted).length;
    process.stdout.write(`haproxy values: ${outcomes.length}, accepted ${accepted}, accepted but refused by haproxy -c ${broken.length}\n${broken.join('\n')}\n`);
  }
  expect(broken).toEqual([]);
});

it("accepts Interlock's documented values, Go durations and ignored keys", () => {
  const refused = CASES.flatMap(([key, value, expectation], i) =>
    expectation === 'accept' && !(outcomes[i] as Outcome).accepted ? [`${key} = ${JSON.stringify(value)}: ${(outcomes[i] as Outcome).problem}`] : [],
  );
  expect(refused).toEqual([]);
});

it('refuses the known-bad values, naming the key', () => {
  const wrong = CASES.flatMap(([key, value, expectation], i) => {
    if (expectation !== 'refuse') return [];
    const o = outcomes[i] as Outcome;
    return o.accepted || !new RegExp(`\\b${key}(\\[\\d+\\])?: `).test(o.problem ?? '') ? [`${key} = ${JSON.stringify(value)}`] : [];
  });
  expect(wrong).toEqual([]);
});
