/**
 * Regression (injection corpus, tools/fuzz/corpus.ts, class haproxy-section): HAProxy unquotes and
 * unescapes the first word of a line before it compares it with the section keywords, so an option line
 * starting with `"backend"`, `\x62ackend` or `${VAR}` opened a section of its own although
 * `optionLineProblem` refused a plain `backend`. The first word must now be a plain keyword.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HaproxyConfigError, parseHaproxyConfig } from '../src/index.js';
import { haproxyCheck } from './helpers/tools.js';

const DISGUISED = ['"backend" evil', "'frontend' evil", '\\x62ackend evil', '\\listen evil', 'b"ackend" evil'];

describe('option lines start with a plain keyword', () => {
  it('the real haproxy reads a quoted or escaped keyword as a new section', () => {
    const secrets = mkdtempSync(join(tmpdir(), 'sy-haproxy-keyword-'));
    try {
      // As DefaultOptions would print it: the quoted keyword opens a frontend (which `bind` and
      // `default_backend` need: in `defaults` they are errors).
      const cfg = ['defaults', '    mode http', '    timeout connect 1s', '    timeout client 1s', '    timeout server 1s', '    "frontend" evil', '    bind 127.0.0.1:1', '    default_backend b', 'backend b', '    server s 127.0.0.1:2', ''];
      const { status, output } = haproxyCheck(cfg.join('\n'), secrets);
      expect({ status, output: output.replace(/^Configuration file is valid\n?$/, '') }).toEqual({ status: 0, output: '' });
    } finally {
      rmSync(secrets, { recursive: true, force: true });
    }
  });

  it.each(['GlobalOptions', 'DefaultOptions'])('%s refuses a disguised section keyword, naming the entry', (key) => {
    for (const line of DISGUISED) {
      let error: unknown;
      try {
        parseHaproxyConfig({ [key]: ['nbthread 2', line] });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(HaproxyConfigError);
      expect((error as HaproxyConfigError).issues.map((i) => [i.key, i.message.endsWith('(at 1)')])).toEqual([[key, true]]);
      expect((error as HaproxyConfigError).message).toMatch(/plain keyword/);
    }
  });

  it('keeps accepting ordinary option lines', () => {
    const lines = ['nbthread 2', 'tune.ssl.default-dh-param 2048', 'log stdout format raw local0', 'option dontlognull', 'http-request set-header X-A "a b"'];
    expect(parseHaproxyConfig({ GlobalOptions: lines.slice(0, 3), DefaultOptions: lines.slice(3) }).DefaultOptions).toEqual(lines.slice(3));
    expect(parseHaproxyConfig({ SSLOpts: 'no-tls-tickets alpn h2,http/1.1' }).SSLOpts).toBe('no-tls-tickets alpn h2,http/1.1');
  });
});
