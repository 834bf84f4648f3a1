import type { Command } from 'commander';
import type { Context } from '../context.js';
import { examples } from './help.js';

export function registerConfig(program: Command, ctx: Context): void {
  const config = program
    .command('config')
    .description('your defaults for up and the other commands (DEVC_HOME/config.json)')
    .addHelpText(
      'after',
      `
Keys: backend, registry, namespace, idleTimeout, ide, variant, dotfiles (\`devc config list\` shows
each with what it does). A flag wins over its DEVC_* variable, which wins over the config, which wins
over devc's default.
${examples('devc config set backend kubernetes', 'devc config set idleTimeout 2h', 'devc config get registry', 'devc config list --json', 'devc config unset ide')}`,
    );

  config
    .command('get')
    .description("print the value saved for a key (else devc's default; nothing when neither)")
    .argument('<key>', 'e.g. backend')
    .action(async (key: string) => {
      const { configValue } = await import('../services/config.js');
      const value = await configValue(ctx, key);
      if (value !== undefined) ctx.io.out(value);
    });

  config
    .command('set')
    .description('save a value for a key (checked first)')
    .argument('<key>', 'e.g. backend')
    .argument('<value>', 'e.g. kubernetes')
    .action(async (key: string, value: string) => {
      const { setConfig } = await import('../services/config.js');
      await setConfig(ctx, key, value);
      ctx.io.success(`Set ${key} to ${value}.`);
    });

  config
    .command('unset')
    .description("remove a saved value (devc's default applies again)")
    .argument('<key>', 'e.g. backend')
    .action(async (key: string) => {
      const { setConfig } = await import('../services/config.js');
      await setConfig(ctx, key, undefined);
      ctx.io.success(`Unset ${key}.`);
    });

  config
    .command('list')
    .description('every key: its saved value, its variable and what it does')
    .option('--json', 'print the saved values as JSON')
    .action(async (opts: { json?: boolean }) => {
      const { configList } = await import('../services/config.js');
      const rows = await configList(ctx);
      if (opts.json) {
        ctx.io.json(
          Object.fromEntries(rows.filter((r) => r.value !== undefined).map((r) => [r.key, r.value])),
        );
        return;
      }
      const { table } = await import('../ui/table.js');
      ctx.io.out(
        table([
          ['KEY', 'VALUE', 'VARIABLE', 'WHAT IT DOES'],
          ...rows.map((r) => [r.key, r.value ?? '-', r.env, r.description]),
        ]),
      );
    });
}
