import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../errors.js';
import type { Paths } from '../paths.js';
import { parseIdleTimeout } from './duration.js';

/** The user's preferences, in DEVC_HOME/config.json. Flags and DEVC_* variables win over them. */
export interface UserConfig {
  /** Default for `up --idle-timeout`, e.g. "1h" or "0" (never). */
  idleTimeout?: string;
}

export function configFile(paths: Paths): string {
  return path.join(paths.home, 'config.json');
}

/** The config file's settings; a missing file is an empty config, a broken one a usage error. */
export async function readUserConfig(paths: Paths): Promise<UserConfig> {
  let text: string;
  try {
    text = await readFile(configFile(paths), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw error;
  }
  try {
    const parsed = JSON.parse(text) as unknown;
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
      throw new Error('not an object');
    return parsed;
  } catch (error) {
    throw new UsageError(`${configFile(paths)} is not valid JSON: ${(error as Error).message}.`, {
      hint: 'Fix or remove it.',
    });
  }
}

/** Seconds from the config's idleTimeout, or undefined when it sets none. */
export async function configuredIdleTimeout(paths: Paths): Promise<number | undefined> {
  const { idleTimeout } = await readUserConfig(paths);
  if (idleTimeout === undefined) return undefined;
  try {
    return parseIdleTimeout(String(idleTimeout));
  } catch (error) {
    throw new UsageError(`idleTimeout in ${configFile(paths)}: ${(error as Error).message}`, {
      hint: 'Use e.g. 90s, 30m, 1h30m, 2d (at most 30d), or 0 for never.',
    });
  }
}
