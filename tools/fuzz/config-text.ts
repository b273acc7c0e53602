/**
 * Reading rendered proxy configuration back the way the proxies read it, for the injection corpus:
 * an nginx tokenizer (the rules of nginx's `ngx_conf_read_token`: quotes, backslash escapes, `#`
 * comments, `${var}`), HAProxy sections and words, and the "victim slice" of a rendered file set —
 * the text that serves a given set of hosts — so that a test can check it did not change when
 * another service was added.
 */

/** A rendered file (path relative to the main file's directory). */
export interface TextFile {
  path: string;
  content: string;
}

// ---------------------------------------------------------------------------------------------
// nginx
// ---------------------------------------------------------------------------------------------

/** One nginx directive: its name and argument tokens (raw, quotes kept), its block and its source span. */
export interface NginxDirective {
  /** File the directive is in. */
  file: string;
  name: string;
  args: string[];
  /** Children of a block directive (`undefined` for a simple directive). */
  block: NginxDirective[] | undefined;
  /** Offsets of the directive's text (name to `;` or `}`) in its file. */
  start: number;
  end: number;
  /** Names of the enclosing blocks, outermost first, e.g. `['http', 'server']`. */
  context: string[];
}

/** Thrown when text is not valid nginx syntax. */
export class NginxSyntaxError extends Error {}

const NGINX_SPACE = new Set([' ', '\t', '\r', '\n']);

/**
 * Tokenizes and parses nginx configuration text into directives, as nginx does: whitespace is
 * space, tab, CR and LF; `#` at the start of a token begins a comment; `"…"` and `'…'` are
 * single tokens with `\` escapes; `\` escapes a character in a bare word; `${` opens a variable
 * name inside a bare word. Throws {@link NginxSyntaxError} for unbalanced braces, a directive
 * without `;`, or a quote not followed by a separator.
 */
export function parseNginx(text: string, file = 'nginx.conf', context: string[] = []): NginxDirective[] {
  let i = 0;
  const parseBlock = (context: string[], topLevel: boolean): NginxDirective[] => {
    const out: NginxDirective[] = [];
    let words: string[] = [];
    let start = -1;
    for (;;) {
      // Skip whitespace and comments.
      while (i < text.length) {
        const c = text[i] as string;
        if (NGINX_SPACE.has(c)) i++;
        else if (c === '#') {
          while (i < text.length && text[i] !== '\n') i++;
        } else break;
      }
      if (i >= text.length) {
        if (!topLevel) throw new NginxSyntaxError(`${file}: unexpected end of file, expecting "}"`);
        if (words.length > 0) throw new NginxSyntaxError(`${file}: unexpected end of file, expecting ";" or "}"`);
        return out;
      }
      const c = text[i] as string;
      if (c === ';' || c === '{') {
        if (words.length === 0) throw new NginxSyntaxError(`${file}: unexpected "${c}" at ${i}`);
        const [name, ...args] = words;
        i++;
        const directive: NginxDirective = { file, name: name as string, args, block: undefined, start, end: i, context };
        if (c === '{') {
          directive.block = parseBlock([...context, name as string], false);
          directive.end = i;
        }
        out.push(directive);
        words = [];
        continue;
      }
      if (c === '}') {
        if (topLevel) throw new NginxSyntaxError(`${file}: unexpected "}" at ${i}`);
        if (words.length > 0) throw new NginxSyntaxError(`${file}: unexpected "}" at ${i} (directive without ";")`);
        i++;
        return out;
      }
      if (words.length === 0) start = i;
      words.push(readToken());
    }
  };
  const readToken = (): string => {
    const begin = i;
    const c = text[i] as string;
    if (c === '"' || c === "'") {
      i++;
      while (i < text.length && text[i] !== c) i += text[i] === '\\' ? 2 : 1;
      if (i >= text.length) throw new NginxSyntaxError(`${file}: unterminated quoted string at ${begin}`);
      i++;
      const next = text[i];
      if (next !== undefined && !NGINX_SPACE.has(next) && next !== ';' && next !== '{' && next !== '}') {
        throw new NginxSyntaxError(`${file}: unexpected "${next}" after a quoted string at ${i}`);
      }
      return text.slice(begin, i);
    }
    let variable = false;
    while (i < text.length) {
      const ch = text[i] as string;
      if (ch === '\\') {
        i += 2;
        continue;
      }
      if (ch === '{' && text[i - 1] === '$') {
        variable = true;
        i++;
        continue;
      }
      if (variable && ch === '}') {
        variable = false;
        i++;
        continue;
      }
      if (NGINX_SPACE.has(ch) || ch === ';' || ch === '{' || ch === '}') break;
      i++;
    }
    return text.slice(begin, i);
  };
  return parseBlock(context, true);
}

/**
 * Parses a rendered file in the context nginx.conf includes it in: the split layout's http parts
 * (`switchyard.d/*.conf`) inside `http {}`, its stream parts (`switchyard.d/stream/*.conf`) inside
 * `stream {}`, and the SNI map's lines (`switchyard.d/stream/*.map`) inside that map.
 */
export function parseNginxFile(f: TextFile): NginxDirective[] {
  const context = f.path.startsWith('switchyard.d/stream/') ? (f.path.endsWith('.map') ? ['stream', 'map'] : ['stream']) : f.path.startsWith('switchyard.d/') ? ['http'] : [];
  return parseNginx(f.content, f.path, context);
}

/** Every directive of a tree, depth first. */
export function walkNginx(directives: readonly NginxDirective[]): NginxDirective[] {
  return directives.flatMap((d) => [d, ...walkNginx(d.block ?? [])]);
}

/** `context/name` of a directive, e.g. `http/server/location/proxy_pass`. */
export function nginxPath(d: NginxDirective): string {
  return [...d.context, d.name].join('/');
}

/** Unquotes an nginx token (the value nginx sees). */
export function nginxValue(token: string): string {
  const q = token[0];
  const body = q === '"' || q === "'" ? token.slice(1, -1) : token;
  return body.replace(/\\(.)/gs, (_m, ch: string) => ({ n: '\n', r: '\r', t: '\t' })[ch] ?? ch);
}

/**
 * The text serving `hosts` in a parsed nginx file set: the `server` blocks naming one of them, the
 * `upstream` blocks named in `upstreams`, and the `map` entries keyed by one of the hosts, each as its
 * exact source text, in file order. Two renders serve those hosts identically when their slices are equal.
 */
export function nginxVictimSlice(files: readonly TextFile[], hosts: readonly string[], upstreams: readonly string[]): string {
  const parts: string[] = [];
  const hostSet = new Set(hosts);
  const isVictimKey = (token: string): boolean => {
    const v = nginxValue(token).replace(/^\\/, '').replace(/^~?\^?/, '').replace(/\$$/, '').replace(/\\\./g, '.');
    return hostSet.has(v) || [...hostSet].some((h) => v === `.${h}` || v === h.replace(/^\*/, ''));
  };
  for (const file of files) {
    const tree = parseNginxFile(file);
    for (const d of walkNginx(tree)) {
      const take =
        (d.name === 'server' && d.block !== undefined && d.block.some((c) => c.name === 'server_name' && c.args.some((a) => hostSet.has(nginxValue(a))))) ||
        (d.name === 'upstream' && d.block !== undefined && upstreams.includes(nginxValue(d.args[0] ?? '').replace(/^sni_/, ''))) ||
        (d.context.at(-1) === 'map' && isVictimKey(d.name));
      if (take) parts.push(`${d.context.join('/')}: ${file.content.slice(d.start, d.end)}`);
    }
  }
  return parts.join('\n');
}

// ---------------------------------------------------------------------------------------------
// HAProxy
// ---------------------------------------------------------------------------------------------

/** Keywords that open a section in haproxy.cfg. */
export const HAPROXY_SECTION_KEYWORDS = new Set([
  'global', 'defaults', 'frontend', 'backend', 'listen', 'userlist', 'peers', 'resolvers', 'cache', 'program', 'http-errors', 'ring', 'mailers',
]);

/**
 * The first word of an HAProxy line as HAProxy reads it: quotes removed (`"backend"` is `backend`),
 * backslash escapes applied (`\x62ackend` is `backend`), `${VAR}` kept as `${VAR}`; `#` starts a comment.
 */
export function haproxyFirstWord(line: string): string {
  let out = '';
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (quote === "'") {
      if (c === quote) quote = undefined;
      else out += c;
      continue;
    }
    if (quote === undefined) {
      if (c === ' ' || c === '\t') {
        if (out !== '') break;
        continue;
      }
      if (c === '#') break;
      if (c === "'" || c === '"') {
        quote = c;
        continue;
      }
    } else if (c === '"') {
      quote = undefined;
      continue;
    }
    if (c === '\\') {
      const next = line[i + 1] ?? '';
      if (next === 'x') {
        out += String.fromCharCode(parseInt(line.slice(i + 2, i + 4), 16));
        i += 3;
      } else {
        out += ({ n: '\n', r: '\r', t: '\t' } as Record<string, string>)[next] ?? next;
        i++;
      }
      continue;
    }
    out += c;
  }
  return out;
}

/** One section of a rendered HAProxy configuration file. */
export interface HaproxySectionText {
  file: string;
  /** The section line, e.g. `backend up_web`. */
  title: string;
  /** Its directive lines, trimmed, without comments and blank lines. */
  lines: string[];
  /** Its exact text, title to the line before the next section. */
  raw: string;
}

/** Splits HAProxy `.cfg` files into sections (comment and blank lines dropped from `lines`). */
export function haproxySections(files: readonly TextFile[]): HaproxySectionText[] {
  const out: HaproxySectionText[] = [];
  for (const file of files.filter((f) => f.path.endsWith('.cfg'))) {
    let current: HaproxySectionText | undefined;
    for (const line of file.content.split('\n')) {
      const trimmed = line.trim();
      if (HAPROXY_SECTION_KEYWORDS.has(haproxyFirstWord(trimmed))) {
        current = { file: file.path, title: trimmed, lines: [], raw: `${line}\n` };
        out.push(current);
        continue;
      }
      if (current === undefined) continue;
      current.raw += `${line}\n`;
      if (trimmed !== '' && !trimmed.startsWith('#')) current.lines.push(trimmed);
    }
  }
  return out;
}

/** Identifiers the one-file layout numbers in order (`h0`, `vh0`, `p0`, `r0`, `d0`): they shift when hosts are added. */
const NUMBERED_ID = /^(?:h|vh|p|r|d)[0-9]+$/;
/** Words of a line, for following references (host names, ids, backend names). */
const words = (line: string): string[] => line.match(/[A-Za-z0-9_.*-]+/g) ?? [];

/**
 * The text serving `hosts` in an HAProxy file set (either layout): the frontend and map lines that
 * mention one of the hosts, closed over the identifiers they define or use (host and path ACLs, route
 * ids, backends), the sections of the backends reached, and the crt-list lines naming a host. The
 * numbered identifiers of the one-file layout are renamed in order of first appearance, so adding
 * another service's hosts (which shifts the numbers) leaves the slice unchanged when nothing the hosts
 * use has changed.
 */
export function haproxyVictimSlice(files: readonly TextFile[], hosts: readonly string[]): string {
  const sections = haproxySections(files);
  const candidates: { where: string; line: string }[] = [];
  for (const s of sections.filter((s) => s.title.startsWith('frontend '))) {
    for (const line of s.lines) if (!line.startsWith('bind ')) candidates.push({ where: s.title, line });
  }
  for (const f of files.filter((f) => f.path.endsWith('.map') || f.path.endsWith('.crt-list'))) {
    for (const line of f.content.split('\n')) if (line !== '' && !line.startsWith('#')) candidates.push({ where: f.path.replace(/-[0-9]+\.map$/, '.map'), line });
  }
  // Path ACLs (`p0`) are shared by every host routing that path: their definitions are taken, but
  // they do not pull in the other hosts' lines that use them.
  const known = new Set(hosts);
  const paths = new Set<string>();
  const taken = new Set<number>();
  for (let changed = true; changed; ) {
    changed = false;
    candidates.forEach((c, index) => {
      if (taken.has(index)) return;
      const defined = /^acl (p[0-9]+) /.exec(c.line)?.[1];
      if (!(defined !== undefined && paths.has(defined)) && !words(c.line).some((w) => known.has(w))) return;
      taken.add(index);
      changed = true;
      for (const w of words(c.line)) {
        if (/^p[0-9]+$/.test(w)) paths.add(w);
        else if (NUMBERED_ID.test(w) || /^(?:up|tcp)_/.test(w)) known.add(w);
      }
    });
  }
  const backends = sections.filter((s) => {
    const name = s.title.split(/\s+/)[1] ?? '';
    return s.title.startsWith('backend ') && known.has(name);
  });
  const rename = new Map<string, string>();
  const canonical = (line: string): string =>
    line.replace(/[A-Za-z0-9_.*-]+/g, (w) => {
      if (!NUMBERED_ID.test(w)) return w;
      const kind = w.replace(/[0-9]+$/, '');
      if (!rename.has(w)) rename.set(w, `${kind}#${[...rename.keys()].filter((k) => k.replace(/[0-9]+$/, '') === kind).length}`);
      return rename.get(w) as string;
    });
  const lines = candidates.filter((_c, i) => taken.has(i)).map((c) => `${c.where}: ${canonical(c.line)}`);
  // A section's raw text ends with the comments of the section after it: leave them out.
  const own = (raw: string): string => raw.replace(/(?:\n[ \t]*(?:#[^\n]*)?)*\s*$/, '');
  return [...lines, ...backends.map((s) => own(s.raw))].join('\n');
}
