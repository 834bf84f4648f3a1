import { Option, type Command } from 'commander';
import type { Context } from '../context.js';
import { examples } from './help.js';

export function registerDashboard(program: Command, ctx: Context): void {
  program
    .command('dashboard')
    .description('every workspace, live: keys to open a shell, stop, start, follow logs, delete')
    // One frame and exit: what a pipe gets anyway; the benchmark times the first frame with it.
    .addOption(new Option('--once', 'print one frame and exit').hideHelp())
    .addHelpText(
      'after',
      `
Keys: ↑↓/j k select · enter ssh · o code-server · p ports · l logs · s stop/start · r rebuild
      d delete · / filter · ? help · q quit
Without a terminal (a pipe, CI) it prints one frame and exits.
${examples('devc dashboard', 'devc dashboard | cat        # one frame, plain text')}`,
    )
    .action(async (opts: { once?: boolean }) => {
      // ink and React load here only, so other commands start fast.
      const { startDashboard } = await import('../ui/dashboard/start.js');
      await startDashboard(ctx, { once: Boolean(opts.once) });
    });
}
