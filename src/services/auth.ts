import type { Context } from '../context.js';
import { AuthError, UsageError } from '../errors.js';
import type { StoreKind } from '../credentials/keychain.js';
import { describeSource, resolveToken, TOKEN_ACCOUNT, type TokenSource } from '../credentials/token.js';

export interface AuthStatus {
  loggedIn: boolean;
  source: TokenSource | null;
  /** In words, for people. */
  from: string | null;
  /** Whether `devc auth login` stored a token (it may be shadowed by a variable). */
  stored: StoreKind | null;
}

/** Stores the token; says where it went. */
export async function login(ctx: Context, token: string): Promise<StoreKind> {
  const value = token.trim();
  if (value === '' || /\s/.test(value)) {
    throw new UsageError('That is not a token: it is empty or has spaces or line breaks in it.', {
      hint: 'Pass one token, e.g. `gh auth token | devc auth login --with-token`.',
    });
  }
  return (await ctx.keychain()).set(TOKEN_ACCOUNT, value);
}

/** Which token devc would use and where it comes from; never the token. */
export async function authStatus(ctx: Context): Promise<AuthStatus> {
  const keychain = await ctx.keychain();
  const [resolved, stored] = await Promise.all([resolveToken(ctx), keychain.get(TOKEN_ACCOUNT)]);
  return {
    loggedIn: resolved !== undefined,
    source: resolved?.source ?? null,
    from: resolved ? describeSource(resolved.source, keychain.fallbackFile) : null,
    stored: stored?.store ?? null,
  };
}

/** Removes the stored token; false when there was none. */
export async function logout(ctx: Context): Promise<boolean> {
  return (await ctx.keychain()).delete(TOKEN_ACCOUNT);
}

/** The token devc would use, or an auth error (exit 4) saying how to give one. */
export async function currentToken(ctx: Context): Promise<string> {
  const resolved = await resolveToken(ctx);
  return resolved ? resolved.token : notLoggedIn();
}

/** The auth error (exit 4) for no token anywhere, with the ways to give one. */
export function notLoggedIn(): never {
  throw new AuthError('No token: not logged in.', {
    hint: 'Run `devc auth login` (or set GITHUB_TOKEN, or log in with `gh auth login`).',
  });
}
