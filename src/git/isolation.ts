/**
 * The pure half of reading a workspace's repository from the host: what git is told, and the config
 * devc writes for it. The repository is data written by whatever runs in the workspace, so nothing of
 * its config, hooks or info/ reaches git; only settings that change how data is read (never anything
 * that names a program, a file or a host) are carried over, and only after checking their values.
 */
import path from 'node:path';

/** Config keys whose value git needs to read the repository right; each is a plain word or boolean. */
const CARRIED: Record<string, RegExp> = {
  'extensions.objectformat': /^(sha1|sha256)$/,
  'core.ignorecase': /^(true|false|yes|no|on|off|1|0)$/,
  'core.precomposeunicode': /^(true|false|yes|no|on|off|1|0)$/,
  'core.filemode': /^(true|false|yes|no|on|off|1|0)$/,
  'core.symlinks': /^(true|false|yes|no|on|off|1|0)$/,
};

// Extensions that change nothing for reading refs, the index and commits (partialclone only names the
// remote to fetch missing objects from, which devc never does); any other one means the repository is
// laid out in a way devc's copy would misread (e.g. refstorage=reftable).
const HARMLESS_EXTENSIONS = new Set([
  'extensions.partialclone',
  'extensions.worktreeconfig',
  'extensions.preciousobjects',
  'extensions.noop',
  'extensions.noop-v1',
  'extensions.compatobjectformat',
]);

/** Keys to ask `git config --file … --get-regexp` for: the carried ones and every extension. */
export const CONFIG_QUERY = '^(extensions\\.|core\\.(ignorecase|precomposeunicode|filemode|symlinks)$)';

/**
 * The config of the GIT_DIR devc makes, from the output of `git config --get-regexp` on the real one;
 * a string result is why the repository can't be read this way.
 */
export function isolatedConfig(lines: string): { config: string } | { refused: string } {
  const core: string[] = [];
  let objectFormat = '';
  for (const line of lines.split('\n').filter(Boolean)) {
    const space = line.indexOf(' ');
    const key = (space < 0 ? line : line.slice(0, space)).toLowerCase();
    const value = (space < 0 ? 'true' : line.slice(space + 1)).trim().toLowerCase();
    const allowed = CARRIED[key];
    if (key === 'extensions.refstorage' && value === 'files') continue;
    if (key.startsWith('extensions.') && !allowed) {
      if (HARMLESS_EXTENSIONS.has(key)) continue;
      return { refused: `its git config asks for ${key}=${value}, which devc can't read safely` };
    }
    if (!allowed || !allowed.test(value)) continue;
    if (key === 'extensions.objectformat') objectFormat = value;
    else core.push(`\t${key.slice('core.'.length)} = ${value}`);
  }
  const version = objectFormat ? 1 : 0;
  const text = [`[core]`, `\trepositoryformatversion = ${version}`, `\tbare = false`, ...core];
  if (objectFormat) text.push('[extensions]', `\tobjectformat = ${objectFormat}`);
  return { config: `${text.join('\n')}\n` };
}

/**
 * Options for every git run on a workspace's repository. The GIT_DIR has no config to set these, but
 * they hold even if one got in: no hooks, no attributes file or fsmonitor from anywhere, no transport
 * (a partial clone would otherwise fetch missing objects, through whatever ssh command config names),
 * no pager, no signature checks, no lock or index write, and no rename detection (it reads blobs).
 */
export const ISOLATION_ARGS = [
  '--no-pager',
  '--no-optional-locks',
  '-c',
  'core.hooksPath=/dev/null',
  '-c',
  'core.attributesFile=/dev/null',
  '-c',
  'core.fsmonitor=false',
  '-c',
  'core.untrackedCache=false',
  '-c',
  'protocol.allow=never',
  '-c',
  'log.showSignature=false',
  '-c',
  'status.renames=false',
  '-c',
  'diff.renames=false',
  '-c',
  'gc.auto=0',
  '-c',
  'maintenance.auto=false',
];

/**
 * The environment of such a git: this process's, without any GIT_* variable (a GIT_CONFIG_PARAMETERS or
 * GIT_EXTERNAL_DIFF of the caller's shell must not apply either), pointed at devc's GIT_DIR, with no
 * system or global config (a global `filter.lfs` would run on files the tree's .gitattributes picks).
 */
export function isolatedEnv(base: NodeJS.ProcessEnv, gitDir: string, workTree: string): NodeJS.ProcessEnv {
  const kept = Object.fromEntries(
    Object.entries(base).filter(([key]) => !key.startsWith('GIT_') && key !== 'PAGER'),
  );
  return {
    ...kept,
    GIT_DIR: gitDir,
    GIT_WORK_TREE: workTree,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_ATTR_NOSYSTEM: '1',
    GIT_TERMINAL_PROMPT: '0',
    GIT_OPTIONAL_LOCKS: '0',
    GIT_NO_REPLACE_OBJECTS: '1',
    GIT_NO_LAZY_FETCH: '1',
    GIT_PAGER: 'cat',
    PAGER: 'cat',
  };
}

/** The folder a `gitdir: PATH` file names (relative to the folder holding it); undefined when it is not one. */
export function gitFileTarget(content: string, holder: string): string | undefined {
  const first = content.split('\n', 1)[0] ?? '';
  if (!first.startsWith('gitdir: ')) return undefined;
  const target = first.slice('gitdir: '.length).trim();
  if (!target || target.includes('\0')) return undefined;
  return path.resolve(holder, target);
}
