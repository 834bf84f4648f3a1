import type { Command } from 'commander';
import type { Context } from '../context.js';
import { examples } from './help.js';

export function registerConfigSsh(program: Command, ctx: Context): void {
  program
    .command('config-ssh')
    .description('let ssh, scp, rsync and VS Code reach every workspace as NAME.devc')
    .option('--dry-run', 'show what would change, change nothing')
    .option('--remove', 'take devc out of ~/.ssh/config again')
    .option(
      '--forward-agent',
      'forward your ssh-agent to every NAME.devc (ssh, scp, editors); off by default',
    )
    .option('--no-forward-agent', 'stop forwarding it (without either flag, the current choice is kept)')
    .addHelpText(
      'after',
      `
Adds one line at the top of ~/.ssh/config, and nothing else there:
  Include <devc's folder>/ssh/config
That file holds one "Host *.devc" entry (ProxyCommand devc ssh --stdio %h, devc's key, pinned host
keys). A symlinked or read-only ~/.ssh/config is left alone: devc prints the line to add yourself.

--forward-agent adds "ForwardAgent yes" to that entry: every ssh session into a workspace, and every
editor that connects through it, lends the workspace your ssh-agent. Code running there (the
repository's own scripts too) can then sign with your keys while you are connected. Use it when you
trust the repositories you open; \`devc ssh -A\` forwards it for one session instead.
${examples('devc config-ssh', 'ssh shop.devc', 'rsync -a ./data/ shop.devc:/workspaces/shop/data/', 'devc config-ssh --forward-agent   # then: ssh shop.devc git push', 'devc config-ssh --remove')}`,
    )
    .action(async (opts: { dryRun?: boolean; remove?: boolean; forwardAgent?: boolean }) => {
      const { configSsh } = await import('../services/config-ssh.js');
      const result = await configSsh(ctx, {
        ...(opts.dryRun ? { dryRun: true } : {}),
        ...(opts.remove ? { remove: true } : {}),
        ...(opts.forwardAgent !== undefined ? { forwardAgent: opts.forwardAgent } : {}),
      });
      for (const action of result.actions) ctx.io.success(action);
      if (opts.forwardAgent && !opts.remove) {
        ctx.io.warn(
          'Workspaces reached as NAME.devc now get your ssh-agent: code running there can use your keys while you are connected.',
        );
        if (!ctx.env.SSH_AUTH_SOCK)
          ctx.io.warn(
            'No ssh-agent runs in this shell (SSH_AUTH_SOCK is not set): ssh forwards one once it does.',
          );
      }
      if (opts.dryRun && !opts.remove) {
        ctx.io.err(`\n${result.devcConfig}:`);
        ctx.io.out(result.devcConfigText.trimEnd());
      } else if (!opts.remove) {
        ctx.io.err('Now `ssh NAME.devc`, scp, rsync and VS Code Remote-SSH reach your workspaces.');
      }
    });
}
