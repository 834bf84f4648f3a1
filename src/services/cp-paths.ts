import { UsageError } from '../errors.js';

/** One side of `devc cp`: a path on this machine, or a path in a workspace (`NAME:path`, `:path`). */
export type CopyEnd =
  { side: 'local'; path: string } | { side: 'workspace'; name: string | undefined; path: string };

const WORKSPACE_END = /^([a-z0-9][a-z0-9-]{0,39})?:(.*)$/s;

/** Parses one argument of `devc cp`. Paths starting with `/` or `.` are always local. */
export function parseCopyEnd(arg: string): CopyEnd {
  if (arg.startsWith('/') || arg.startsWith('.')) return { side: 'local', path: arg };
  const match = WORKSPACE_END.exec(arg);
  if (!match) return { side: 'local', path: arg };
  return { side: 'workspace', name: match[1], path: match[2] || '.' };
}

/** Which way a copy goes, and the workspace it names (if any); exactly one side is in a workspace. */
export function parseCopy(
  source: string,
  destination: string,
  workspaceFlag: string | undefined,
): { direction: 'upload' | 'download'; workspace: string | undefined; local: string; remote: string } {
  const from = parseCopyEnd(source);
  const to = parseCopyEnd(destination);
  if (from.side === to.side) {
    throw new UsageError(
      from.side === 'local'
        ? 'Say which side is in the workspace: NAME:path (or :path with -w NAME).'
        : 'Copy between a workspace and this machine; one side must be a local path.',
      { hint: 'e.g. devc cp ./notes.md shop:notes.md, or devc cp -r shop:dist ./dist' },
    );
  }
  const remote = from.side === 'workspace' ? from : (to as Extract<CopyEnd, { side: 'workspace' }>);
  const local = from.side === 'local' ? from.path : to.path;
  if (remote.name && workspaceFlag && remote.name !== workspaceFlag) {
    throw new UsageError(`-w ${workspaceFlag} and ${remote.name}: name different workspaces.`, {
      hint: 'Give the name once.',
    });
  }
  return {
    direction: from.side === 'local' ? 'upload' : 'download',
    workspace: remote.name ?? workspaceFlag,
    local,
    remote: remote.path,
  };
}
