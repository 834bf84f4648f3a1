import { spawn } from 'node:child_process';
import { mkdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { clonesRemotely, hasStreamExec, type Backend } from '../backends/backend.js';
import type { Context } from '../context.js';
import { DevcError } from '../errors.js';
import { headOf } from '../git/trusted.js';
import type { Progress } from '../ui/progress.js';
import type { Workspace } from '../workspace/model.js';
import { parseVariant } from '../workspace/variants.js';
import { createWorkspace } from './create.js';
import { waitUntilReady } from './ready.js';
import type { Selected } from './select.js';

/**
 * Recreates a workspace's container from its current config, keeping its source, home and other
 * volumes. `full` builds without cache.
 */
export async function rebuild(
  ctx: Context,
  selected: Selected,
  full: boolean,
  progress: Progress,
): Promise<Workspace> {
  const { workspace: old, backend } = selected;
  const source = clonesRemotely(backend)
    ? await sourceInWorkspace(ctx, selected, progress)
    : await sourceOnHost(old);
  await progress.phase(
    `Removing the old container of ${old.name}`,
    'Removed the old container (files kept)',
    () => backend.remove(old.name, { keepData: true }),
  );
  try {
    await createWorkspace(
      ctx,
      backend,
      {
        name: old.name,
        sourcePath: source.path,
        repoName: repoNameOf(old),
        repository: { url: old.repository.url, branch: source.branch || old.repository.branch },
        owner: old.owner ?? 'unknown',
        variant: old.variant ? parseVariant(old.variant) : undefined,
        devcontainerPath: old.devcontainerConfig,
        token: ctx.env.GITHUB_TOKEN || ctx.env.GH_TOKEN || undefined,
        env: { DEVC_IDLE_TIMEOUT: String(old.idleTimeoutSeconds ?? 0) },
        noCache: full,
      },
      progress,
    );
    await progress.phase('Waiting for SSH', 'SSH is ready', () => waitUntilReady(ctx, backend, old.name));
  } catch (error) {
    await backend.remove(old.name, { keepData: true }).catch(() => undefined);
    const description = error instanceof DevcError ? error.message : String(error);
    throw new DevcError(`Rebuilding ${old.name} failed: ${description}`, {
      hint: `Its files are kept. Fix the config, then \`devc up ${old.repository.url} --name ${old.name}\` uses them.`,
      ...(error instanceof DevcError && error.details ? { details: error.details } : {}),
    });
  }
  return (await backend.find(old.name)) ?? old;
}

/** Where the config is read from, and the branch checked out there. */
interface RebuildSource {
  path: string;
  branch: string;
}

/** Docker: the clone (or local tree) on this machine, mounted into the container. */
async function sourceOnHost(old: Workspace): Promise<RebuildSource> {
  const head = old.sourcePath ? await headOf(old.sourcePath).catch(() => undefined) : undefined;
  if (!old.sourcePath || !head) {
    throw new DevcError(`Workspace ${old.name} has no source folder devc can rebuild from.`, {
      hint: `Its container can still be used; \`devc delete -w ${old.name}\` removes it.`,
    });
  }
  return { path: old.sourcePath, branch: head.branch };
}

/**
 * Engines that clone inside the workspace (Kubernetes): a local tree that is still here is read as
 * on Docker; a remote repository lives only in the workspace's volume, so its devcontainer config
 * (what devc plans with) is copied out of the running workspace, which keeps the edits made there.
 */
async function sourceInWorkspace(
  ctx: Context,
  selected: Selected,
  progress: Progress,
): Promise<RebuildSource> {
  const { workspace: old, backend } = selected;
  if (old.sourcePath && (await stat(old.sourcePath).catch(() => null))?.isDirectory()) {
    const head = await headOf(old.sourcePath).catch(() => undefined);
    return { path: old.sourcePath, branch: head?.branch ?? '' };
  }
  if (old.state !== 'running') {
    await progress.phase(`Starting ${old.name} to read its config`, `Started ${old.name}`, () =>
      backend.start(old.name),
    );
  }
  const dest = path.join(ctx.paths.workspacesDir, old.name, 'src', repoNameOf(old));
  await progress.phase(
    'Reading the devcontainer config in the workspace',
    'Read the devcontainer config',
    () => copyConfigOut(backend, old, dest),
  );
  return { path: dest, branch: '' };
}

// An archive of what devc plans with (empty when the repository has no devcontainer config).
const PACK_CONFIG = `set --
for f in .devcontainer .devcontainer.json; do [ -e "$f" ] && set -- "$@" "$f"; done
exec tar -c -f - -T /dev/null "$@"`;

async function copyConfigOut(backend: Backend, old: Workspace, dest: string): Promise<void> {
  if (!hasStreamExec(backend)) throw new DevcError(`Can't read the config of ${old.name} from its engine.`);
  await rm(dest, { recursive: true, force: true });
  await mkdir(dest, { recursive: true });
  const tar = spawn('tar', ['-x', '-f', '-', '-C', dest], { stdio: ['pipe', 'ignore', 'pipe'] });
  let tarErrors = '';
  tar.stderr.on('data', (chunk: Buffer) => (tarErrors += chunk.toString()));
  const unpacked = new Promise<number>((resolve) => tar.on('close', (code) => resolve(code ?? 1)));
  const packed = await backend
    .execStream(old.name, ['sh', '-c', PACK_CONFIG], { workdir: old.folder, output: tar.stdin })
    .finally(() => tar.stdin.end());
  const code = await unpacked;
  if (packed.exitCode !== 0 || code !== 0)
    throw new DevcError(`Can't read the devcontainer config of ${old.name}.`, {
      details: `${packed.stderr}${tarErrors}`.trim(),
    });
}

function repoNameOf(old: Workspace): string {
  return old.folder.split('/').filter(Boolean).at(-1) ?? old.name;
}
