import type { Command } from 'commander';
import type { Context } from '../context.js';
import { examples } from './help.js';
import { workspaceOption } from './options.js';

export function registerStop(program: Command, ctx: Context): void {
  program
    .command('stop')
    .description('stop a workspace; its source, home and /shared stay for `devc start` or `devc up`')
    .addOption(workspaceOption())
    .option('-f, --force', "stop another devc home's workspace")
    .addHelpText('after', examples('devc stop', 'devc stop -w shop'))
    .action(async (opts: { workspace?: string; force?: boolean }) => {
      const { selectWorkspace } = await import('../services/select.js');
      const { stopWorkspace } = await import('../services/lifecycle.js');
      const selected = await selectWorkspace(ctx, opts.workspace, {
        change: 'stop',
        force: Boolean(opts.force),
      });
      const stopped = await stopWorkspace(ctx, selected);
      const name = selected.workspace.name;
      if (stopped) ctx.io.success(`Stopped workspace ${name}`);
      else ctx.io.err(`Workspace ${name} is already ${selected.workspace.state}.`);
    });
}
