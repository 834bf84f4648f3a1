import type { Backend } from '../backends/backend.js';
import { UsageError } from '../errors.js';
import type { Workspace } from '../workspace/model.js';
import { MAX_NAME_LENGTH } from '../workspace/name.js';
import type { RepositoryRef } from '../workspace/reference.js';

/**
 * The workspace `up` resumes: the one named (which must hold this repository and be this DEVC_HOME's),
 * else the oldest of this repository (and branch) that is this DEVC_HOME's; null when there is none.
 */
export async function findExisting(
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

/** `base`, or `base-2`, `base-3`… : the first name no workspace has. */
export async function freeName(list: () => Promise<Workspace[]>, base: string): Promise<string> {
  const taken = new Set((await list()).map((w) => w.name));
  if (!taken.has(base)) return base;
  for (let i = 2; ; i++) {
    // Still a valid name (at most 40 characters) with the number on.
    const name = `${base.slice(0, MAX_NAME_LENGTH - String(i).length - 1).replace(/-+$/, '')}-${i}`;
    if (!taken.has(name)) return name;
  }
}
