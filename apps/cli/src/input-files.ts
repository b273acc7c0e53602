import { readFile } from 'node:fs/promises';
import { parseCoreConfig, type CoreConfig } from '@switchyard/config';
import { ProxyModel, SwarmSnapshot } from '@switchyard/proto';
import { resolvePath, usageError, type CliIo } from './io.js';

/** Top-level keys of a `SwarmSnapshot` in its proto JSON form (both spellings). */
const SNAPSHOT_KEYS = new Set(['services', 'tasks', 'networks', 'secrets']);

/** Top-level keys only a `ProxyModel` has (proto JSON and field names). */
const MODEL_KEYS = new Set([
  'version',
  'hash',
  'serviceCluster',
  'service_cluster',
  'hosts',
  'sniRoutes',
  'sni_routes',
  'upstreams',
  'certificates',
  'defaultUpstream',
  'default_upstream',
  'networks',
  'diagnostics',
]);

/** Keys of a model that a snapshot never has (`networks` and `services` are in both). */
const MODEL_ONLY_KEYS = [...MODEL_KEYS].filter((k) => !SNAPSHOT_KEYS.has(k));

/** Reads a user-given text file; an unreadable file is an input error (exit 2) naming it. */
export async function readText(io: CliIo, path: string, what: string): Promise<string> {
  try {
    return await readFile(resolvePath(io, path), 'utf8');
  } catch (err) {
    throw usageError(`${what} ${path}: ${(err as Error).message}`, err);
  }
}

/**
 * Reads a core config file with core's own parser (`parseCoreConfig` of @switchyard/config), so the CLI
 * accepts and refuses exactly what core does: an unreadable file, invalid TOML, an unknown key or a bad
 * value is an input error (exit 2) naming the file and every bad key.
 */
export async function readCoreConfigFile(io: CliIo, path: string): Promise<CoreConfig> {
  const text = await readText(io, path, 'config file');
  try {
    return parseCoreConfig(text);
  } catch (err) {
    throw usageError(`config file ${path}: ${(err as Error).message}`, err);
  }
}

/** Reads and parses a user-given JSON file; unreadable or malformed JSON is an input error naming it. */
export async function readJson(io: CliIo, path: string, what: string): Promise<unknown> {
  const text = await readText(io, path, what);
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw usageError(`${what} ${path} is not valid JSON: ${(err as Error).message}`, err);
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** "an array", "null", "a string", ... */
function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  const type = typeof v;
  return `${type === 'object' || type === 'undefined' ? 'an' : 'a'} ${type}`;
}

function listKeys(keys: readonly string[]): string {
  return keys.slice(0, 6).join(', ') + (keys.length > 6 ? ', ...' : '');
}

/**
 * Why `json` is not a `SwarmSnapshot` in proto JSON form (undefined when it is one). Rejected: anything
 * but an object, `{}`, an object without `services` (a snapshot always has the key: `switchyard
 * snapshot` writes it even for an empty swarm), a `ProxyModel`, and `services`/`tasks`/`networks`/
 * `secrets` that are not arrays of objects.
 */
export function snapshotProblem(json: unknown): string | undefined {
  if (!isObject(json)) return `expected a SwarmSnapshot JSON object ({"services": [...], ...}), got ${kindOf(json)}`;
  const keys = Object.keys(json);
  if (keys.length === 0) return 'an empty object ({}), not a SwarmSnapshot: it has no "services" key';
  const modelKeys = keys.filter((k) => MODEL_ONLY_KEYS.includes(k));
  if (modelKeys.length > 0) {
    return `looks like a ProxyModel (it has ${listKeys(modelKeys)}), not a SwarmSnapshot: pass it with --model, or capture a snapshot with \`switchyard snapshot\``;
  }
  if (!('services' in json)) return `no "services" key (it has ${listKeys(keys)}): not a SwarmSnapshot`;
  for (const key of SNAPSHOT_KEYS) {
    const value = json[key];
    if (value === undefined) continue;
    if (!Array.isArray(value)) return `"${key}" must be an array, got ${kindOf(value)}`;
    const bad = value.findIndex((item) => !isObject(item));
    if (bad >= 0) return `"${key}"[${bad}] must be an object, got ${kindOf(value[bad])}`;
  }
  return undefined;
}

/**
 * Why `json` is not a `ProxyModel` in proto JSON form (undefined when it is one): anything but an
 * object, `{}`, and a `SwarmSnapshot` (it has `tasks` or `secrets`, or no model key at all).
 */
export function modelProblem(json: unknown): string | undefined {
  if (!isObject(json)) return `expected a ProxyModel JSON object, got ${kindOf(json)}`;
  const keys = Object.keys(json);
  if (keys.length === 0) return 'an empty object ({}), not a ProxyModel';
  if ('tasks' in json || 'secrets' in json || !keys.some((k) => MODEL_KEYS.has(k))) {
    return `looks like a SwarmSnapshot (it has ${listKeys(keys)}), not a ProxyModel: pass it with --snapshot`;
  }
  return undefined;
}

/** Reads a `SwarmSnapshot` JSON file (as `switchyard snapshot` writes it); wrong-kind input is an input error (exit 2). */
export async function readSnapshotFile(io: CliIo, path: string): Promise<SwarmSnapshot> {
  const json = await readJson(io, path, 'snapshot file');
  const problem = snapshotProblem(json);
  if (problem !== undefined) throw usageError(`snapshot file ${path}: ${problem}`);
  return SwarmSnapshot.fromJSON(json);
}

/** Reads a `ProxyModel` JSON file; wrong-kind input is an input error (exit 2). */
export async function readModelFile(io: CliIo, path: string): Promise<ProxyModel> {
  const json = await readJson(io, path, 'model file');
  const problem = modelProblem(json);
  if (problem !== undefined) throw usageError(`model file ${path}: ${problem}`);
  return ProxyModel.fromJSON(json);
}
