import { DevcError } from '../../errors.js';
import { HOOKS } from '../../devcontainer/lifecycle-hooks.js';
import { readImageFacts, resolveUser, type ImageFacts } from './registry-image.js';

/** The config's keys that merge with the image's `devcontainer.metadata` label on Kubernetes. */
export const MERGED_KEYS = [...HOOKS, 'waitFor', 'remoteUser', 'containerUser', 'containerEnv', 'remoteEnv'];

/** What a pod of any image runs as and with, from the image's label and config merged with devcontainer.json. */
export interface ImagePlan {
  user: { name: string; uid: number; gid: number; home: string };
  /** The metadata entries, the image's first and the config's last (hooks run in this order). */
  entries: Record<string, unknown>[];
  containerEnv: Record<string, string>;
  remoteEnv: Record<string, string>;
}

/**
 * Merges as the Dev Containers CLI does (imageMetadata): remoteUser and containerUser, last one wins;
 * containerEnv and remoteEnv, later keys win; every entry's hooks run. The user is remoteUser, else
 * containerUser, else the image's own (root when it names none): the pod runs as that one user.
 */
export async function mergeImagePlan(
  facts: Pick<ImageFacts, 'user' | 'labels' | 'passwd'>,
  config: Record<string, unknown>,
): Promise<ImagePlan> {
  const entries = [...parseMetadata(facts.labels['devcontainer.metadata']), config];
  const last = (key: string): string | undefined =>
    entries.map((e) => e[key]).findLast((v): v is string => typeof v === 'string');
  const merged = (key: string): Record<string, string> =>
    entries.reduce<Record<string, string>>((all, e) => ({ ...all, ...stringRecord(e[key]) }), {});
  const wanted = last('remoteUser') ?? last('containerUser') ?? (facts.user || 'root');
  // root needs no look into the image's files (its layers can be large).
  const user = /^(root|0)(:|$)/.test(wanted)
    ? resolveUser(wanted, 'root:x:0:0:root:/root:/bin/sh')
    : resolveUser(wanted, await facts.passwd());
  if (!user)
    throw new DevcError(
      `The image has no user ${wanted} (remoteUser or containerUser in devcontainer.json).`,
      {
        hint: 'Name a user the image has, or create it in the image.',
      },
    );
  return { user, entries, containerEnv: merged('containerEnv'), remoteEnv: merged('remoteEnv') };
}

/** Reads the image from the registry and merges it with the config. */
export async function imagePlan(reference: string, config: Record<string, unknown>): Promise<ImagePlan> {
  return mergeImagePlan(await readImageFacts(reference), config);
}

function parseMetadata(label: string | undefined): Record<string, unknown>[] {
  if (!label) return [];
  try {
    const value: unknown = JSON.parse(label);
    const list = Array.isArray(value) ? value : [value];
    return list.filter(
      (e): e is Record<string, unknown> => Boolean(e) && typeof e === 'object' && !Array.isArray(e),
    );
  } catch {
    return [];
  }
}

function stringRecord(value: unknown): Record<string, string> {
  if (!value || typeof value !== 'object') return {};
  return Object.fromEntries(
    Object.entries(value).filter((e): e is [string, string] => typeof e[1] === 'string'),
  );
}
