import type { Context } from '../context.js';
import type { StoreKind } from '../credentials/keychain.js';
import { checkSecretName, listSecrets, secretAccount, type SecretEntry } from '../credentials/secrets.js';
import { UsageError } from '../errors.js';

/** Stores a secret for every repository, or for one (`repository` as secretScope gives it). */
export async function setSecret(
  ctx: Context,
  name: string,
  repository: string | undefined,
  value: string,
): Promise<StoreKind> {
  checkSecretName(name);
  return (await ctx.keychain()).set(secretAccount(name, repository), value);
}

/** Removes a secret; a usage error when there is no such secret in that scope. */
export async function deleteSecret(
  ctx: Context,
  name: string,
  repository: string | undefined,
): Promise<void> {
  checkSecretName(name);
  if (await (await ctx.keychain()).delete(secretAccount(name, repository))) return;
  throw new UsageError(
    `There is no secret ${name} ${repository ? `for ${repository}` : 'for every repository'}.`,
    {
      hint: `See them with \`devc secret list${repository ? ' --repo …' : ''}\`.`,
    },
  );
}

/**
 * The stored secrets (names and scopes): all of them, or with a repository the ones its workspaces
 * get (every repository's, and its own, which win on the same name).
 */
export async function secretsFor(ctx: Context, repository: string | undefined): Promise<SecretEntry[]> {
  const all = await listSecrets(ctx);
  if (repository === undefined) return all;
  const own = new Set(all.filter((s) => s.repository === repository).map((s) => s.name));
  return all.filter((s) => s.repository === repository || (s.repository === undefined && !own.has(s.name)));
}
