import { existsSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.js';
import { ensureHome } from '../home.js';
import type { Paths } from '../paths.js';
import type Conf from 'conf';

/** DEVC_HOME/config.json: what `devc config set` saved. */
export function configFile(paths: Paths): string {
  return path.join(paths.home, 'config.json');
}

/** The saved settings as strings (unknown keys too: a newer devc may have written them). */
export async function readConfig(paths: Paths): Promise<Record<string, string>> {
  // No file, nothing to load: conf (and its ajv) are imported only when there is a config to read.
  if (!existsSync(configFile(paths))) return {};
  const store = await open(paths);
  return Object.fromEntries(Object.entries(store.store).map(([k, v]) => [k, String(v)]));
}

/** Saves one setting (the value already checked), or removes it with `undefined`. */
export async function writeConfig(paths: Paths, key: string, value: string | undefined): Promise<void> {
  await ensureHome(paths);
  const store = await open(paths);
  if (value === undefined) store.delete(key);
  else store.set(key, value);
}

/** conf over DEVC_HOME/config.json: atomic writes, mode 0600; keys are flat (no dot paths). */
async function open(paths: Paths): Promise<Conf<Record<string, unknown>>> {
  const { default: ConfStore } = await import('conf');
  try {
    return new ConfStore<Record<string, unknown>>({
      cwd: paths.home,
      configName: 'config',
      configFileMode: 0o600,
      accessPropertiesByDotNotation: false,
    });
  } catch (error) {
    throw new UsageError(`${configFile(paths)} is not valid JSON: ${(error as Error).message}.`, {
      hint: 'Fix or remove it (`devc config list` shows what it holds).',
    });
  }
}
