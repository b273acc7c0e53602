export { readAgentEnv, readAgentArgs, DEFAULT_BOOT_CONFIG, ENV_USAGE, type AgentEnv } from './env.js';
