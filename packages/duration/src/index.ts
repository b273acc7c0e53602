export { DurationError, MAX_DURATION_MS, durationMs, formatDuration, isDuration, parseDuration } from './duration.js';
