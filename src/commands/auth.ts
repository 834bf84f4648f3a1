import type { Command } from 'commander';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import { examples } from './help.js';

export function registerAuth(program: Command, ctx: Context): void {
  const auth = program
    .command('auth')
    .description('keep your GitHub token in the OS keychain for cloning private repositories')
    .addHelpText(
      'after',
      `
The token devc uses: GITHUB_TOKEN, else GH_TOKEN, else the one \`devc auth login\` stored (the OS
keychain; without one, a 0600 file in DEVC_HOME, after a warning), else \`gh auth token\`.
${examples('devc auth login', 'gh auth token | devc auth login --with-token', 'devc auth status', 'devc auth logout')}`,
    );

  auth
    .command('login')
    .description('store a token: typed at a hidden prompt, or read from standard input with --with-token')
    .option('--with-token', 'read the token from standard input')
    .action(async (opts: { withToken?: boolean }) => {
      const { readSecretValue } = await import('../ui/secret-input.js');
      const { login } = await import('../services/auth.js');
      if (!opts.withToken && !ctx.io.stdin.isTTY) {
        throw new UsageError('No terminal to ask for the token at.', {
          hint: 'Pipe it in: `devc auth login --with-token < token.txt`.',
        });
      }
      const token = await readSecretValue(ctx.io, 'Paste your GitHub token:', ctx.signal);
      const store = await login(ctx, token);
      ctx.io.success(
        `Logged in: the token is in ${store === 'keychain' ? 'the OS keychain' : 'the fallback file'}.`,
      );
      const shadow = ['GITHUB_TOKEN', 'GH_TOKEN'].find((v) => ctx.env[v]);
      if (shadow) ctx.io.warn(`${shadow} is set and is used instead while it is.`);
    });

  auth
    .command('status')
    .description('say which token devc uses and where it comes from (never the token)')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { json?: boolean }) => {
      const { authStatus, notLoggedIn } = await import('../services/auth.js');
      const status = await authStatus(ctx);
      if (!status.loggedIn) notLoggedIn();
      if (opts.json) ctx.io.json(status);
      else ctx.io.out(`Logged in: the token comes from ${status.from}.`);
    });

  auth
    .command('logout')
    .description('remove the stored token')
    .action(async () => {
      const { logout } = await import('../services/auth.js');
      if (await logout(ctx)) ctx.io.success('Logged out: the stored token is removed.');
      else ctx.io.err('No token was stored.');
      const shadow = ['GITHUB_TOKEN', 'GH_TOKEN'].find((v) => ctx.env[v]);
      if (shadow) ctx.io.warn(`${shadow} is still set: devc uses it.`);
    });

  auth
    .command('token')
    .description('print the token devc uses (for scripts: `git clone` with it, or another tool)')
    .action(async () => {
      const { currentToken } = await import('../services/auth.js');
      ctx.io.out(await currentToken(ctx));
    });
}
