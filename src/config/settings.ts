import type { BackendOptions } from '../backends/factory.js';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import type { BackendKind } from '../workspace/model.js';
import { SETTINGS, type SettingKey } from './keys.js';
import { configFile, readConfig } from './store.js';

export { SETTINGS, SETTING_KEYS, type SettingKey } from './keys.js';

/** The typed value of each setting. */
export type SettingValue<K extends SettingKey> = ReturnType<(typeof SETTINGS)[K]['parse']>;

/** What `setting` needs of a Context. */
export type SettingsContext = Pick<Context, 'env' | 'paths'>;

/**
 * The one place a default is chosen: the flag's value when given, else the setting's DEVC_* variable,
 * else `devc config set` (DEVC_HOME/config.json), else devc's default. A bad value says where it came from.
 */
export async function setting<K extends SettingKey>(
  ctx: SettingsContext,
  key: K,
  flag?: SettingValue<K>,
): Promise<SettingValue<K>> {
  if (flag !== undefined) return flag;
  const spec = SETTINGS[key];
  const fromEnv = ctx.env[spec.env];
  if (fromEnv !== undefined && fromEnv !== '') return parsed(key, fromEnv, spec.env);
  const saved = (await readConfig(ctx.paths))[key];
  if (saved !== undefined) return parsed(key, saved, `${key} in ${configFile(ctx.paths)}`);
  return spec.fallback as SettingValue<K>;
}

/** Parses a value for `key`, or a usage error naming `where` it came from and what is allowed. */
export function parsed<K extends SettingKey>(key: K, value: string, where: string): SettingValue<K> {
  const spec = SETTINGS[key];
  try {
    return spec.parse(value) as SettingValue<K>;
  } catch (error) {
    const reason = error instanceof Error ? error.message.replace(/\.$/, '') : String(error);
    throw new UsageError(`${where}: "${value}" is not a valid ${key} (${reason}).`, {
      hint: `Allowed: ${spec.allowed}.`,
    });
  }
}

/** A Kubernetes backend's namespace and registry, each from its flag, variable or config. */
export async function kubernetesOptions(
  ctx: SettingsContext,
  options: BackendOptions,
): Promise<BackendOptions> {
  const [namespace, registry] = await Promise.all([
    setting(ctx, 'namespace', options.namespace),
    setting(ctx, 'registry', options.registry),
  ]);
  return {
    ...options,
    ...(namespace !== undefined ? { namespace } : {}),
    ...(registry !== undefined ? { registry } : {}),
  };
}

/** The backend a command uses when none is named. */
export function defaultBackend(ctx: SettingsContext): Promise<BackendKind> {
  return setting(ctx, 'backend');
}
