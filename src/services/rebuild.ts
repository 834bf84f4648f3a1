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
  if (!old.sourcePath || !(await headOf(old.sourcePath).catch(() => undefined))) {
    throw new DevcError(`Workspace ${old.name} has no source folder devc can rebuild from.`, {
      hint: `Its container can still be used; \`devc delete -w ${old.name}\` removes it.`,
    });
  }
  const head = (await headOf(old.sourcePath)) ?? { branch: '', commit: '' };
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
        sourcePath: old.sourcePath,
        repoName: old.folder.split('/').filter(Boolean).at(-1) ?? old.name,
        repository: { url: old.repository.url, branch: head.branch || old.repository.branch },
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
