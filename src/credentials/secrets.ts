import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import { parseReference } from '../workspace/reference.js';

/** A secret's name: an environment variable name. */
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Names devc and GitHub give meaning to in a workspace: a secret must not shadow them. */
const RESERVED_PREFIXES = ['DEVC_', 'GITHUB_'];
/** The scope of secrets every workspace gets. */
const ALL = '*';

/** One stored secret, without its value. */
export interface SecretEntry {
  name: string;
  /** The repository URL (as `dev.devc.repository` holds it), or undefined for every repository. */
  repository: string | undefined;
}

/** Checks a secret name: an identifier that does not start with DEVC_ or GITHUB_ (any case). */
export function checkSecretName(name: string): void {
  if (!NAME.test(name)) {
    throw new UsageError(`"${name}" is not a valid secret name.`, {
      hint: 'Use letters, digits and _, not starting with a digit (an environment variable name), e.g. NPM_TOKEN.',
    });
  }
  const reserved = RESERVED_PREFIXES.find((p) => name.toUpperCase().startsWith(p));
  if (reserved) {
    throw new UsageError(`Secret names can't start with ${reserved}: devc sets those itself.`, {
      hint: `Pick another name, e.g. MY_${name.slice(reserved.length) || 'SECRET'}.`,
    });
  }
}

/**
 * The repository a `--repo REF` names, as a workspace's `dev.devc.repository` label holds it (its
 * clone URL, whatever the form: `acme/shop`, `github/acme/shop` and the https URL are one), or
 * undefined for every repository. Local folders are refused: a secret follows a repository.
 */
export function secretScope(
  ctx: Pick<Context, 'env' | 'cwd'>,
  reference: string | undefined,
): string | undefined {
  if (reference === undefined) return undefined;
  const ref = parseReference(reference, ctx.env, ctx.cwd);
  if (ref.kind === 'local') {
    throw new UsageError(`--repo takes a repository, not a local folder (${ref.display}).`, {
      hint: 'Name it as `devc up` would clone it, e.g. --repo acme/shop or --repo https://host/acme/shop.git.',
    });
  }
  return ref.url;
}

/** The keychain account of a secret: `secret/<repository or *>/<NAME>`. */
export function secretAccount(name: string, repository: string | undefined): string {
  return `secret/${repository ?? ALL}/${name}`;
}

/** The secret an account holds, or undefined for other accounts (the token). */
export function secretOf(account: string): SecretEntry | undefined {
  const match = /^secret\/(.+)\/([A-Za-z_][A-Za-z0-9_]*)$/.exec(account);
  if (!match) return undefined;
  const [, scope = ALL, name = ''] = match;
  return { name, repository: scope === ALL ? undefined : scope };
}

/** Every stored secret (names and scopes), for every repository first, then by repository and name. */
export async function listSecrets(ctx: Pick<Context, 'keychain'>): Promise<SecretEntry[]> {
  const accounts = await (await ctx.keychain()).accounts();
  return accounts
    .map(secretOf)
    .filter((s): s is SecretEntry => s !== undefined)
    .sort(
      (a, b) =>
        Number(a.repository !== undefined) - Number(b.repository !== undefined) ||
        (a.repository ?? '').localeCompare(b.repository ?? '') ||
        a.name.localeCompare(b.name),
    );
}

/**
 * The secrets a workspace of `repositoryUrl` gets: those for every repository, overlaid by the
 * repository's own. `repositoryUrl` as the workspace's `dev.devc.repository` label holds it.
 */
export async function storedSecrets(
  ctx: Context,
  repositoryUrl: string | undefined,
): Promise<Record<string, string>> {
  if (ctx.hostCredentials === false) return {};
  const keychain = await ctx.keychain();
  const wanted = (await listSecrets(ctx)).filter(
    (s) => s.repository === undefined || s.repository === repositoryUrl,
  );
  const out: Record<string, string> = {};
  // Every-repository secrets come first in the list, so the repository's own overwrite them.
  for (const secret of wanted) {
    const found = await keychain.get(secretAccount(secret.name, secret.repository));
    if (found) out[secret.name] = found.value;
  }
  return out;
}
