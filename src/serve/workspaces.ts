import type { Context } from '../context.js';
import { MAX_NAME_LENGTH } from '../workspace/name.js';
import type { Workspace } from '../workspace/model.js';
import type { RepositoryRef } from '../workspace/reference.js';
import { ownershipCheck } from '../services/ownership.js';
import type { Identity } from './identity.js';

/** A user's name as it can end a workspace name: `alice@example.com` → `alice-example-com`. */
export function ownerSlug(user: string): string {
  const slug = user
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 16)
    .replace(/-+$/, '');
  return slug || 'user';
}

/** Whether `identity` may see and reach `workspace`: its owner, made by this gateway's DEVC_HOME. */
export async function ownedBy(ctx: Context, workspace: Workspace, identity: Identity): Promise<boolean> {
  if (workspace.owner !== identity.user) return false;
  return (await ownershipCheck(ctx))(workspace);
}

/**
 * The workspaces `identity` sees: their own, or with `all` (an admin's list) every workspace this
 * gateway made. Others' are never in the answer.
 */
export async function workspacesOf(ctx: Context, identity: Identity, all = false): Promise<Workspace[]> {
  const backend = await ctx.backend();
  const mine = await ownershipCheck(ctx);
  const out: Workspace[] = [];
  for (const w of await backend.list())
    if ((all || w.owner === identity.user) && (await mine(w))) out.push(w);
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/** One of the user's workspaces by name; null when there is none or it is someone else's (a 404). */
export async function workspaceOf(ctx: Context, identity: Identity, name: string): Promise<Workspace | null> {
  const backend = await ctx.backend();
  const found = await backend.find(name);
  return found && (await ownedBy(ctx, found, identity)) ? found : null;
}

/**
 * The name of the user's workspace for this repository (and branch): the existing one, else a free
 * `<repo>-<user>` name. The gateway names it before `up` runs so that the waiting page can follow it.
 */
export async function workspaceNameFor(
  ctx: Context,
  identity: Identity,
  ref: RepositoryRef & { kind: 'remote' },
): Promise<{ name: string; existing: Workspace | undefined }> {
  const backend = await ctx.backend();
  const all = await backend.list();
  const mine = await ownershipCheck(ctx);
  const same: Workspace[] = [];
  for (const w of all)
    if (
      w.owner === identity.user &&
      w.repository.url === ref.url &&
      (ref.branch === undefined || w.repository.branch === ref.branch) &&
      (await mine(w))
    )
      same.push(w);
  const existing = same.sort((a, b) => a.createdAt.localeCompare(b.createdAt))[0];
  if (existing) return { name: existing.name, existing };
  const taken = new Set(all.map((w) => w.name));
  for (const name of namesFor(ref.name, ref.branch, identity.user))
    if (!taken.has(name)) return { name, existing: undefined };
  throw new Error('unreachable: names never run out');
}

/**
 * The names a user's workspace of `base` (a repository's or an upload's name) may take, best first:
 * `<base>[-<branch>]-<user>`, then the same with -2, -3…
 */
export function* namesFor(base: string, branch: string | undefined, user: string): Generator<string> {
  const slug = ownerSlug(user);
  const room = MAX_NAME_LENGTH - slug.length - 1;
  const suffix = branch ? `-${branch.toLowerCase().replace(/[^a-z0-9]+/g, '-')}` : '';
  const first =
    `${base.slice(0, room).replace(/-+$/, '')}${suffix}`.slice(0, room).replace(/-+$/, '') + `-${slug}`;
  yield first;
  for (let i = 2; ; i++)
    yield `${first.slice(0, MAX_NAME_LENGTH - String(i).length - 1).replace(/-+$/, '')}-${i}`;
}
