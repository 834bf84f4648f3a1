import { chmod, mkdir, stat } from 'node:fs/promises';
import { DevcError } from './errors.js';
import type { Paths } from './paths.js';

/**
 * Makes DEVC_HOME and devc's folders in it (workspaces, logs, locks) private to the user whatever the
 * umask: they hold clones of private repositories and build logs. A DEVC_HOME the user made is left
 * as it is; devc's own folders are tightened if an older devc made them with the umask's mode.
 */
export async function ensureHome(paths: Paths): Promise<void> {
  const home = await stat(paths.home).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return null;
    throw error;
  });
  if (home && !home.isDirectory()) {
    throw new DevcError(`DEVC_HOME (${paths.home}) is not a folder.`, {
      hint: 'Move that file away, or set DEVC_HOME to a folder.',
    });
  }
  // Missing parents are made 0700 too, as the XDG base directory spec asks for its data folder.
  if (!home) await mkdir(paths.home, { recursive: true, mode: 0o700 });
  for (const dir of [paths.workspacesDir, paths.logsDir, paths.locksDir]) await ensurePrivateFolder(dir);
}

/** Makes `dir` with mode 0700, or takes group and other access away from the one there. */
export async function ensurePrivateFolder(dir: string): Promise<void> {
  try {
    await mkdir(dir, { mode: 0o700 });
    return;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const info = await stat(dir);
  if (!info.isDirectory())
    throw new DevcError(`${dir} is not a folder.`, {
      hint: 'devc keeps its files there: move that file away.',
    });
  // Another user's folder (a shared DEVC_HOME) is theirs to change.
  if ((info.mode & 0o077) !== 0 && info.uid === process.getuid?.()) await chmod(dir, 0o700);
}
