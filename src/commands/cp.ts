import type { Command } from 'commander';
import type { Context } from '../context.js';
import { examples } from './help.js';
import { workspaceOption } from './options.js';

export function registerCp(program: Command, ctx: Context): void {
  program
    .command('cp')
    .description(
      'copy files and folders between this machine and a workspace (NAME:path is the workspace side)',
    )
    .argument('<source>', 'a local path, or NAME:path / :path in the workspace')
    .argument('<destination>', 'a local path, or NAME:path / :path in the workspace')
    .addOption(workspaceOption("the workspace for :path (default: the only one, or this directory's)"))
    .option('-r, --recursive', 'copy folders')
    .addHelpText(
      'after',
      `
Workspace paths are relative to the workspace folder (/workspaces/REPO); ~ is the user's home.
Modes are kept; what lands in the workspace belongs to its user.
${examples(
  'devc cp ./notes.md shop:notes.md',
  'devc cp -r shop:dist ./dist',
  'devc cp -w shop -r ./fixtures :test/fixtures',
  'devc cp shop:~/.bash_history ./history',
)}`,
    )
    .action(
      async (source: string, destination: string, opts: { workspace?: string; recursive?: boolean }) => {
        const { copy } = await import('../services/cp.js');
        const result = await copy(ctx, {
          source,
          destination,
          workspace: opts.workspace,
          recursive: Boolean(opts.recursive),
        });
        const where =
          result.direction === 'upload' ? `${result.workspace}:${result.written}` : result.written;
        ctx.io.success(`Copied ${source} to ${where}`);
      },
    );
}
