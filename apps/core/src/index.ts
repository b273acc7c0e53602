export { parseCoreConfig, parseDuration, describeIgnoredKeys, readConfigObject, CoreConfigError, type CoreConfig, type ExtensionConfig, type IgnoredKey, type ProxyKindName } from './config.js';
export { ModelHub } from './hub.js';
export { Core, type CoreOptions } from './core.js';
export { DockerConfigDelivery, DeliveryError, MAX_CONFIG_BYTES, type ConfigDelivery, type DeliveryRequest, type DeliveryResult } from './delivery.js';
export { createExtensionService, checkSubmission, proxyKindOf, SUBMISSION_LIMITS, type SubmissionSink } from './grpc-service.js';
export { CoreMetrics } from './metrics.js';
export { extensionServiceSpec, proxyServiceSpec, specFingerprint, configTarget, certificateSecrets, MANAGED_BY, MANAGED_BY_VALUE, ROLE, EXTENSION, PROXY_SERVICE, INSTALLATION } from './specs.js';
export { countingDockerPort } from './counting-port.js';
