import path from 'node:path';
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

/** What the workspace's probe says of a path. */
export interface Probed {
  kind: 'dir' | 'file' | 'missing';
  absolute: string;
}

/**
 * Parses the probe's answer, `KIND|/absolute/path`. The workspace can answer anything (its `sh` is its
 * own), so anything but one such line is undefined.
 */
export function parseProbe(text: string): Probed | undefined {
  const line = text.replace(/\n$/, '');
  const bar = line.indexOf('|');
  const kind = line.slice(0, bar);
  const absolute = line.slice(bar + 1);
  if (bar < 0 || (kind !== 'dir' && kind !== 'file' && kind !== 'missing')) return undefined;
  if (kind === 'missing') return { kind, absolute };
  if (!absolute.startsWith('/') || /[\n\0]/.test(absolute)) return undefined;
  return { kind, absolute };
}

/**
 * The name a download takes on this machine: the last part of the workspace's path, when that is one
 * plain name. Never '.', '..', empty, or with a slash or NUL: it is joined to a local folder, and the
 * old entry of that name is removed.
 */
export function downloadName(absolute: string): string | undefined {
  const base = absolute.slice(absolute.lastIndexOf('/') + 1);
  if (base === '' || base === '.' || base === '..' || /[/\0]/.test(base)) return undefined;
  return base;
}

/** Text from a workspace, fit to print: one line, control characters shown as escapes. */
export function printable(text: string): string {
  const line = text.trim().split('\n', 1)[0] ?? '';
  const hex = (c: string) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
  return [...line].map((c) => (c < ' ' || (c >= '\u007f' && c <= '\u009f') ? hex(c) : c)).join('');
}

/** Whether `child` is strictly inside `parent` (both absolute, resolved). */
export function isStrictlyInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel);
}
