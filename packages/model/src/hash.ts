import { createHash } from 'node:crypto';
import { ProxyModel } from '@switchyard/proto';

/**
 * Content hash of a model: hex SHA-256 of `ProxyModel.encode` with `version` set to 0 and `hash`
 * set to "". Two models with the same routing content have the same hash whatever their version.
 */
export function modelHash(model: ProxyModel): string {
  const bytes = ProxyModel.encode({ ...model, version: 0, hash: '' }).finish();
  return createHash('sha256').update(bytes).digest('hex');
}

/** First `length` hex digits of the SHA-256 of `text`. */
export function shortHash(text: string, length: number): string {
  return createHash('sha256').update(text, 'utf8').digest('hex').slice(0, length);
}
