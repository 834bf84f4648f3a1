import type { Command } from 'commander';
import type { Context } from '../context.js';
import { PassthroughExit, UsageError } from '../errors.js';
import { examples } from './help.js';
import { workspaceOption } from './options.js';

export function registerExec(program: Command, ctx: Context): void {
  program
    .command('exec')
    .description('run a command in a workspace through the engine (no SSH), for scripts and CI')
    .addOption(workspaceOption())
    .argument('<command...>', 'the command to run (after --)')
    .passThroughOptions()
    .addHelpText('after', examples('devc exec -- npm test', 'devc exec -w shop -- id -u'))
    .action(async (command: string[], opts: { workspace?: string }) => {
      if (command.length === 0)
        throw new UsageError('Say what to run after --.', { hint: 'e.g. devc exec -- npm test' });
      const { ensureRunning, selectWorkspace } = await import('../services/select.js');
      const selected = await selectWorkspace(ctx, opts.workspace);
      const workspace = await ensureRunning(ctx, selected);
      const tty = Boolean(ctx.io.stdin.isTTY) && Boolean(ctx.io.stdout.isTTY);
      const { withSecrets } = await import('../devcontainer/secret-hooks.js');
      // The workspace's secrets, sourced inside it: never in `docker exec`'s environment or argv.
      const code = await selected.backend.execInteractive(workspace.name, withSecrets(command), {
        user: workspace.user,
        tty,
        stdin: true,
        workdir: workspace.folder,
      });
      if (code !== 0) throw new PassthroughExit(code);
    });
}
