export { runCli, cliVersion, USAGE } from './cli.js';
export { ExitCode, processIo, CliExit, type CliIo, type ExitCodeValue } from './io.js';
export { DEFAULT_CORE_ADDRESS, DEFAULT_TIMEOUT_MS, coreAddress, openCore, type CoreSession } from './core-client.js';
export { formatStatus, formatExplanation, formatDiagnostic, noticeSeverityName } from './format.js';
export { splitTarget } from './commands.js';
export { captureSnapshot, snapshotJson, snapshotSummary } from './snapshot-command.js';
export { lintSnapshot, lintFails, formatLint, lintJson, snapshotClusters, configFindings, IGNORED_KEY, REPLACED_KEY, type LintReport, type LintOptions, type LintConfig, type ServiceLint, type ConfigFinding, type FailOn } from './lint-command.js';
export { snapshotProblem, modelProblem } from './input-files.js';
