import { isSettingKey, SETTING_KEYS, SETTINGS, type SettingKey } from '../config/keys.js';
import { parsed } from '../config/settings.js';
import { configFile, readConfig, writeConfig } from '../config/store.js';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';

export interface ConfigRow {
  key: SettingKey;
  /** The saved value, or undefined. */
  value: string | undefined;
  env: string;
  description: string;
}

/** The saved value of a key, else devc's default (undefined when neither). */
export async function configValue(ctx: Context, key: string): Promise<string | undefined> {
  const known = checkKey(key);
  const saved = (await readConfig(ctx.paths))[known];
  if (saved !== undefined) return saved;
  const spec = SETTINGS[known];
  if ('shownFallback' in spec) return spec.shownFallback;
  return spec.fallback === undefined ? undefined : String(spec.fallback);
}

/** Saves a value after checking it (a usage error naming what is allowed), or removes it. */
export async function setConfig(ctx: Context, key: string, value: string | undefined): Promise<void> {
  const known = checkKey(key);
  if (value !== undefined) parsed(known, value, `devc config set ${known}`);
  await writeConfig(ctx.paths, known, value);
}

/** Every key with its saved value; a saved value that is no longer valid is a usage error saying so. */
export async function configList(ctx: Context): Promise<ConfigRow[]> {
  const saved = await readConfig(ctx.paths);
  return SETTING_KEYS.map((key) => {
    const value = saved[key];
    if (value !== undefined) parsed(key, value, `${key} in ${configFile(ctx.paths)}`);
    return { key, value, env: SETTINGS[key].env, description: SETTINGS[key].description };
  });
}

function checkKey(key: string): SettingKey {
  if (isSettingKey(key)) return key;
  throw new UsageError(`Unknown config key "${key}".`, { hint: `Use one of: ${SETTING_KEYS.join(', ')}.` });
}
