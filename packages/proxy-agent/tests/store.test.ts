import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LiveConfigStore, UnsafeConfigPathError, safeRelativePath } from '../src/index.js';

let work: string;
beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'proxy-agent-store-'));
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

const store = (): LiveConfigStore => new LiveConfigStore(join(work, 'run'), { mainFile: 'nginx.conf', layoutDirs: ['switchyard.d'] });

describe('safeRelativePath', () => {
  it.each(['/etc/passwd', '../x', 'a/../../x', 'a/..', '', 'a\0b', 'a\\b', '.', 'dir/'])('refuses %j', (p) => {
    expect(() => safeRelativePath(p)).toThrow(UnsafeConfigPathError);
  });
  it('normalizes harmless forms', () => {
    expect(safeRelativePath('switchyard.d/./part-001.conf')).toBe('switchyard.d/part-001.conf');
    expect(safeRelativePath('a//b')).toBe('a/b');
  });
});

describe('LiveConfigStore', () => {
  it('writes the first file at mainFile, the others at their paths, and always creates the layout dirs', async () => {
    const s = store();
    await s.init();
    const gen = await s.write([
      { path: 'main.conf', content: 'main' },
      { path: 'sub/deep/x.map', content: 'x' },
    ]);
    expect(gen).toEqual({ number: 1, dir: join(work, 'run', 'gen-1') });
    expect(readFileSync(join(gen.dir, 'nginx.conf'), 'utf8')).toBe('main');
    expect(readFileSync(join(gen.dir, 'sub/deep/x.map'), 'utf8')).toBe('x');
    expect(existsSync(join(gen.dir, 'switchyard.d'))).toBe(true);
  });

  it('writes nothing for an unsafe path or a path written twice', async () => {
    const s = store();
    await s.init();
    await expect(s.write([{ path: 'nginx.conf', content: '' }, { path: '/abs', content: '' }])).rejects.toMatchObject({ code: 'unsafe-path' });
    await expect(s.write([{ path: 'a', content: '' }, { path: 'nginx.conf', content: '' }])).rejects.toThrow(/written twice/);
    await expect(s.write([])).rejects.toThrow(UnsafeConfigPathError);
    expect(readdirSync(join(work, 'run'))).toEqual([]);
  });

  it('switches live with a relative symlink and keeps only the active and previous generations', async () => {
    const s = store();
    await s.init();
    for (let i = 1; i <= 4; i++) await s.activate(await s.write([{ path: 'nginx.conf', content: `v${i}` }]));
    expect(readlinkSync(s.liveDir)).toBe('gen-4');
    expect(readFileSync(join(s.liveDir, 'nginx.conf'), 'utf8')).toBe('v4');
    expect(readdirSync(join(work, 'run')).sort()).toEqual(['gen-3', 'gen-4', 'live']);
    expect(s.current?.number).toBe(4);
  });

  it('copies the boot files (main file plus switchyard.d/ tree) into a generation', async () => {
    const etc = join(work, 'etc');
    mkdirSync(join(etc, 'switchyard.d', 'maps'), { recursive: true });
    writeFileSync(join(etc, 'custom.conf'), 'boot');
    writeFileSync(join(etc, 'switchyard.d', 'part-001.conf'), 'p1');
    writeFileSync(join(etc, 'switchyard.d', 'maps', 'hosts.map'), 'm');
    writeFileSync(join(etc, 'unrelated.txt'), 'no');
    const s = store();
    await s.init();
    const gen = await s.copyBoot(join(etc, 'custom.conf'));
    expect(readFileSync(join(gen.dir, 'nginx.conf'), 'utf8')).toBe('boot');
    expect(readFileSync(join(gen.dir, 'switchyard.d/part-001.conf'), 'utf8')).toBe('p1');
    expect(readFileSync(join(gen.dir, 'switchyard.d/maps/hosts.map'), 'utf8')).toBe('m');
    expect(existsSync(join(gen.dir, 'unrelated.txt'))).toBe(false);
    await expect(s.copyBoot(join(etc, 'missing.conf'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('init removes what an earlier agent left', async () => {
    const root = join(work, 'run');
    mkdirSync(join(root, 'gen-9'), { recursive: true });
    writeFileSync(join(root, 'keep.txt'), 'k');
    await store().init();
    expect(readdirSync(root)).toEqual(['keep.txt']);
  });
});
