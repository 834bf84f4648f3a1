import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../errors.js';

/**
 * Folders that are the system, with everything under them: a workspace binds its tree read-write into a
 * container whose user has sudo, so a tree there would let the workspace rewrite the host.
 */
const SYSTEM_TREES = [
  '/bin',
  '/boot',
  '/dev',
  '/etc',
  '/lib',
  '/lib32',
  '/lib64',
  '/libx32',
  '/proc',
  '/run',
  '/sbin',
  '/sys',
  '/usr/bin',
  '/usr/lib',
  '/usr/lib32',
  '/usr/lib64',
  '/usr/libexec',
  '/usr/sbin',
  '/var/log',
  '/var/run',
  // macOS (/etc and /var are links into /private)
  '/System',
  '/Library',
  '/Applications',
  '/private/etc',
  '/private/var/db',
];

/** Folders that hold other folders: each itself is refused, a project folder inside one is fine. */
const SYSTEM_FOLDERS = [
  '/home',
  '/media',
  '/mnt',
  '/opt',
  '/root',
  '/srv',
  '/tmp',
  '/usr',
  '/usr/local',
  '/usr/src',
  '/var',
  '/var/lib',
  '/var/tmp',
  // macOS
  '/Users',
  '/Volumes',
  '/private',
  '/private/tmp',
  '/private/var',
];

/**
 * Why `dir` (an absolute, symlink-free path) can't be a workspace's local tree, or undefined when it can:
 * the root folder, a system folder, or the home folder itself. Anything inside home is fine, wherever
 * home is (a CI user's home may be /var/lib/jenkins).
 */
export function refusedLocalTree(dir: string, home: string, platform = process.platform): string | undefined {
  // APFS and HFS+ ignore case: /system is /System there.
  const fold = (p: string): string => (platform === 'darwin' ? p.toLowerCase() : p);
  const target = fold(path.resolve(dir));
  if (target === '/') return 'it is the root folder';
  const ownHome = home === '' ? undefined : fold(path.resolve(home));
  if (target === ownHome) return 'it is your home folder';
  if (ownHome !== undefined && ownHome !== '/' && target.startsWith(`${ownHome}/`)) return undefined;
  const tree = SYSTEM_TREES.map(fold).find((t) => target === t || target.startsWith(`${t}/`));
  if (tree !== undefined)
    return target === tree ? 'it is a system folder' : `it is inside the system folder ${tree}`;
  if (SYSTEM_FOLDERS.map(fold).includes(target)) return 'it is a system folder';
  return undefined;
}

/**
 * Throws a usage error when `dir` is not a folder, or is the root, a system or the home folder, links
 * resolved.
 */
export async function checkLocalTree(dir: string, home: string): Promise<void> {
  const found = await stat(dir).catch(() => undefined);
  if (found === undefined)
    throw new UsageError(
      `There is no folder ${dir}. Give a project folder, or a repository such as github/OWNER/REPO.`,
    );
  if (!found.isDirectory())
    throw new UsageError(`${dir} is not a folder. Give the project folder that holds it.`);
  const [real, realHome] = await Promise.all([resolved(dir), home === '' ? '' : resolved(home)]);
  const reason = refusedLocalTree(real, realHome);
  if (reason === undefined) return;
  throw new UsageError(`Refusing to use ${real} as a workspace: ${reason}. Run devc up in a project folder.`);
}

/** The path with every link resolved; as given when it does not exist (later steps say so). */
async function resolved(p: string): Promise<string> {
  return realpath(p).catch(() => path.resolve(p));
}
