export { type Logger, noopLogger, errorMeta } from './logger.js';
export { type Timers, type TimerHandle, systemTimers, sleep } from './timers.js';
export { Loop, type LoopOptions } from './loop.js';
export type {
  DockerPort,
  DockerReader,
  DockerWriter,
  DockerFilters,
  DockerService,
  DockerServiceSpec,
  DockerTask,
  DockerTaskNetworkAttachment,
  DockerNetwork,
  DockerSecret,
  DockerConfig,
  DockerConfigSpec,
  DockerEvent,
  DockerEventsOptions,
  DockerPing,
} from './docker-port.js';
export { DockerodePort, isDockerEvent, type DockerodePortOptions } from './dockerode-port.js';
export {
  DockerTimeoutError,
  DEFAULT_DOCKER_TIMEOUT_MS,
  withDockerTimeout,
  timeoutDockerPort,
  type DockerTimeoutOptions,
} from './docker-timeout.js';
export { JsonStreamParser, JsonStreamOverflowError, type JsonStreamParserOptions } from './json-stream.js';
export {
  toSnapshot,
  type RawSwarmState,
  stripPrefixLength,
  parseDockerTime,
  encodeSnapshot,
  snapshotDigest,
} from './to-snapshot.js';
export {
  SnapshotWatcher,
  type SnapshotWatcherOptions,
  type SnapshotWatcherStats,
  type SnapshotListener,
  type SnapshotInfo,
  type SettleOptions,
  type RoundOutcome,
  DEFAULT_EVENT_TYPES,
  DEFAULT_BACKOFF,
  LIST_CALLS_PER_ROUND,
} from './snapshot-watcher.js';
