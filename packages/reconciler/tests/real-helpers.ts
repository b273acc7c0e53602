// Shared set-up for the real-engine tests (tests/real-*.test.ts): a tiny local image, unique names,
// bounded waits. Not a test file itself.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Real-engine tests run unless SWITCHYARD_E2E=0; without a reachable dockerd they fail loudly. */
export const realEngine = process.env['SWITCHYARD_E2E'] !== '0';

/** The image every test service runs: one static binary, `/pause`, that sleeps forever. */
export const PAUSE_IMAGE = 'sy-test/pause:1';

/** `sy-test-<what>-<random>`: every object a test creates carries this prefix. */
export function testName(what: string): string {
  return `sy-test-${what}-${randomBytes(4).toString('hex')}`;
}

/**
 * A 129-byte static x86-64 ELF executable that loops on the `pause` system call: a runnable
 * image without any registry or distribution package.
 */
export function pauseBinary(): Buffer {
  const base = 0x400000n;
  const code = Buffer.from([0xb8, 0x22, 0x00, 0x00, 0x00, 0x0f, 0x05, 0xeb, 0xf7]); // mov eax,34; syscall; jmp -9
  const size = 64 + 56 + code.length;
  const elf = Buffer.alloc(size);
  elf.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0], 0); // magic, 64-bit, little endian, version 1, SysV
  elf.writeUInt16LE(2, 16); // ET_EXEC
  elf.writeUInt16LE(0x3e, 18); // x86-64
  elf.writeUInt32LE(1, 20);
  elf.writeBigUInt64LE(base + 120n, 24); // entry point: right after the headers
  elf.writeBigUInt64LE(64n, 32); // program headers follow the ELF header
  elf.writeUInt16LE(64, 52);
  elf.writeUInt16LE(56, 54);
  elf.writeUInt16LE(1, 56);
  elf.writeUInt32LE(1, 64); // PT_LOAD
  elf.writeUInt32LE(5, 68); // R+X
  elf.writeBigUInt64LE(0n, 72);
  elf.writeBigUInt64LE(base, 80);
  elf.writeBigUInt64LE(base, 88);
  elf.writeBigUInt64LE(BigInt(size), 96);
  elf.writeBigUInt64LE(BigInt(size), 104);
  elf.writeBigUInt64LE(0x1000n, 112);
  code.copy(elf, 120);
  return elf;
}

/** Builds {@link PAUSE_IMAGE} with `docker import` (idempotent; needs the docker CLI and x86-64). */
export function buildPauseImage(): void {
  if (process.arch !== 'x64') throw new Error(`the test image's binary is x86-64 only (this is ${process.arch})`);
  const dir = mkdtempSync(join(tmpdir(), 'sy-test-image-'));
  try {
    const root = join(dir, 'rootfs');
    execFileSync('mkdir', ['-p', root]);
    writeFileSync(join(root, 'pause'), pauseBinary());
    chmodSync(join(root, 'pause'), 0o755);
    execFileSync('tar', ['-C', root, '-cf', join(dir, 'rootfs.tar'), '.']);
    execFileSync('docker', ['import', '--change', 'CMD ["/pause"]', join(dir, 'rootfs.tar'), PAUSE_IMAGE], { stdio: 'pipe' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Retries `fn` until it resolves or `timeoutMs` passes (then rethrows the last error). */
export async function retry<T>(fn: () => Promise<T>, timeoutMs: number, intervalMs = 500): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() >= deadline) throw err;
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  }
}
