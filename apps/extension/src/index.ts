export { readSettings, USAGE, type ExtensionSettings } from './options.js';
