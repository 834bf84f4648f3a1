import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../errors.js';

/** Every devcontainer.json in a working tree, found the standard ways, relative to its root. */
export async function findConfigs(root: string): Promise<string[]> {
  const found: string[] = [];
  for (const candidate of ['.devcontainer/devcontainer.json', '.devcontainer.json']) {
    if (await isFile(path.join(root, candidate))) found.push(candidate);
  }
  const entries = await readdir(path.join(root, '.devcontainer'), { withFileTypes: true }).catch(() => []);
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const candidate = `.devcontainer/${entry.name}/devcontainer.json`;
    if (entry.isDirectory() && (await isFile(path.join(root, candidate)))) found.push(candidate);
  }
  return found;
}

/**
 * Picks the config: the one asked for, else the only one, else asks `choose` (a picker in a
 * terminal) or fails naming --devcontainer-path.
 */
export async function chooseConfig(
  root: string,
  requested: string | undefined,
  choose?: (configs: string[]) => Promise<string>,
): Promise<string | undefined> {
  const configs = await findConfigs(root);
  if (requested !== undefined) {
    const wanted = path.normalize(requested).replace(/^\.\//, '');
    const match = configs.find(
      (c) => c === wanted || path.dirname(c) === wanted || path.basename(path.dirname(c)) === wanted,
    );
    if (match) return match;
    throw new UsageError(`There is no devcontainer.json at ${requested}.`, {
      hint: configs.length
        ? `Configs in this repository: ${configs.join(', ')}`
        : 'This repository has no devcontainer.json.',
    });
  }
  if (configs.length <= 1) return configs[0];
  if (choose) return choose(configs);
  throw new UsageError(
    `This repository has ${configs.length} devcontainer.json files; choose one with --devcontainer-path.`,
    {
      hint: `Configs: ${configs.join(', ')}`,
    },
  );
}

async function isFile(file: string): Promise<boolean> {
  return (await stat(file).catch(() => undefined))?.isFile() ?? false;
}
