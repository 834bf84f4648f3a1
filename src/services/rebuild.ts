import { spawn } from 'node:child_process';
import { mkdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { clonesRemotely, hasStreamExec, type Backend } from '../backends/backend.js';
import type { Context } from '../context.js';
import { resolveToken } from '../credentials/token.js';
import { DevcError } from '../errors.js';
import { headOf } from '../git/trusted.js';
import type { Progress } from '../ui/progress.js';
import type { Workspace } from '../workspace/model.js';
import { parseVariant } from '../workspace/variants.js';
import { chooseConfig } from '../devcontainer/find.js';
import { readConfiguration } from '../devcontainer/up.js';
import { createWorkspace } from './create.js';
import { confirmHostAccess, type TrustPolicy } from './trust.js';
import { createdReady } from './ready.js';
import type { Selected } from './select.js';

export interface RebuildOptions {
  /** Yes, in advance, to what the devcontainer.json asks of this machine (--trust, DEVC_TRUST). */
  trust?: boolean;
}

/**
 * Recreates a workspace's container from its current config, keeping its source, home and other
 * volumes. `full` builds without cache.
 */
export async function rebuild(
  ctx: Context,
  selected: Selected,
  full: boolean,
  progress: Progress,
  options: RebuildOptions = {},
): Promise<Workspace> {
  const { workspace: old, backend } = selected;
  const source = clonesRemotely(backend)
    ? await sourceInWorkspace(ctx, selected, progress)
    : await sourceOnHost(old);
  // The config may have been edited inside the workspace: it must read, and what it asks of this
  // machine must have a yes, while the old container is still there to keep.
  const trust = { given: options.trust ?? false, own: false };
  const config = await checkConfig(ctx, selected, source, trust);
  await progress.phase(
    `Removing the old container of ${old.name}`,
    'Removed the old container (files kept)',
    () => backend.remove(old.name, { keepData: true }),
  );
  try {
    const made = await createWorkspace(
      ctx,
      backend,
      {
        name: old.name,
        sourcePath: source.path,
        repoName: repoNameOf(old),
        repository: { url: old.repository.url, branch: source.branch || old.repository.branch },
        owner: old.owner ?? 'unknown',
        home: old.home,
        variant: old.variant ? parseVariant(old.variant) : undefined,
        devcontainerPath: config ?? old.devcontainerConfig,
        token: (await resolveToken(ctx))?.token,
        env: { DEVC_IDLE_TIMEOUT: String(old.idleTimeoutSeconds ?? 0) },
        noCache: full,
        // Asked again after the removal: a tree changed in between (a link swapped) does not slip through.
        trust,
      },
      progress,
    );
    await progress.phase('Waiting for SSH', 'SSH is ready', () => createdReady(ctx, backend, made));
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

/** The config the rebuild will use, read and agreed to; undefined for a workspace without one. */
async function checkConfig(
  ctx: Context,
  selected: Selected,
  source: RebuildSource,
  trust: TrustPolicy,
): Promise<string | undefined> {
  const { workspace: old, backend } = selected;
  const config = await chooseConfig(
    source.path,
    old.devcontainerConfig,
    ctx.io.interactive ? (c) => ctx.prompter.pick('Which devcontainer.json:', c) : undefined,
  );
  if (!config) return undefined;
  let configuration: Record<string, unknown>;
  try {
    ({ configuration } = await readConfiguration(source.path, config));
  } catch (error) {
    if (!(error instanceof DevcError)) throw error;
    throw new DevcError(error.message, {
      hint: `Workspace ${old.name} is unchanged. Fix the file in it, then run \`devc rebuild -w ${old.name}\` again.`,
      ...(error.details ? { details: error.details } : {}),
    });
  }
  await confirmHostAccess(ctx, backend, {
    repository: old.repository.url,
    sourcePath: source.path,
    configFile: config,
    configuration,
    policy: trust,
  });
  return config;
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
  const tar = spawn('tar', ['-x', '--no-same-owner', '--no-same-permissions', '-f', '-', '-C', dest], {
    stdio: ['pipe', 'ignore', 'pipe'],
  });
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

/** The folder's last part, from a label: never a path step that leaves the workspace's own folder. */
function repoNameOf(old: Workspace): string {
  const last = old.folder.split('/').filter(Boolean).at(-1);
  return last && last !== '.' && last !== '..' ? last : old.name;
}
