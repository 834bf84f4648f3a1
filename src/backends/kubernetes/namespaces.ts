import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { resolvePaths } from '../../paths.js';
import type { KubeTarget } from './client.js';

/**
 * Namespaces where this user made workspaces, per context: `list`, `ssh` and the rest look there too,
 * so `up --namespace team-a` needs no flag afterwards. A preference file, not an index: the cluster
 * still says what exists.
 */
function file(env: NodeJS.ProcessEnv): string {
  return path.join(resolvePaths(env).home, 'kubernetes-namespaces.json');
}

async function read(env: NodeJS.ProcessEnv): Promise<Record<string, string[]>> {
  try {
    return JSON.parse(await readFile(file(env), 'utf8')) as Record<string, string[]>;
  } catch {
    return {};
  }
}

/** The namespaces to look in: the chosen one first, then the remembered ones of this context. */
export async function searchNamespaces(env: NodeJS.ProcessEnv, target: KubeTarget): Promise<string[]> {
  const remembered = (await read(env))[target.context] ?? [];
  // An explicit choice narrows the search to it.
  if (target.namespaceNamed) return [target.namespace];
  return [...new Set([target.namespace, ...remembered])];
}

export async function rememberNamespace(
  env: NodeJS.ProcessEnv,
  target: KubeTarget,
  namespace: string,
): Promise<void> {
  const all = await read(env);
  const list = all[target.context] ?? [];
  if (list.includes(namespace)) return;
  all[target.context] = [...list, namespace];
  await mkdir(path.dirname(file(env)), { recursive: true, mode: 0o700 });
  await writeFile(file(env), `${JSON.stringify(all, null, 2)}\n`);
}
