import type { Command } from 'commander';
import type { Context } from '../context.js';
import { PassthroughExit } from '../errors.js';
import { examples } from './index.js';

export function registerSsh(program: Command, ctx: Context): void {
  program
    .command('ssh')
    .description('open a shell in a workspace, or run a command there over SSH')
    .option('-w, --workspace <name>', "the workspace (default: the only one, or this directory's)")
    .argument('[command...]', 'command to run instead of a shell (after --)')
    .passThroughOptions()
    .addHelpText(
      'after',
      examples(
        'devc ssh',
        'devc ssh -w shop -- make test',
        "devc ssh -- sh -c 'exit 3'; echo $?   # prints 3",
      ),
    )
    .action(async (command: string[], opts: { workspace?: string }) => {
      const { sshInto } = await import('../services/ssh.js');
      const code = await sshInto(ctx, opts.workspace, command);
      if (code !== 0) throw new PassthroughExit(code);
    });
}
