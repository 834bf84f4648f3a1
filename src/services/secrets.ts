import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { hasSecretsRefresh, type Backend } from '../backends/backend.js';
import type { Context } from '../context.js';
import { storedSecrets } from '../credentials/secrets.js';
import { readSecretsFile } from '../workspace/secrets-file.js';
import { encodeSecrets, SECRETS_FILE } from '../workspace/secret-values.js';

/** What the last secrets file said, kept (0600) beside the config so a start without it keeps them. */
const FROM_FILE = 'secrets-from-file.json';

/**
 * The secrets file's secrets: `file` (up --secrets-file), else DEVC_SECRETS_FILE; undefined when
 * neither is given. Read before anything is made: a file that does not parse is a usage error.
 */
export async function secretsFromFile(
  ctx: Context,
  file: string | undefined,
): Promise<Record<string, string> | undefined> {
  const given = file ?? (ctx.env.DEVC_SECRETS_FILE || undefined);
  return given ? readSecretsFile(path.resolve(ctx.cwd, given)) : undefined;
}

/**
 * A workspace's secrets: the stored ones (keychain) with the secrets file's over them; without a
 * file given now, the one the workspace got last.
 */
export async function workspaceSecrets(
  ctx: Context,
  workspaceDir: string,
  repositoryUrl: string | undefined,
  fromFile: Record<string, string> | undefined,
): Promise<WorkspaceSecrets> {
  const [stored, file] = await Promise.all([
    storedSecrets(ctx, repositoryUrl),
    fromFile ?? rememberedFileSecrets(workspaceDir),
  ]);
  return { secrets: { ...stored, ...file }, ...(fromFile ? { fromFile } : {}) };
}

/** What a workspace gets, and (when a secrets file was given) what that file said, to remember. */
export interface WorkspaceSecrets {
  secrets: Record<string, string>;
  fromFile?: Record<string, string>;
}

async function rememberedFileSecrets(workspaceDir: string): Promise<Record<string, string>> {
  try {
    return JSON.parse(await readFile(path.join(workspaceDir, FROM_FILE), 'utf8')) as Record<string, string>;
  } catch {
    return {};
  }
}

/**
 * Writes the secrets where the workspace reads them on its next start: `config/secrets.env` (0600,
 * mounted at /etc/devc; the Kubernetes Secret is made from it). No secrets, no file.
 */
export async function writeSecrets(
  workspaceDir: string,
  { secrets, fromFile }: WorkspaceSecrets,
): Promise<void> {
  if (fromFile) {
    await rm(path.join(workspaceDir, FROM_FILE), { force: true });
    await writeFile(path.join(workspaceDir, FROM_FILE), JSON.stringify(fromFile), { mode: 0o600 });
  }
  const file = path.join(workspaceDir, 'config', SECRETS_FILE);
  if (Object.keys(secrets).length === 0) return rm(file, { force: true });
  // A fresh file each time: whatever mode an old one had, this one is the user's alone.
  await rm(file, { force: true });
  await writeFile(file, encodeSecrets(secrets), { mode: 0o600 });
}

/** Before a start: the secrets as they are now, written where the workspace reads them. */
export async function refreshSecrets(
  ctx: Context,
  backend: Backend,
  workspace: { name: string; repository: { url: string } },
  fromFile: Record<string, string> | undefined,
): Promise<void> {
  const workspaceDir = path.join(ctx.paths.workspacesDir, workspace.name);
  // A workspace made elsewhere (another machine's DEVC_HOME) has no config folder here to write to.
  const configDir = path.join(workspaceDir, 'config');
  if (
    !(await readFile(path.join(configDir, 'authorized_keys')).then(
      () => true,
      () => false,
    ))
  )
    return;
  await writeSecrets(
    workspaceDir,
    await workspaceSecrets(ctx, workspaceDir, workspace.repository.url, fromFile),
  );
  if (hasSecretsRefresh(backend)) await backend.refreshSecrets(workspace.name, configDir);
}
