import type { Command } from 'commander';
import type { Context } from '../context.js';
import { examples } from './help.js';

export function registerConfigSsh(program: Command, ctx: Context): void {
  program
    .command('config-ssh')
    .description('let ssh, scp, rsync and VS Code reach every workspace as NAME.devc')
    .option('--dry-run', 'show what would change, change nothing')
    .option('--remove', 'take devc out of ~/.ssh/config again')
    .addHelpText(
      'after',
      `
Adds one line at the top of ~/.ssh/config, and nothing else there:
  Include <devc's folder>/ssh/config
That file holds one "Host *.devc" entry (ProxyCommand devc ssh --stdio %h, devc's key, pinned host
keys). A symlinked or read-only ~/.ssh/config is left alone: devc prints the line to add yourself.
${examples('devc config-ssh', 'ssh shop.devc', 'rsync -a ./data/ shop.devc:/workspaces/shop/data/', 'devc config-ssh --remove')}`,
    )
    .action(async (opts: { dryRun?: boolean; remove?: boolean }) => {
      const { configSsh } = await import('../services/config-ssh.js');
      const result = await configSsh(ctx, {
        ...(opts.dryRun ? { dryRun: true } : {}),
        ...(opts.remove ? { remove: true } : {}),
      });
      for (const action of result.actions) ctx.io.success(action);
      if (opts.dryRun && !opts.remove) {
        ctx.io.err(`\n${result.devcConfig}:`);
        ctx.io.out(result.devcConfigText.trimEnd());
      } else if (!opts.remove) {
        ctx.io.err('Now `ssh NAME.devc`, scp, rsync and VS Code Remote-SSH reach your workspaces.');
      }
    });
}
