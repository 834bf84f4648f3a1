import os from 'node:os';
import path from 'node:path';
import { clonesRemotely, type Backend } from '../backends/backend.js';
import type { Context } from '../context.js';
import { DevcError, disappearedWhileStarting, UsageError } from '../errors.js';
import { gitIdentity } from '../git/identity.js';
import { headOf } from '../git/trusted.js';
import { setting } from '../config/settings.js';
import { resolveToken } from '../credentials/token.js';
import { run } from '../process.js';
import type { Progress } from '../ui/progress.js';
import { withLock } from '../workspace/lock.js';
import { keptIdleTimeoutWarning } from '../workspace/duration.js';
import { ensureHome } from '../home.js';
import { ownershipCheck } from './ownership.js';
import type { BackendKind, Workspace } from '../workspace/model.js';
import { checkWorkspaceName } from '../workspace/name.js';
import { checkLocalTree } from '../workspace/local-tree.js';
import { parseReference, type RepositoryRef } from '../workspace/reference.js';
import type { Variant } from '../workspace/variants.js';
import { createdReady, waitUntilReady } from './ready.js';
import { findExisting, freeName } from './up-existing.js';
import { refreshSecrets, secretsFromFile } from './secrets.js';

export interface UpOptions {
  reference: string;
  name?: string;
  variant?: Variant;
  backend?: BackendKind;
  /** Stop the workspace after this many idle seconds (0: never). */
  idleTimeoutSeconds?: number;
  /** Which devcontainer.json, when the repository has several. */
  devcontainerPath?: string;
  /** A JSON or dotenv file of secrets for the workspace (--secrets-file; default DEVC_SECRETS_FILE). */
  secretsFile?: string;
  /** A dotfiles repository installed into a new workspace (--dotfiles, DEVC_DOTFILES). */
  dotfiles?: string;
  /** Yes, in advance, to what the devcontainer.json asks of this machine (--trust, DEVC_TRUST). */
  trust?: boolean;
  /** Kubernetes: where a Dockerfile or Features image is built (--builder); default: here, else the cluster. */
  builder?: 'local' | 'cluster';
  /**
   * Called once the workspace runs, before devc waits for its SSH server: work that needs only a
   * running container (the port forwarder) starts there and overlaps the wait.
   */
  onRunning?: (workspace: Workspace) => void;
  /**
   * Whose workspace this is (the gateway's signed-in user; default: the OS user). With an owner, only
   * that owner's workspace is resumed, and commits carry `gitIdentity` rather than this machine's git
   * config.
   */
  owner?: { name: string; gitIdentity: Record<string, string> };
  /**
   * The local tree is an upload the gateway unpacked into this workspace's own folder: untrusted like
   * a clone (nothing of its devcontainer.json runs on the host), and given to the workspace user.
   */
  uploaded?: boolean;
}

export interface UpResult {
  workspace: Workspace;
  commit: string;
  created: boolean;
}

export { DEFAULT_IDLE_TIMEOUT_SECONDS } from '../config/keys.js';

/** Creates a workspace, or resumes the one that already holds this repository (and branch). */
export async function up(ctx: Context, options: UpOptions, progress: Progress): Promise<UpResult> {
  const ref = parseReference(options.reference, ctx.env, ctx.cwd);
  // Before anything touches the engine: a workspace binds this folder read-write into its container.
  if (ref.kind === 'local') await checkLocalTree(ref.path, ctx.env.HOME || os.homedir());
  if (options.name !== undefined) checkWorkspaceName(options.name);
  const fromFile = await secretsFromFile(ctx, options.secretsFile);
  // No separate engine check: the first engine call says "can't reach" itself, and a resume stays quick.
  const backend = await ctx.backend(options.backend);
  if (options.builder && backend.kind !== 'kubernetes')
    throw new UsageError(
      '`--builder` chooses where Kubernetes workspaces are built; this one runs on Docker.',
      {
        hint: 'Add `--backend kubernetes`, or leave out `--builder`.',
      },
    );
  const repository = repositoryKey(ref);

  await ensureHome(ctx.paths);
  const owner = options.owner;
  const lockKey = `up-${owner ? `${encodeURIComponent(owner.name)}-` : ''}${repository}@${ref.branch ?? ''}`;
  return withLock(ctx.paths.locksDir, lockKey, async () => {
    // One listing answers both "is this repository's workspace there?" and "which name is free?".
    let listing: Promise<Workspace[]> | undefined;
    const list = (): Promise<Workspace[]> => (listing ??= backend.list());
    const home = await ownershipCheck(ctx);
    const mine = owner ? async (w: Workspace) => w.owner === owner.name && (await home(w)) : home;
    const existing = await ctx.io.span('up: look for the workspace', () =>
      findExisting(backend, list, ref, repository, options.name, mine),
    );
    if (existing) {
      const kept = keptIdleTimeoutWarning(
        existing.name,
        existing.idleTimeoutSeconds,
        options.idleTimeoutSeconds,
      );
      if (kept) ctx.io.warn(kept);
      await refreshSecrets(ctx, backend, existing, fromFile);
      const workspace = await resume(ctx, backend, existing, progress, options.onRunning);
      return { workspace, commit: await commitOf(workspace), created: false };
    }
    const name = options.name ?? (await freeName(list, ref.name));
    return withLock(ctx.paths.locksDir, `name-${name}`, () =>
      create(ctx, backend, ref, name, { ...options, fromFile }, progress),
    );
  });
}

async function create(
  ctx: Context,
  backend: Backend,
  ref: RepositoryRef,
  name: string,
  options: UpOptions & { fromFile: Record<string, string> | undefined },
  progress: Progress,
): Promise<UpResult> {
  // Independent of each other: the name check and the modules creating needs (loaded only to create:
  // a resume stays light) at once, and the token (a keychain, perhaps a `gh` process: tens of
  // milliseconds) beside them and the git questions below, until its first use.
  const tokenFound = resolveToken(ctx).then((t) => t?.token);
  tokenFound.catch(() => undefined); // awaited below; a name check that fails first must not leave it unhandled
  const [taken, { fetchDotfiles, installDotfiles }, { createWorkspace }] = await ctx.io.span(
    'up: name free, modules',
    () => Promise.all([backend.find(name), import('./dotfiles.js'), import('./create.js')]),
  );
  if (taken) {
    throw new UsageError(`A workspace named ${name} already exists.`, {
      hint: 'Pick another --name, or `devc delete` it.',
    });
  }
  const workspaceDir = path.join(ctx.paths.workspacesDir, name);
  // A clone kept from a failed rebuild holds the user's work: use it, and never delete it here.
  const kept =
    ref.kind === 'remote' &&
    !clonesRemotely(backend) &&
    (await headOf(path.join(workspaceDir, 'src', ref.name))) !== undefined;
  try {
    // Before anything is made: a dotfiles repository that is not there fails here.
    const dotfiles = options.dotfiles
      ? await fetchDotfiles(ctx, options.dotfiles, workspaceDir, await tokenFound)
      : undefined;
    let sourcePath: string;
    if (ref.kind === 'remote') {
      // The folder's name becomes /workspaces/<repo> in the container, as in Codespaces.
      sourcePath = path.join(workspaceDir, 'src', ref.name);
      const token = await tokenFound;
      if (clonesRemotely(backend)) {
        // The engine clones it (Kubernetes: inside the cluster); only what devc plans with comes here.
        await progress.phase(`Reading ${ref.display}`, `Read ${ref.display}`, () =>
          backend.fetchForPlanning({
            url: ref.url,
            branch: ref.branch,
            dest: sourcePath,
            token,
            signal: ctx.signal,
          }),
        );
      } else if (kept) progress.note(`Using the files kept in ${sourcePath}`);
      else {
        const { cloneRepository } = await import('../git/clone.js');
        await progress.phase(`Cloning ${ref.display}`, `Cloned ${ref.display}`, () =>
          cloneRepository({ url: ref.url, branch: ref.branch, dest: sourcePath, token, signal: ctx.signal }),
        );
        await giveToWorkspaceUser(sourcePath);
      }
    } else {
      sourcePath = ref.path;
      if (options.uploaded) await giveToWorkspaceUser(sourcePath);
    }
    // Independent questions (git runs, a config file) at once.
    const [found, identity, idleTimeout, variant] = await Promise.all([
      headOf(sourcePath),
      options.owner ? options.owner.gitIdentity : gitIdentity(ctx.env),
      setting(ctx, 'idleTimeout', options.idleTimeoutSeconds),
      setting(ctx, 'variant', options.variant),
    ]);
    const head = found ?? { branch: '', commit: '' };
    const workspace = await createWorkspace(
      ctx,
      backend,
      {
        name,
        sourcePath,
        repoName: ref.name,
        repository: { url: repositoryKey(ref), branch: head.branch || ref.branch },
        owner: options.owner?.name ?? (await backend.defaultOwner?.()) ?? ownerName(),
        variant,
        devcontainerPath: options.devcontainerPath,
        // A local tree is the user's own: run as it is, as the Dev Containers CLI does.
        trust: { given: options.trust ?? false, own: ref.kind === 'local' && !options.uploaded },
        token: tokenFound,
        secretsFromFile: options.fromFile,
        ...(options.builder ? { builder: options.builder } : {}),
        env: {
          DEVC_IDLE_TIMEOUT: String(idleTimeout),
          ...identity,
        },
      },
      progress,
    );
    options.onRunning?.(workspace);
    await progress.phase('Waiting for SSH', 'SSH is ready', () =>
      ctx.io.span('up: SSH answers, host key pinned', () =>
        createdReady(ctx, backend, workspace, path.join(workspaceDir, 'build.log')),
      ),
    );
    if (dotfiles)
      await progress.phase('Installing dotfiles', 'Installed dotfiles', () =>
        installDotfiles(ctx, backend, workspace, dotfiles),
      );
    // A workspace whose SSH the backend saw ready was looked up at the end of `create`: nothing since.
    const { sshReady, ...made } = workspace;
    const latest = sshReady ? made : ((await backend.find(name)) ?? made);
    return { workspace: latest, commit: head.commit, created: true };
  } catch (error) {
    const { undoFailedCreate } = await import('./up-cleanup.js');
    throw await undoFailedCreate(ctx, backend, { name, workspaceDir, kept }, error);
  }
}

async function resume(
  ctx: Context,
  backend: Backend,
  workspace: Workspace,
  progress: Progress,
  onRunning: UpOptions['onRunning'],
): Promise<Workspace> {
  try {
    if (workspace.state !== 'running') {
      await progress.phase(
        `Starting workspace ${workspace.name}`,
        `Started workspace ${workspace.name}`,
        () => backend.start(workspace.name),
      );
    }
    onRunning?.(workspace);
    // A resumed container keeps its host key (made once per container): the pin stays valid.
    await waitUntilReady(ctx, backend, workspace.name, undefined, true);
  } catch (error) {
    // A `devc delete` at the same moment makes any engine step fail its own way ("not running",
    // "marked for removal"…): when the workspace is going, that is what the user needs to hear.
    const { beingDeleted } = await import('./up-cleanup.js');
    if (!ctx.signal.aborted && (await beingDeleted(ctx, backend, workspace.name)))
      disappearedWhileStarting(workspace.name);
    throw error;
  }
  return (await backend.find(workspace.name)) ?? disappearedWhileStarting(workspace.name);
}

/**
 * devc run as root makes a root-owned clone, which the workspace's user (uid 1000 in dev8 images and
 * most dev container images) could not write to. Other users' clones are theirs already, and the Dev
 * Containers CLI maps the container user's UID to them.
 */
async function giveToWorkspaceUser(dir: string): Promise<void> {
  if (process.getuid?.() !== 0) return;
  const result = await run('chown', ['-R', '1000:1000', dir]);
  if (result.exitCode !== 0)
    throw new DevcError(`Can't give ${dir} to the workspace user.`, { details: result.stderr });
}

/** What devc records as the repository: the clone URL, or the absolute path of a local tree. */
function repositoryKey(ref: RepositoryRef): string {
  return ref.kind === 'remote' ? ref.url : ref.path;
}

async function commitOf(workspace: Workspace): Promise<string> {
  return workspace.sourcePath ? ((await headOf(workspace.sourcePath))?.commit ?? '') : '';
}

function ownerName(): string {
  try {
    return os.userInfo().username;
  } catch {
    return 'unknown';
  }
}
