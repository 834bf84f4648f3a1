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
    .option(
      '-A, --forward-agent',
      'forward your ssh-agent: code in the workspace can then use your keys while you are connected',
    )
    .option('--stdio', "ProxyCommand mode: join stdin/stdout to the workspace's sshd (see `devc config-ssh`)")
    .argument('[command...]', 'command to run instead of a shell (after --); with --stdio: NAME or NAME.devc')
    .passThroughOptions()
    .addHelpText(
      'after',
      examples(
        'devc ssh',
        'devc ssh -w shop -- make test',
        "devc ssh -- sh -c 'exit 3'; echo $?   # prints 3",
        'devc ssh -A -- git push   # with your own ssh key, which never leaves your machine',
        "devc ssh -A -- git commit -S -m 'signed with the forwarded key'",
        'ssh -o ProxyCommand="devc ssh --stdio %h" shop.devc   # what `devc config-ssh` sets up',
      ),
    )
    .addHelpText(
      'after',
      `
-A lends the workspace your ssh-agent for this session only: anything running there (including the
repository's own scripts) can sign with your keys until you disconnect, though it can never read them.
Use it with repositories you trust. For \`ssh NAME.devc\` and editors: \`devc config-ssh --forward-agent\`.`,
    )
    .action(
      async (command: string[], opts: { workspace?: string; stdio?: boolean; forwardAgent?: boolean }) => {
        if (opts.stdio) {
          if (opts.forwardAgent)
            throw new UsageError(
              '-A has no effect with --stdio: the ssh that runs it forwards the agent (ForwardAgent, or `devc config-ssh --forward-agent`).',
            );
          if (command.length > 1)
            throw new UsageError('--stdio takes one workspace name (NAME or NAME.devc), no command.');
          const { sshStdio } = await import('../transport/ssh-stdio.js');
          await sshStdio(ctx, command[0] ?? opts.workspace);
          return;
        }
        const { sshInto } = await import('../services/ssh.js');
        const code = await sshInto(ctx, opts.workspace, command, {
          forwardAgent: Boolean(opts.forwardAgent),
        });
        if (code !== 0) throw new PassthroughExit(code);
      },
    );
}
