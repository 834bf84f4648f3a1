import type { Command } from 'commander';
import type { Context } from '../context.js';
import { examples } from './index.js';

export function registerDelete(program: Command, ctx: Context): void {
  program
    .command('delete')
    .alias('rm')
    .description('delete a workspace: its container, volumes and clone')
    .option('-w, --workspace <name>', "the workspace (default: the only one, or this directory's)")
    .option('-f, --force', 'delete even with uncommitted or unpushed work')
    .addHelpText(
      'after',
      examples('devc delete -w shop', 'devc delete -w shop --force   # drops unpushed work'),
    )
    .action(async (opts: { workspace?: string; force?: boolean }) => {
      const { selectWorkspace } = await import('../services/select.js');
      const { deleteWorkspace } = await import('../services/delete.js');
      const selected = await selectWorkspace(ctx, opts.workspace);
      await deleteWorkspace(ctx, selected, Boolean(opts.force));
      ctx.io.success(`Deleted workspace ${selected.workspace.name}`);
    });
}
