import { run } from '../process.js';

/** The user's git identity for commits made in the workspace: GIT_* variables, else their git config. */
export async function gitIdentity(env: NodeJS.ProcessEnv): Promise<Record<string, string>> {
  const fromConfig = async (key: string): Promise<string | undefined> => {
    const result = await run('git', ['config', '--global', key]);
    return result.exitCode === 0 && result.stdout.trim() ? result.stdout.trim() : undefined;
  };
  const identity: Record<string, string> = {};
  const [name, email] = await Promise.all([
    env.GIT_USER_NAME ?? env.GIT_AUTHOR_NAME ?? fromConfig('user.name'),
    env.GIT_USER_EMAIL ?? env.GIT_AUTHOR_EMAIL ?? fromConfig('user.email'),
  ]);
  if (name) identity.GIT_USER_NAME = name;
  if (email) identity.GIT_USER_EMAIL = email;
  return identity;
}
