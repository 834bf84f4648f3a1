import type { Command } from 'commander';
import type { Context } from '../context.js';
import { PassthroughExit, UsageError } from '../errors.js';
import { examples } from './help.js';
import { workspaceOption } from './options.js';

export function registerSsh(program: Command, ctx: Context): void {
  program
    .command('ssh')
    .description('open a shell in a workspace, or run a command there over SSH')
    .addOption(workspaceOption())
    .option('--stdio', "ProxyCommand mode: join stdin/stdout to the workspace's sshd (see `devc config-ssh`)")
    .argument('[command...]', 'command to run instead of a shell (after --); with --stdio: NAME or NAME.devc')
    .passThroughOptions()
    .addHelpText(
      'after',
      examples(
        'devc ssh',
        'devc ssh -w shop -- make test',
        "devc ssh -- sh -c 'exit 3'; echo $?   # prints 3",
        'ssh -o ProxyCommand="devc ssh --stdio %h" shop.devc   # what `devc config-ssh` sets up',
      ),
    )
    .action(async (command: string[], opts: { workspace?: string; stdio?: boolean }) => {
      if (opts.stdio) {
        if (command.length > 1)
          throw new UsageError('--stdio takes one workspace name (NAME or NAME.devc), no command.');
        const { sshStdio } = await import('../transport/ssh-stdio.js');
        await sshStdio(ctx, command[0] ?? opts.workspace);
        return;
      }
      const { sshInto } = await import('../services/ssh.js');
      const code = await sshInto(ctx, opts.workspace, command);
      if (code !== 0) throw new PassthroughExit(code);
    });
}
