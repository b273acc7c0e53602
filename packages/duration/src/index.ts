export { DurationError, MAX_DURATION_MS, durationMs, formatDuration, isDuration, parseDuration } from './duration.js';
export { BACKOFF_JITTERS, Backoff, backoffDelay, type BackoffJitter, type BackoffOptions, type RandomSource } from './backoff.js';
