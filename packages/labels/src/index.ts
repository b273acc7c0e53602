export { LABEL_PREFIX, SWITCHYARD_LABEL_PREFIX } from './types.js';
export type { ParseResult, RedirectSpec, ServiceRouteSpec } from './types.js';
export { parseServiceLabels, MAX_LABEL_VALUE_LENGTH } from './parse.js';
export { LABELS, labelInfo, labelsMarkdownTable, type LabelInfo, type LabelKind } from './label-table.js';
export {
  isValidHostname,
  isValidPath,
  isSafeToken,
  MAX_HOSTNAME_LENGTH,
  MAX_PATH_LENGTH,
  MAX_TOKEN_LENGTH,
} from './validators.js';
export { quoteValue, MAX_SHOWN_VALUE_LENGTH } from './format.js';
