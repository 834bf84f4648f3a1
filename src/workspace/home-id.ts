import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DevcError } from '../errors.js';
import type { Paths } from '../paths.js';

// Hex: valid as a Docker label and as a Kubernetes label value (at most 63 characters).
const HOME_ID = /^[0-9a-f]{32}$/;

/**
 * This DEVC_HOME's id, or undefined when it has made no workspace yet. A random value rather than the
 * path: two machines or users can share a path (/root/.local/share/devc), and a path names a folder
 * that anyone reading labels on a shared engine would learn.
 */
export async function readHomeId(paths: Paths): Promise<string | undefined> {
  let text: string;
  try {
    text = await readFile(paths.homeIdFile, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const id = text.trim();
  if (!HOME_ID.test(id)) {
    throw new DevcError(`${paths.homeIdFile} is damaged: it does not hold a devc home id.`, {
      hint: "Restore it from a backup; deleting it makes devc treat the workspaces this home made as another's.",
    });
  }
  return id;
}

/** This DEVC_HOME's id, made (once, 0600) when there is none yet. */
export async function ensureHomeId(paths: Paths): Promise<string> {
  const existing = await readHomeId(paths);
  if (existing) return existing;
  await mkdir(path.dirname(paths.homeIdFile), { recursive: true, mode: 0o700 });
  const id = randomBytes(16).toString('hex');
  // Written aside and linked into place: a devc reading it meanwhile never sees a half-written file,
  // and of two making their first workspace at once, the one linked first wins for both.
  const draft = `${paths.homeIdFile}.${id}`;
  await writeFile(draft, `${id}\n`, { mode: 0o600 });
  try {
    await link(draft, paths.homeIdFile).catch(async (error: NodeJS.ErrnoException) => {
      // A file system without hard links: create-exclusive still keeps the first one.
      if (error.code === 'EEXIST') throw error;
      await writeFile(paths.homeIdFile, `${id}\n`, { mode: 0o600, flag: 'wx' });
    });
    return id;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return (await readHomeId(paths)) ?? id;
  } finally {
    await rm(draft, { force: true });
  }
}
