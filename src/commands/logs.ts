import { Option, type Command } from 'commander';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import { examples } from './help.js';
import { workspaceOption } from './options.js';

export function registerLogs(program: Command, ctx: Context): void {
  program
    .command('logs')
    .description("a workspace's container output, or its build and lifecycle-hook log")
    .addOption(workspaceOption())
    .option('-f, --follow', 'keep printing new lines until Ctrl-C')
    .option('--build', 'the image build and lifecycle-hook log instead of the container output')
    .addOption(new Option('--tail <lines>', 'only the last N lines').argParser(parseLines))
    .addHelpText('after', examples('devc logs -f', 'devc logs -w shop --build --tail 50'))
    .action(async (opts: { workspace?: string; follow?: boolean; build?: boolean; tail?: number }) => {
      const { selectWorkspace } = await import('../services/select.js');
      const logs = await import('../services/logs.js');
      const options = { follow: Boolean(opts.follow), tail: opts.tail };
      if (opts.build) {
        // A failed `up` leaves a build log but no workspace: -w NAME still reads it.
        const name = opts.workspace ?? (await selectWorkspace(ctx, undefined)).workspace.name;
        await logs.buildLog(ctx, name, options);
        return;
      }
      await logs.containerLogs(ctx, await selectWorkspace(ctx, opts.workspace), options);
    });
}

function parseLines(value: string): number {
  if (!/^\d+$/.test(value))
    throw new UsageError(`--tail takes a number of lines, not "${value}".`, { hint: 'e.g. --tail 100' });
  return Number(value);
}
