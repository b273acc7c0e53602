export {
  SwarmSnapshot,
  SwarmService,
  VirtualIp,
  SwarmTask,
  TaskAttachment,
  SwarmNetwork,
  SwarmSecret,
} from './gen/switchyard/v1/snapshot.js';
export {
  BackendMode,
  Severity,
  ProxyModel,
  HttpHost,
  Route,
  Redirect,
  SniRoute,
  Upstream,
  Endpoint,
  TlsCertificate,
  ProxyNetwork,
  ServiceStatus,
  Diagnostic,
} from './gen/switchyard/v1/model.js';
export {
  ProxyKind,
  RegisterRequest,
  RegisterResponse,
  GetModelRequest,
  GetModelResponse,
  WatchModelRequest,
  WatchModelResponse,
  RenderedFile,
  SubmitConfigRequest,
  SubmitConfigResponse,
  GetStatusRequest,
  Delivery,
  RegisteredExtension,
  GetStatusResponse,
  ReconcileStatus,
  ProxyReplica,
  WatchProxyConfigRequest,
  ProxyConfigBundle,
  WatchProxyConfigResponse,
  ApplyResult,
  ReportProxyConfigRequest,
  ReportProxyConfigResponse,
  ProxyReplicaStatus,
  NoticeSeverity,
  ConfigNotice,
  ExtensionServiceDefinition,
  type ExtensionServiceImplementation,
  type ExtensionServiceClient,
  type ServerStreamingMethodResult,
} from './gen/switchyard/v1/extension.js';
export { configChecksum } from './checksum.js';
export type { Renderer, RendererOptions, RenderedFiles, ParsedRendererConfig, RendererConfigIssue, RendererIgnoredKey } from './renderer.js';
export {
  DEFAULT_MAX_FILE_BYTES,
  MIN_MAX_FILE_BYTES,
  resolveMaxFileBytes,
  byteLength,
  packChunks,
  partNumber,
  oversizedFiles,
  configParserOf,
  splitConfigTable,
  configKeyIssues,
  type RendererConfigErrorShape,
  type SchemaIssue,
} from './renderer-support.js';
export { PROXY_KIND_NAME, isProxyKindNameSyntax } from './proxy-kind-name.js';
export { silentLogger, type Logger } from './logger.js';
export { builtInCheckCommand, type BuiltInCheckKind, type BuiltInCheckOptions } from './proxy-check.js';
// The gRPC client (connectExtensionClient, credentials) is at '@switchyard/proto/client', so that
// importing the contract's types loads no gRPC code.
export { identityUri, parseIdentityUri, identityFromSubjectAltName, describeIdentity, IDENTITY_URI_PREFIX, ROLES, type Identity, type Role } from './identity.js';
