import type { Command } from 'commander';
import type { Context } from '../context.js';
import { examples } from './help.js';
import { workspaceOption } from './options.js';

export function registerRebuild(program: Command, ctx: Context): void {
  program
    .command('rebuild')
    .description('recreate a workspace from its current config, keeping its source and home')
    .addOption(workspaceOption())
    .option('--full', 'build the image without cache')
    .option('-f, --force', "rebuild another devc home's workspace")
    .option(
      '--trust',
      'run what the devcontainer.json asks of this machine (initializeCommand, host mounts, runArgs) without asking; also DEVC_TRUST=1',
    )
    .addHelpText('after', examples('devc rebuild', 'devc rebuild -w shop --full'))
    .action(async (opts: { workspace?: string; full?: boolean; trust?: boolean; force?: boolean }) => {
      const { selectWorkspace } = await import('../services/select.js');
      const { rebuild } = await import('../services/rebuild.js');
      const { createProgress } = await import('../ui/progress.js');
      const { trustFromEnv } = await import('../services/trust.js');
      const workspace = await rebuild(
        ctx,
        await selectWorkspace(ctx, opts.workspace, { change: 'rebuild', force: Boolean(opts.force) }),
        Boolean(opts.full),
        createProgress(ctx.io),
        { trust: Boolean(opts.trust) || trustFromEnv(ctx.env) },
      );
      ctx.io.out(workspace.name);
    });
}
