export { runExtension, type RunnerOptions, type RunnerLogger, type Renderer } from './runner.js';
