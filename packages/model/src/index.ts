export { buildModel, type BuildModelOptions, type LabelledSecret, type SecretPolicy, type ServiceLabelParser } from './build-model.js';
export { tlsExclusions, type TlsExclusion, type TlsExclusionKind } from './tls-exclusions.js';
export { modelHash } from './hash.js';
export { upstreamName, RESERVED_NAME_PREFIXES } from './upstream-name.js';
export { endpointWeights, MAX_ENDPOINT_WEIGHT, DEFAULT_SERVICE_WEIGHT } from './weights.js';
export { CONFLICT_RULES, ModelCode, ModelLabel, type ConflictRule } from './codes.js';
export { UPSTREAM_NAME_PATTERN } from './safe.js';
export { explainRequest, type Explanation, type RequestOutcome, type OutcomeKind, type HostMatch, type UpstreamExplanation, type ServiceShare, type ServiceClaim } from './explain.js';
