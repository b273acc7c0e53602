export { LABEL_PREFIX, SWITCHYARD_LABEL_PREFIX } from './types.js';
export type { ParseResult, RedirectSpec, ServiceRouteSpec } from './types.js';
export { parseServiceLabels, readClaim, MAX_LABEL_VALUE_LENGTH, MAX_WEBSOCKET_ENDPOINTS, type LabelClaim } from './parse.js';
export { parseSecretAccess, secretAllows, SECRET_LABELS, type SecretAccess } from './secret-access.js';
export {
  defaultSpec,
  LabelKey,
  LABELS,
  labelInfo,
  labelsMarkdownTable,
  type EmptyMeaning,
  type LabelField,
  type LabelInfo,
  type LabelKind,
} from './label-table.js';
export {
  asciiLower,
  hostMatches,
  hostnameProblem,
  isSafeAbsolutePath,
  isSafeCookieName,
  isSafeFileName,
  isSafeHost,
  isSafePath,
  isSafePath as isValidPath,
  isSafeRedirectUrl,
  isSafeToken,
  isValidHostname,
  pathProblem,
  redirectUrlProblem,
  MAX_ABSOLUTE_PATH_LENGTH,
  MAX_FILE_NAME_LENGTH,
  MAX_HOSTNAME_LENGTH,
  MAX_PATH_LENGTH,
  MAX_TOKEN_LENGTH,
  MAX_URL_LENGTH,
} from './safe.js';
export { quoteValue, MAX_SHOWN_VALUE_LENGTH } from './format.js';
