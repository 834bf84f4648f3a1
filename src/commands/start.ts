import type { Command } from 'commander';
import type { Context } from '../context.js';
import { examples } from './help.js';
import { workspaceOption } from './options.js';

export function registerStart(program: Command, ctx: Context): void {
  program
    .command('start')
    .description('start a stopped workspace and wait until it answers')
    .addOption(workspaceOption())
    .addHelpText('after', examples('devc start', 'devc start -w shop && devc ssh -w shop'))
    .action(async (opts: { workspace?: string }) => {
      const { selectWorkspace } = await import('../services/select.js');
      const { startWorkspace } = await import('../services/lifecycle.js');
      const { createProgress } = await import('../ui/progress.js');
      const selected = await selectWorkspace(ctx, opts.workspace);
      const name = selected.workspace.name;
      if (selected.workspace.state === 'running') {
        await startWorkspace(ctx, selected);
        ctx.io.err(`Workspace ${name} is already running.`);
        return;
      }
      await createProgress(ctx.io).phase(`Starting workspace ${name}`, `Started workspace ${name}`, () =>
        startWorkspace(ctx, selected),
      );
    });
}
