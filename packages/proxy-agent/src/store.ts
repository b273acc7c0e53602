import { mkdir, readdir, readFile, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join, posix } from 'node:path';

/** One file of a configuration: path relative to the configuration directory, and its content. */
export interface ConfigFile {
  path: string;
  content: string | Uint8Array;
}

/** A generation directory written by {@link LiveConfigStore.write}. */
export interface Generation {
  /** 1, 2, 3, … in the order written. */
  number: number;
  /** `<root>/gen-<number>`. */
  dir: string;
}

/** A bundle path the store refuses (absolute, `..`, empty, NUL, or two files at one path). */
export class UnsafeConfigPathError extends Error {
  readonly code = 'unsafe-path';
  constructor(readonly path: string, reason: string) {
    super(`unsafe file path ${JSON.stringify(path)}: ${reason}`);
    this.name = 'UnsafeConfigPathError';
  }
}

/**
 * Normalizes a relative configuration path (`a/./b` → `a/b`), or throws
 * {@link UnsafeConfigPathError} when it is absolute, climbs out with `..`, is empty or holds NUL.
 */
export function safeRelativePath(path: string): string {
  if (path === '' || path.includes('\0')) throw new UnsafeConfigPathError(path, 'empty or NUL');
  if (path.startsWith('/') || path.includes('\\')) throw new UnsafeConfigPathError(path, 'absolute or backslash');
  if (path.split('/').includes('..')) throw new UnsafeConfigPathError(path, "'..' segment");
  const norm = posix.normalize(path);
  if (norm === '.' || norm.endsWith('/')) throw new UnsafeConfigPathError(path, 'not a file');
  return norm;
}

/** Options of {@link LiveConfigStore}. */
export interface LiveConfigStoreOptions {
  /** The main file's name; a bundle's first file is written there, as core mounts it at ProxyConfigPath. */
  mainFile: string;
  /** Directories created in every generation even when empty (e.g. `switchyard.d`). */
  layoutDirs?: readonly string[];
}

/**
 * Generation directories under `root` and the `live` symlink the proxy runs from.
 *
 * Each configuration goes into a fresh `<root>/gen-<n>/`; {@link activate} points `<root>/live` at it
 * atomically (a temporary symlink renamed over the old one), so the proxy never sees a half-written
 * directory. The active and the previously active generation are kept (a reload in progress may still
 * read the previous one); older ones are deleted. Not safe for concurrent use: the agent calls it from
 * one loop.
 */
export class LiveConfigStore {
  private next = 1;
  private readonly active: Generation[] = [];

  constructor(readonly root: string, private readonly options: LiveConfigStoreOptions) {}

  /** `<root>/live`: the directory (a symlink) the proxy runs from. */
  get liveDir(): string {
    return join(this.root, 'live');
  }

  /** The generation `live` points at, if any. */
  get current(): Generation | undefined {
    return this.active[this.active.length - 1];
  }

  /** Creates `root` and removes what an earlier agent left there (generations, `live`). */
  async init(): Promise<void> {
    await mkdir(this.root, { recursive: true });
    for (const name of await readdir(this.root)) {
      if (/^gen-\d+$/.test(name) || name === 'live' || name.startsWith('.live-')) await rm(join(this.root, name), { recursive: true, force: true });
    }
  }

  /**
   * Writes `files` into a new generation directory (the first file at `mainFile`, the others at their
   * relative paths, parent directories created). Throws {@link UnsafeConfigPathError} (and writes
   * nothing) for an unsafe path.
   */
  async write(files: readonly ConfigFile[]): Promise<Generation> {
    if (files.length === 0) throw new UnsafeConfigPathError('', 'no files');
    const targets = files.map((f, i) => (i === 0 ? this.options.mainFile : safeRelativePath(f.path)));
    const seen = new Set<string>();
    for (const [i, t] of targets.entries()) {
      if (seen.has(t)) throw new UnsafeConfigPathError(files[i]?.path ?? t, 'written twice');
      seen.add(t);
    }
    const gen: Generation = { number: this.next, dir: join(this.root, `gen-${this.next}`) };
    this.next += 1;
    await rm(gen.dir, { recursive: true, force: true });
    await mkdir(gen.dir, { recursive: true, mode: 0o755 });
    try {
      for (const d of this.options.layoutDirs ?? []) await mkdir(join(gen.dir, safeRelativePath(d)), { recursive: true, mode: 0o755 });
      for (const [i, f] of files.entries()) {
        const target = join(gen.dir, targets[i] ?? '');
        await mkdir(dirname(target), { recursive: true, mode: 0o755 });
        await writeFile(target, f.content, { mode: 0o644 });
      }
    } catch (err) {
      await this.discard(gen);
      throw err;
    }
    return gen;
  }

  /**
   * Reads the configuration Docker mounted (the main file at `mainPath` and the tree `switchyard.d/`
   * beside it, or whatever `layoutDirs` names) and writes it as a new generation. Missing layout
   * directories are fine; a missing main file throws (ENOENT).
   */
  async copyBoot(mainPath: string): Promise<Generation> {
    const files: ConfigFile[] = [{ path: this.options.mainFile, content: await readFile(mainPath) }];
    for (const d of this.options.layoutDirs ?? []) files.push(...(await readTree(dirname(mainPath), safeRelativePath(d))));
    return this.write(files);
  }

  /** Points `live` at `gen` atomically, then deletes generations older than the previous one. */
  async activate(gen: Generation): Promise<void> {
    const tmp = join(this.root, `.live-${gen.number}`);
    await rm(tmp, { force: true });
    await symlink(basename(gen.dir), tmp);
    await rename(tmp, this.liveDir);
    this.active.push(gen);
    while (this.active.length > 2) {
      const old = this.active.shift();
      if (old) await rm(old.dir, { recursive: true, force: true });
    }
  }

  /** Deletes a generation that was never activated (a refused configuration). Never rejects. */
  async discard(gen: Generation): Promise<void> {
    await rm(gen.dir, { recursive: true, force: true }).catch(() => undefined);
  }
}

async function readTree(base: string, rel: string): Promise<ConfigFile[]> {
  const abs = join(base, rel);
  const info = await stat(abs).catch(() => undefined);
  if (!info?.isDirectory()) return [];
  const out: ConfigFile[] = [];
  for (const name of (await readdir(abs)).sort()) {
    const child = posix.join(rel, name);
    const s = await stat(join(base, child)).catch(() => undefined);
    if (s?.isDirectory()) out.push(...(await readTree(base, child)));
    else if (s?.isFile()) out.push({ path: child, content: await readFile(join(base, child)) });
  }
  return out;
}
