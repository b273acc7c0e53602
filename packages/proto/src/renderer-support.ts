/**
 * Rules of the renderer contract (`Renderer`, renderer.ts) written once for every renderer: how a
 * `Config` table's keys are read, how `parseConfig` reports a bad table without throwing, and how a
 * configuration larger than `RendererOptions.maxFileBytes` is cut into parts. Pure functions; this
 * module loads nothing but the generated model types.
 */
import { Severity, type Diagnostic } from './gen/switchyard/v1/model.js';
import type { RenderedFile } from './gen/switchyard/v1/extension.js';
import type { ParsedRendererConfig, RendererConfigIssue, RendererIgnoredKey } from './renderer.js';

/** Default of `RendererOptions.maxFileBytes`: comfortably below Docker's 500 KiB limit on a config. */
export const DEFAULT_MAX_FILE_BYTES = 400_000;
/** Smallest `RendererOptions.maxFileBytes` a renderer accepts. */
export const MIN_MAX_FILE_BYTES = 1024;

/**
 * `RendererOptions.maxFileBytes` as a renderer uses it: {@link DEFAULT_MAX_FILE_BYTES} when absent; the
 * value when it is an integer (or `Infinity`, never split) of at least {@link MIN_MAX_FILE_BYTES};
 * otherwise the default and a `problem` to report as an `invalid-option` diagnostic. Never throws.
 * @example resolveMaxFileBytes(10).problem // 'maxFileBytes 10 is not an integer of at least 1024; using 400000'
 */
export function resolveMaxFileBytes(value: number | undefined): { maxFileBytes: number; problem: string | undefined } {
  if (value === undefined) return { maxFileBytes: DEFAULT_MAX_FILE_BYTES, problem: undefined };
  if ((Number.isInteger(value) || value === Number.POSITIVE_INFINITY) && value >= MIN_MAX_FILE_BYTES) return { maxFileBytes: value, problem: undefined };
  return {
    maxFileBytes: DEFAULT_MAX_FILE_BYTES,
    problem: `maxFileBytes ${String(value)} is not an integer of at least ${MIN_MAX_FILE_BYTES}; using ${DEFAULT_MAX_FILE_BYTES}`,
  };
}

/** Byte length of a string in UTF-8 (what `maxFileBytes` counts). */
export function byteLength(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/**
 * Packs `items` in order into consecutive chunks whose `size` sum stays within `budget`. An item
 * larger than the budget gets a chunk of its own (see {@link oversizedFiles}). No items, no chunks.
 * @example packChunks([3, 3, 3], (n) => n, 7) // [[3, 3], [3]]
 */
export function packChunks<T>(items: readonly T[], size: (item: T) => number, budget: number): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let used = 0;
  for (const item of items) {
    const n = size(item);
    if (current.length > 0 && used + n > budget) {
      chunks.push(current);
      current = [];
      used = 0;
    }
    current.push(item);
    used += n;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/** Number of the part file at `index` (from 0): `001`, `002`, … (wider past 999, still unique and sorted by length first). */
export function partNumber(index: number): string {
  return String(index + 1).padStart(3, '0');
}

/**
 * A `file-too-large` error diagnostic for each file larger than `maxFileBytes`; `why` says what could
 * not be split further (e.g. `one block is too large to split further`). None when every file fits.
 */
export function oversizedFiles(files: readonly RenderedFile[], maxFileBytes: number, why: string): Diagnostic[] {
  return files.flatMap((file) => {
    const size = byteLength(file.content);
    if (size <= maxFileBytes) return [];
    const message = `${file.path} is ${size} bytes, more than maxFileBytes (${maxFileBytes}): ${why}`;
    return [{ service: '', label: '', code: 'file-too-large', message, severity: Severity.SEVERITY_ERROR }];
  });
}

/** A schema validator's issue, as zod reports one (structural: this package does not depend on zod). */
export interface SchemaIssue {
  readonly code: string;
  readonly path: readonly PropertyKey[];
  readonly message: string;
  /** With `unrecognized_keys`: the unknown keys. */
  readonly keys?: readonly string[];
}

/**
 * The issues of a `Config` table, each under the top-level key an operator wrote (so a caller can
 * drop that key and use its default), sorted by key (stable): an unknown key is its own issue, a
 * problem inside a key's value says where (`(at 0)`, `(at Sub.Key)`), and a table that is not a
 * table at all is reported as `(table)`.
 */
export function configKeyIssues(issues: readonly SchemaIssue[]): RendererConfigIssue[] {
  const out: RendererConfigIssue[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys ?? []) out.push({ key, message: 'unknown key' });
      continue;
    }
    const [head, ...rest] = issue.path;
    const at = rest.length > 0 ? ` (at ${rest.map(String).join('.')})` : '';
    out.push({ key: head === undefined ? '(table)' : String(head), message: `${issue.message}${at}` });
  }
  return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** What a renderer's typed configuration error carries (its `code`, one-line `message` and `issues`). */
export interface RendererConfigErrorShape {
  readonly code: string;
  readonly message: string;
  readonly issues: RendererConfigIssue[];
}

/**
 * The `Renderer.parseConfig` of a renderer whose own parser throws a typed error for a bad table:
 * the error's code, message and issues become the `ok: false` result. Any other exception is a
 * programmer error and propagates.
 * @param inspect validates a table and fills the defaults, returning the ignored keys too.
 * @param errorClass the typed error `inspect` throws for a bad table.
 */
export function configParserOf<C>(
  inspect: (table: unknown) => { config: C; ignored: RendererIgnoredKey[] },
  errorClass: abstract new (...args: never[]) => RendererConfigErrorShape,
): (table: unknown) => ParsedRendererConfig<C> {
  return (table) => {
    try {
      const { config, ignored } = inspect(table);
      return { ok: true, config, ignored };
    } catch (err) {
      if (err instanceof errorClass) return { ok: false, code: err.code, message: err.message, issues: err.issues };
      throw err;
    }
  };
}

/**
 * Reads a `Config` table's keys as Interlock does and sets the ignored ones aside. Interlock's Go TOML
 * decoder matches keys case-insensitively (its own docs write `RlimitNoFile` for `RLimitNoFile`), so a
 * key that differs from one of `keys` or `ignoredKeys` only in case is spelled as that key, unless the
 * table also has that exact key. Keys of `ignoredKeys` (name → why it is ignored) go to `ignored`,
 * sorted by key; everything else, unknown keys included, stays in `known` for the schema to judge.
 * A table that is not a plain object is returned as `known` unchanged (the schema reports it).
 */
export function splitConfigTable(
  table: unknown,
  keys: readonly string[],
  ignoredKeys: Readonly<Record<string, string>>,
): { known: unknown; ignored: RendererIgnoredKey[] } {
  if (table === null || typeof table !== 'object' || Array.isArray(table)) return { known: table, ignored: [] };
  const raw = table as Record<string, unknown>;
  const names = new Map([...keys, ...Object.keys(ignoredKeys)].map((k) => [k.toLowerCase(), k]));
  const canonical: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    const name = names.get(key.toLowerCase());
    canonical[name !== undefined && !(name !== key && name in raw) ? name : key] = value;
  }
  const known: Record<string, unknown> = {};
  const ignored: RendererIgnoredKey[] = [];
  for (const [key, value] of Object.entries(canonical)) {
    const reason = Object.hasOwn(ignoredKeys, key) ? ignoredKeys[key] : undefined;
    if (reason !== undefined) ignored.push({ key, reason });
    else known[key] = value;
  }
  return { known, ignored: ignored.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)) };
}
