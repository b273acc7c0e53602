/**
 * Every extension of every Interlock fixture renders a file its proxy accepts: the real `nginx -t` or
 * `haproxy -dW -c` on the rendered configuration (a model with one routed host).
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ProxyModel } from '@switchyard/proto';
import { parseHaproxyConfig, renderHaproxy } from '@switchyard/render-haproxy';
import { parseNginxConfig, renderNginx } from '@switchyard/render-nginx';
import { parseCoreConfig } from '../src/index.js';

const FIXTURES = join(__dirname, '..', '..', '..', 'tools', 'fixtures', 'interlock');
const model = ProxyModel.fromPartial({
  hosts: [{ host: 'app.example.com', routes: [{ path: '/', upstream: 'app' }] }],
  upstreams: [{ name: 'app', endpoints: [{ address: '10.0.0.2', port: 8080, weight: 1 }] }],
});

function check(files: { path: string; content: string }[], kind: 'nginx' | 'haproxy'): { ok: boolean; output: string } {
  const dir = mkdtempSync(join(tmpdir(), 'sy-config-fixture-'));
  try {
    for (const f of files) {
      mkdirSync(dirname(join(dir, f.path)), { recursive: true });
      writeFileSync(join(dir, f.path), f.content);
    }
    const log = join(dir, 'check.log');
    const fd = openSync(log, 'w');
    try {
      const args = kind === 'nginx' ? ['-t', '-q', '-c', join(dir, 'nginx.conf')] : ['-dW', '-c', '-f', join(dir, 'haproxy.cfg')];
      // nginx opens /dev/stdout itself (Interlock's default log paths): give it a file, not a pipe.
      const result = spawnSync(kind, args, { stdio: ['ignore', fd, fd], cwd: tmpdir(), timeout: 30_000 });
      return { ok: result.status === 0, output: readFileSync(log, 'utf8') };
    } finally {
      closeSync(fd);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const cases = readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.toml'))
  .sort()
  .flatMap((file) => parseCoreConfig(readFileSync(join(FIXTURES, file), 'utf8')).Extensions.map((ext) => [file, ext.Name, ext] as const));

it.each(cases)('%s [Extensions.%s] renders a configuration its proxy accepts', (_file, _name, ext) => {
  const ports = { httpPort: 18080, httpsPort: 18443 };
  const files =
    ext.ProxyKind === 'haproxy'
      ? renderHaproxy(model, { ...ports, config: parseHaproxyConfig(ext.Config) }).files
      : renderNginx(model, { ...ports, config: parseNginxConfig(ext.Config) }).files;
  expect(['nginx', 'haproxy']).toContain(ext.ProxyKind);
  const result = check(files, ext.ProxyKind === 'haproxy' ? 'haproxy' : 'nginx');
  expect([result.ok, result.output]).toEqual([true, expect.any(String)]);
});
