import type { DockerPort } from '@switchyard/reconciler';
import { CoreConfigError } from '@switchyard/config';

// Core's configuration parser lives in @switchyard/config (shared with the CLI); re-exported here so
// core's modules keep importing './config.js'.
export {
  parseCoreConfig,
  parseDuration,
  describeIgnoredKeys,
  CoreConfigError,
  isProxyKindName,
  type CoreConfig,
  type ExtensionConfig,
  type IgnoredKey,
  type ProxyKindName,
} from '@switchyard/config';

/**
 * Reads core's TOML from a Docker Config object, as Interlock can: the object's data is the file.
 * Throws {@link CoreConfigError} when no config has exactly that name.
 */
export async function readConfigObject(docker: DockerPort, name: string): Promise<string> {
  const found = (await docker.listConfigs({ name: [name] })).find((c) => c.Spec?.Name === name);
  if (!found?.Spec?.Data) throw new CoreConfigError(`Docker Config ${JSON.stringify(name)} not found (or empty)`);
  return Buffer.from(found.Spec.Data, 'base64').toString('utf8');
}
