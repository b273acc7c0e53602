import { createHash } from 'node:crypto';
import type { RenderedFile } from './gen/switchyard/v1/extension.js';

/**
 * Checksum of a rendered configuration, as carried in `SubmitConfigRequest.checksum`:
 * hex SHA-256 over each file's path and content, in order, each followed by a NUL byte.
 * Core recomputes it and rejects a submission whose checksum does not match.
 */
export function configChecksum(files: readonly Pick<RenderedFile, 'path' | 'content'>[]): string {
  const hash = createHash('sha256');
  for (const file of files) {
    hash.update(file.path, 'utf8');
    hash.update('\0');
    hash.update(file.content, 'utf8');
    hash.update('\0');
  }
  return hash.digest('hex');
}
