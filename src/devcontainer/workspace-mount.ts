import { DevcError } from '../errors.js';

/**
 * Folders a container can't run without (or that devc mounts itself): the source mounted over one of
 * them hides the image's own, and nothing inside starts. Only the folders themselves; a folder under
 * them (/usr/src/app, /var/www) is fine.
 */
const SYSTEM_FOLDERS = new Set([
  '/',
  '/bin',
  '/boot',
  '/dev',
  '/etc',
  '/lib',
  '/lib32',
  '/lib64',
  '/libx32',
  '/opt/devc',
  '/proc',
  '/run',
  '/sbin',
  '/sys',
  '/usr',
  '/usr/bin',
  '/usr/lib',
  '/usr/sbin',
  '/var',
  '/etc/devc',
]);

/** Where the source is mounted in the container: workspaceMount's target, else workspaceFolder. */
export function workspaceMountTarget(
  configuration: Record<string, unknown>,
  workspaceFolder: string,
): string {
  const mount = configuration.workspaceMount;
  if (typeof mount === 'string') {
    const target = /(?:^|,)\s*(?:target|dst|destination)=([^,]+)/.exec(mount)?.[1];
    if (target) return target.trim();
  }
  return workspaceFolder;
}

/**
 * Refuses a source folder mounted over a system folder, before anything is made: the container would
 * start, its agent and SSH server would not, and devc would only find out when the wait times out.
 */
export function checkWorkspaceMount(configuration: Record<string, unknown>, workspaceFolder: string): void {
  const target = workspaceMountTarget(configuration, workspaceFolder);
  const folder = target.length > 1 ? target.replace(/\/+$/, '') : target;
  if (!SYSTEM_FOLDERS.has(folder)) return;
  throw new DevcError(
    `The devcontainer.json mounts the source over ${folder}, hiding the image's own ${folder}: the workspace can't start.`,
    {
      hint: 'Mount it elsewhere, e.g. /workspaces/NAME (workspaceFolder and workspaceMount), and run `devc up` again.',
    },
  );
}
