import type { Context } from '../context.js';
import { run } from '../process.js';

/** The keychain account of the token `devc auth login` stored. */
export const TOKEN_ACCOUNT = 'github-token';

/** Where the token in use came from (`auth status` says this, never the token). */
export type TokenSource = 'GITHUB_TOKEN' | 'GH_TOKEN' | 'keychain' | 'file' | 'gh';

export interface ResolvedToken {
  token: string;
  source: TokenSource;
}

/**
 * The one way devc finds the user's token: GITHUB_TOKEN, then GH_TOKEN, then what `devc auth login`
 * stored (the OS keychain, else the declared fallback file), then `gh auth token` when gh is installed
 * and logged in. Undefined when none has one.
 */
export async function resolveToken(
  ctx: Pick<Context, 'env' | 'keychain' | 'hostCredentials'>,
): Promise<ResolvedToken | undefined> {
  if (ctx.hostCredentials === false) return undefined;
  for (const name of ['GITHUB_TOKEN', 'GH_TOKEN'] as const) {
    const value = ctx.env[name]?.trim();
    if (value) return { token: value, source: name };
  }
  const stored = await (await ctx.keychain()).get(TOKEN_ACCOUNT);
  if (stored) return { token: stored.value, source: stored.store };
  const fromGh = await ghToken(ctx.env);
  return fromGh ? { token: fromGh, source: 'gh' } : undefined;
}

/** `gh auth token`, when gh is on PATH and logged in; undefined otherwise (no gh is no error). */
async function ghToken(env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const result = await run('gh', ['auth', 'token'], { env: { ...env, GH_PROMPT_DISABLED: '1' } });
  const token = result.stdout.trim();
  return result.exitCode === 0 && token && !/\s/.test(token) ? token : undefined;
}

/** How `auth status` names a source. */
export function describeSource(source: TokenSource, fallbackFile: string): string {
  switch (source) {
    case 'GITHUB_TOKEN':
    case 'GH_TOKEN':
      return `the ${source} environment variable`;
    case 'keychain':
      return 'the OS keychain (devc auth login)';
    case 'file':
      return `${fallbackFile} (devc auth login, no OS keychain answered)`;
    case 'gh':
      return 'the GitHub CLI (gh auth token)';
    default: {
      const never: never = source;
      return String(never);
    }
  }
}
