import os from 'node:os';
import path from 'node:path';
import { clonesRemotely, type Backend } from '../backends/backend.js';
import type { Context } from '../context.js';
import { DevcError, disappearedWhileStarting, UsageError } from '../errors.js';
import { headOf } from '../git/trusted.js';
import { configuredIdleTimeout } from '../workspace/config.js';
import { run } from '../process.js';
import type { Progress } from '../ui/progress.js';
import { withLock } from '../workspace/lock.js';
import { keptIdleTimeoutWarning } from '../workspace/duration.js';
import { ensureHome } from '../home.js';
import { ownershipCheck } from './ownership.js';
import type { BackendKind, Workspace } from '../workspace/model.js';
import { checkWorkspaceName, MAX_NAME_LENGTH } from '../workspace/name.js';
import { checkLocalTree } from '../workspace/local-tree.js';
import { parseReference, type RepositoryRef } from '../workspace/reference.js';
import type { Variant } from '../workspace/variants.js';
import { waitUntilReady } from './ready.js';
import { sleep } from '../wait/backoff.js';

export interface UpOptions {
  reference: string;
  name?: string;
  variant?: Variant;
  backend?: BackendKind;
  /** Stop the workspace after this many idle seconds (0: never). */
  idleTimeoutSeconds?: number;
  /** Which devcontainer.json, when the repository has several. */
  devcontainerPath?: string;
  /** Yes, in advance, to what the devcontainer.json asks of this machine (--trust, DEVC_TRUST). */
  trust?: boolean;
  /**
   * Called once the workspace runs, before devc waits for its SSH server: work that needs only a
   * running container (the port forwarder) starts there and overlaps the wait.
   */
  onRunning?: (workspace: Workspace) => void;
}

export interface UpResult {
  workspace: Workspace;
  commit: string;
  created: boolean;
}

/** Idle stop after 30 minutes unless the user says otherwise. */
export const DEFAULT_IDLE_TIMEOUT_SECONDS = 30 * 60;

/** Creates a workspace, or resumes the one that already holds this repository (and branch). */
export async function up(ctx: Context, options: UpOptions, progress: Progress): Promise<UpResult> {
  const ref = parseReference(options.reference, ctx.env, ctx.cwd);
  // Before anything touches the engine: a workspace binds this folder read-write into its container.
  if (ref.kind === 'local') await checkLocalTree(ref.path, ctx.env.HOME || os.homedir());
  if (options.name !== undefined) checkWorkspaceName(options.name);
  // No separate engine check: the first engine call says "can't reach" itself, and a resume stays quick.
  const backend = await ctx.backend(options.backend);
  const repository = repositoryKey(ref);

  await ensureHome(ctx.paths);
  return withLock(ctx.paths.locksDir, `up-${repository}@${ref.branch ?? ''}`, async () => {
    // One listing answers both "is this repository's workspace there?" and "which name is free?".
    let listing: Promise<Workspace[]> | undefined;
    const list = (): Promise<Workspace[]> => (listing ??= backend.list());
    const mine = await ownershipCheck(ctx);
    const existing = await findExisting(backend, list, ref, repository, options.name, mine);
    if (existing) {
      const kept = keptIdleTimeoutWarning(
        existing.name,
        existing.idleTimeoutSeconds,
        options.idleTimeoutSeconds,
      );
      if (kept) ctx.io.warn(kept);
      const workspace = await resume(ctx, backend, existing, progress, options.onRunning);
      return { workspace, commit: await commitOf(workspace), created: false };
    }
    const name = options.name ?? (await freeName(list, ref.name));
    return withLock(ctx.paths.locksDir, `name-${name}`, () =>
      create(ctx, backend, ref, name, options, progress),
    );
  });
}

async function create(
  ctx: Context,
  backend: Backend,
  ref: RepositoryRef,
  name: string,
  options: UpOptions,
  progress: Progress,
): Promise<UpResult> {
  if (await backend.find(name)) {
    throw new UsageError(`A workspace named ${name} already exists.`, {
      hint: 'Pick another --name, or `devc delete` it.',
    });
  }
  const workspaceDir = path.join(ctx.paths.workspacesDir, name);
  const token = ctx.env.GITHUB_TOKEN || ctx.env.GH_TOKEN || undefined;
  // A clone kept from a failed rebuild holds the user's work: use it, and never delete it here.
  const kept =
    ref.kind === 'remote' &&
    !clonesRemotely(backend) &&
    (await headOf(path.join(workspaceDir, 'src', ref.name))) !== undefined;
  try {
    let sourcePath: string;
    if (ref.kind === 'remote') {
      // The folder's name becomes /workspaces/<repo> in the container, as in Codespaces.
      sourcePath = path.join(workspaceDir, 'src', ref.name);
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
    }
    // Independent questions (git runs, a config file) at once.
    const [found, identity, idleTimeout] = await Promise.all([
      headOf(sourcePath),
      gitIdentity(ctx.env),
      options.idleTimeoutSeconds ?? configuredIdleTimeout(ctx.paths),
    ]);
    const head = found ?? { branch: '', commit: '' };
    // Loaded only to create: a resume stays light.
    const { createWorkspace } = await import('./create.js');
    const workspace = await createWorkspace(
      ctx,
      backend,
      {
        name,
        sourcePath,
        repoName: ref.name,
        repository: { url: repositoryKey(ref), branch: head.branch || ref.branch },
        owner: ownerName(),
        variant: options.variant,
        devcontainerPath: options.devcontainerPath,
        // A local tree is the user's own: run as it is, as the Dev Containers CLI does.
        trust: { given: options.trust ?? false, own: ref.kind === 'local' },
        token,
        env: {
          DEVC_IDLE_TIMEOUT: String(idleTimeout ?? DEFAULT_IDLE_TIMEOUT_SECONDS),
          ...identity,
        },
      },
      progress,
    );
    options.onRunning?.(workspace);
    await progress.phase('Waiting for SSH', 'SSH is ready', () =>
      waitUntilReady(ctx, backend, name, undefined, false, path.join(workspaceDir, 'build.log')),
    );
    return { workspace: (await backend.find(name)) ?? workspace, commit: head.commit, created: true };
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
    if (!ctx.signal.aborted && (await goneSoon(backend, workspace.name)))
      disappearedWhileStarting(workspace.name);
    throw error;
  }
  return (await backend.find(workspace.name)) ?? disappearedWhileStarting(workspace.name);
}

/** Whether the workspace is gone, or goes within a few seconds (an engine removes a container in steps). */
async function goneSoon(backend: Backend, name: string): Promise<boolean> {
  for (let i = 0; i < 15; i++) {
    // An inspect may fail, or still see the container, while the engine removes it: ask again.
    if ((await backend.find(name).catch(() => undefined)) === null) return true;
    await sleep(200);
  }
  return false;
}

async function findExisting(
  backend: Backend,
  list: () => Promise<Workspace[]>,
  ref: RepositoryRef,
  repository: string,
  name: string | undefined,
  mine: (workspace: Workspace) => Promise<boolean>,
): Promise<Workspace | null> {
  if (name !== undefined) {
    const named = await backend.find(name);
    if (named && named.repository.url !== repository) {
      throw new UsageError(`Workspace ${name} holds ${named.repository.url}, not ${repository}.`, {
        hint: 'Pick another --name for this repository.',
      });
    }
    // Another DEVC_HOME's workspace answers another key: resuming it would wait for SSH in vain.
    if (named && !(await mine(named)))
      throw new UsageError(
        `Workspace ${name} was made by another devc home (owner ${named.owner ?? 'unknown'}).`,
        {
          hint: 'Pick another --name, or run devc with the DEVC_HOME that made it.',
        },
      );
    return named;
  }
  const same: Workspace[] = [];
  for (const w of await list())
    if (
      w.repository.url === repository &&
      (ref.branch === undefined || w.repository.branch === ref.branch) &&
      (await mine(w))
    )
      same.push(w);
  return same.sort((a, b) => a.createdAt.localeCompare(b.createdAt))[0] ?? null;
}

async function freeName(list: () => Promise<Workspace[]>, base: string): Promise<string> {
  const taken = new Set((await list()).map((w) => w.name));
  if (!taken.has(base)) return base;
  for (let i = 2; ; i++) {
    // Still a valid name (at most 40 characters) with the number on.
    const name = `${base.slice(0, MAX_NAME_LENGTH - String(i).length - 1).replace(/-+$/, '')}-${i}`;
    if (!taken.has(name)) return name;
  }
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

/** The user's git identity for commits made in the workspace: GIT_* variables, else their git config. */
async function gitIdentity(env: NodeJS.ProcessEnv): Promise<Record<string, string>> {
  const fromConfig = async (key: string): Promise<string | undefined> => {
    const result = await run('git', ['config', '--global', key]);
    return result.exitCode === 0 && result.stdout.trim() ? result.stdout.trim() : undefined;
  };
  const identity: Record<string, string> = {};
  const [name, email] = await Promise.all([
    env.GIT_USER_NAME ?? env.GIT_AUTHOR_NAME ?? fromConfig('user.name'),
    env.GIT_USER_EMAIL ?? env.GIT_AUTHOR_EMAIL ?? fromConfig('user.email'),
  ]);
  if (name) identity.GIT_USER_NAME = name;
  if (email) identity.GIT_USER_EMAIL = email;
  return identity;
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
