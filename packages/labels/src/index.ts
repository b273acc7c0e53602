export { LABEL_PREFIX, SWITCHYARD_LABEL_PREFIX } from './types.js';
export type { ParseResult, RedirectSpec, ServiceRouteSpec } from './types.js';
export { parseServiceLabels, MAX_LABEL_VALUE_LENGTH, MAX_WEBSOCKET_ENDPOINTS } from './parse.js';
export { parseSecretAccess, secretAllows, SECRET_LABELS, type SecretAccess } from './secret-access.js';
export { LABELS, labelInfo, labelsMarkdownTable, type LabelInfo, type LabelKind } from './label-table.js';
export {
  hostMatches,
  isValidHostname,
  isValidPath,
  isSafeToken,
  MAX_HOSTNAME_LENGTH,
  MAX_PATH_LENGTH,
  MAX_TOKEN_LENGTH,
} from './validators.js';
export { quoteValue, MAX_SHOWN_VALUE_LENGTH } from './format.js';
