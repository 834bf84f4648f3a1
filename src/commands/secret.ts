import type { Command } from 'commander';
import type { Context } from '../context.js';
import { examples } from './help.js';

export function registerSecret(program: Command, ctx: Context): void {
  const secret = program
    .command('secret')
    .description("secrets every workspace (or one repository's) gets as environment variables")
    .addHelpText(
      'after',
      `
Values are kept in the OS keychain (without one, a 0600 file in DEVC_HOME, after a warning) and
read from standard input or a hidden prompt, never from the command line. A workspace gets the
secrets for every repository and its repository's own (which win on the same name) when it starts.
Names are environment variable names (letters, digits, _), not starting with DEVC_ or GITHUB_.
${examples('devc secret set NPM_TOKEN', 'devc secret set DB_PASSWORD --repo acme/shop < password.txt', 'devc secret list --repo acme/shop', 'devc secret delete NPM_TOKEN')}`,
    );

  secret
    .command('set')
    .description('store a secret (its value from standard input, or typed at a hidden prompt)')
    .argument('<name>', 'the environment variable name, e.g. NPM_TOKEN')
    .option('--repo <ref>', "only for this repository's workspaces (e.g. acme/shop)")
    .action(async (name: string, opts: { repo?: string }) => {
      const { checkSecretName, secretScope } = await import('../credentials/secrets.js');
      checkSecretName(name);
      const repository = secretScope(ctx, opts.repo);
      const { readSecretValue } = await import('../ui/secret-input.js');
      const value = await readSecretValue(ctx.io, `Value of ${name}:`, ctx.signal);
      const { setSecret } = await import('../services/secret.js');
      const store = await setSecret(ctx, name, repository, value);
      const where = store === 'keychain' ? 'the OS keychain' : 'the fallback file';
      ctx.io.success(`Stored ${name} for ${repository ?? 'every repository'} in ${where}.`);
    });

  secret
    .command('list')
    .description('the stored secrets: names and scopes, never values')
    .option('--repo <ref>', "the ones this repository's workspaces get")
    .option('--json', 'print the result as JSON')
    .action(async (opts: { repo?: string; json?: boolean }) => {
      const { secretScope } = await import('../credentials/secrets.js');
      const { secretsFor } = await import('../services/secret.js');
      const secrets = await secretsFor(ctx, secretScope(ctx, opts.repo));
      if (opts.json) {
        ctx.io.json(secrets.map((s) => ({ name: s.name, repository: s.repository ?? null })));
        return;
      }
      if (secrets.length === 0) {
        ctx.io.err('No secrets. Store one with `devc secret set NAME`.');
        return;
      }
      const { table } = await import('../ui/table.js');
      const rows = secrets.map((s) => [s.name, s.repository ?? '(every repository)']);
      ctx.io.out(table([['NAME', 'REPOSITORY'], ...rows]));
    });

  secret
    .command('delete')
    .alias('rm')
    .description('remove a secret')
    .argument('<name>', 'its name')
    .option('--repo <ref>', 'the repository it was stored for')
    .action(async (name: string, opts: { repo?: string }) => {
      const { secretScope } = await import('../credentials/secrets.js');
      const { deleteSecret } = await import('../services/secret.js');
      const repository = secretScope(ctx, opts.repo);
      await deleteSecret(ctx, name, repository);
      ctx.io.success(`Deleted ${name} for ${repository ?? 'every repository'}.`);
    });
}
