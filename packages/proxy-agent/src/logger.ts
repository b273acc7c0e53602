import type { Logger } from '@switchyard/proto';

/** The logging surface the agent uses: {@link Logger} of `@switchyard/proto` (winston's logger fits). */
export type AgentLogger = Logger;

export { silentLogger } from '@switchyard/proto';
