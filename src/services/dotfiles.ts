import { spawn } from 'node:child_process';
import { appendFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { hasStreamExec, type Backend } from '../backends/backend.js';
import type { Context } from '../context.js';
import { withSecrets } from '../devcontainer/secret-hooks.js';
import { CancelledError, DevcError, UsageError } from '../errors.js';
import { parseReference } from '../workspace/reference.js';
import { maskSecrets, secretValues } from '../workspace/secret-values.js';
import type { Workspace } from '../workspace/model.js';
import { finished, textSink } from './cp.js';

/** A dotfiles repository cloned on the host, waiting to go into a new workspace. */
export interface Dotfiles {
  display: string;
  dir: string;
}

/**
 * Clones the dotfiles repository (`up --dotfiles`, DEVC_DOTFILES) into the workspace's folder, with
 * the same token and the same isolation as the workspace's own clone. A repository that is not there
 * fails here, before the workspace is made.
 */
export async function fetchDotfiles(
  ctx: Context,
  reference: string,
  workspaceDir: string,
  token: string | undefined,
): Promise<Dotfiles> {
  const ref = parseReference(reference, ctx.env, ctx.cwd);
  if (ref.kind === 'local')
    throw new UsageError(`--dotfiles takes a repository, not a local folder (${reference}).`, {
      hint: 'Give OWNER/REPO or a git URL, e.g. --dotfiles acme/dotfiles.',
    });
  const dir = path.join(workspaceDir, 'dotfiles');
  const { cloneRepository } = await import('../git/clone.js');
  try {
    await cloneRepository({ url: ref.url, branch: ref.branch, dest: dir, token, signal: ctx.signal });
  } catch (error) {
    if (!(error instanceof DevcError) || error instanceof CancelledError) throw error;
    // The same kind of error (not found or no access: exit 4), saying it is the dotfiles repository.
    const Kind = error.constructor as new (message: string, options: object) => DevcError;
    throw new Kind(`Dotfiles: ${error.message}`, {
      ...(error.hint ? { hint: error.hint } : {}),
      ...(error.details ? { details: error.details } : {}),
    });
  }
  return { display: ref.display, dir };
}

// In the workspace, as its user, with its secrets: unpack into ~/dotfiles once (a marker in ~ keeps a
// resume or a rebuild from doing it again), then run the first install script, else link its dotfiles.
const INSTALL = `set -u
marker="$HOME/.config/devc/dotfiles-installed"
[ -e "$marker" ] && exit 0
mkdir -p "$HOME/.config/devc" "$HOME/dotfiles"
tar -x -f - -C "$HOME/dotfiles" || exit 90
: >"$marker"
cd "$HOME/dotfiles" || exit 90
for f in install.sh install bootstrap.sh bootstrap setup.sh setup; do
  if [ -f "$f" ]; then
    echo "devc: running $f from $1"
    chmod +x "$f" && exec "./$f"
  fi
done
for f in .[!.]* ..?*; do
  [ -e "$f" ] || [ -L "$f" ] || continue
  [ "$f" = .git ] && continue
  if [ -d "$HOME/$f" ] && [ ! -L "$HOME/$f" ]; then echo "devc: kept $HOME/$f (a folder)"; continue; fi
  ln -sfn "$HOME/dotfiles/$f" "$HOME/$f" && echo "devc: linked ~/$f"
done
`;

/**
 * Puts the dotfiles into the running workspace and installs them; what the script prints goes to the
 * build log (secrets masked). A failing script is a warning, never a failed `up`. The host's copy goes.
 */
export async function installDotfiles(
  ctx: Context,
  backend: Backend,
  workspace: Workspace,
  dotfiles: Dotfiles,
): Promise<void> {
  const workspaceDir = path.dirname(dotfiles.dir);
  try {
    if (!hasStreamExec(backend))
      throw new DevcError(`The ${backend.kind} backend can't copy files into a workspace.`);
    const tar = spawn('tar', ['-c', '-f', '-', '-C', dotfiles.dir, '.'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const packed = finished(tar);
    const printed = textSink();
    const result = await backend.execStream(
      workspace.name,
      withSecrets(['sh', '-c', INSTALL, 'devc-dotfiles', dotfiles.display]),
      { user: workspace.user, input: tar.stdout, output: printed.stream },
    );
    await packed;
    const values = await secretValues(path.join(workspaceDir, 'config'));
    const output = maskSecrets(`${printed.text()}${result.stderr}`, values);
    const warning =
      result.exitCode === 90
        ? `Couldn't put the dotfiles into workspace ${workspace.name}: ${output.trim().split('\n').at(-1) ?? ''}`
        : result.exitCode !== 0
          ? `The dotfiles' install script failed (exit ${result.exitCode}); the workspace is up. \`devc logs --build -w ${workspace.name}\` shows its output.`
          : undefined;
    await appendFile(
      path.join(workspaceDir, 'build.log'),
      `devc: dotfiles from ${dotfiles.display}\n${output}${warning ? `devc: warning: ${warning}\n` : ''}`,
    );
    if (warning) ctx.io.warn(warning);
  } finally {
    await rm(dotfiles.dir, { recursive: true, force: true });
  }
}
