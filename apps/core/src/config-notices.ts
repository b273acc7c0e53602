import { NoticeSeverity, type ConfigNotice } from '@switchyard/proto';
import { keyNotice } from '@switchyard/config';
import type { IgnoredKey } from './config.js';

export { IGNORED_KEY, REPLACED_KEY } from '@switchyard/config';

/** One info notice per key of `CoreConfig.IgnoredKeys` (code `ignored-key` or `replaced-key`). */
export function ignoredKeyNotices(ignored: readonly IgnoredKey[]): ConfigNotice[] {
  return ignored.map((i) => ({ ...keyNotice(i), severity: NoticeSeverity.NOTICE_SEVERITY_INFO }));
}

const RANK: Readonly<Record<NoticeSeverity, number>> = {
  [NoticeSeverity.NOTICE_SEVERITY_WARNING]: 0,
  [NoticeSeverity.NOTICE_SEVERITY_INFO]: 1,
  [NoticeSeverity.NOTICE_SEVERITY_UNSPECIFIED]: 2,
  [NoticeSeverity.UNRECOGNIZED]: 2,
};

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The notices in the order GetStatus promises: warnings first, then by key, then by code. A new array. */
export function sortNotices(notices: readonly ConfigNotice[]): ConfigNotice[] {
  return [...notices].sort((a, b) => RANK[a.severity] - RANK[b.severity] || compare(a.key, b.key) || compare(a.code, b.code));
}
