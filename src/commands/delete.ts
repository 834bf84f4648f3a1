import type { Command } from 'commander';
import type { Context } from '../context.js';
import { DevcError, UsageError } from '../errors.js';
import { parseDuration } from '../workspace/duration.js';
import { examples } from './help.js';
import { workspaceOption } from './options.js';

interface DeleteFlags {
  workspace?: string;
  force?: boolean;
  all?: boolean;
  olderThan?: string;
}

export function registerDelete(program: Command, ctx: Context): void {
  program
    .command('delete')
    .alias('rm')
    .description('delete a workspace: its container, volumes and clone')
    .addOption(workspaceOption())
    .option('-f, --force', "delete even with uncommitted or unpushed work, or another devc home's workspace")
    .option('--all', 'every workspace this devc made (each is still checked for unsaved work)')
    .option(
      '--older-than <duration>',
      'every workspace stopped longer ago than this, e.g. 7d (running ones stay)',
    )
    .addHelpText(
      'after',
      examples(
        'devc delete -w shop',
        'devc delete -w shop --force   # drops unpushed work',
        'devc delete --older-than 14d  # cleanup; keeps any with unsaved work',
        'devc delete --all',
      ),
    )
    .action(async (opts: DeleteFlags) => {
      const force = Boolean(opts.force);
      if (opts.all || opts.olderThan !== undefined) {
        await deleteMany(ctx, opts, force);
        return;
      }
      const { selectWorkspace } = await import('../services/select.js');
      const { deleteWorkspace } = await import('../services/delete.js');
      // One whose container is gone can be deleted too; deleteWorkspace checks whose it is.
      const selected = await selectWorkspace(ctx, opts.workspace, { missing: true });
      await deleteWorkspace(ctx, selected, force);
      ctx.io.success(`Deleted workspace ${selected.workspace.name}`);
    });
}

async function deleteMany(ctx: Context, opts: DeleteFlags, force: boolean): Promise<void> {
  if (opts.workspace !== undefined)
    throw new UsageError('-w names one workspace; --all and --older-than choose many.', {
      hint: 'Use one or the other.',
    });
  const olderThanSeconds = opts.olderThan !== undefined ? parseDuration(opts.olderThan) : undefined;
  const cleanup = await import('../services/cleanup.js');
  const result = await cleanup.deleteMany(ctx, { olderThanSeconds, force }, (name) =>
    ctx.io.success(`Deleted workspace ${name}`),
  );
  if (result.deleted.length === 0 && result.kept.length === 0) ctx.io.err('No workspace to delete.');
  if (result.kept.length === 0) return;
  const lines = result.kept.flatMap((k) => [
    `${k.name}: ${k.message}`,
    ...(k.details ?? '')
      .split('\n')
      .filter(Boolean)
      .map((l) => `  ${l}`),
  ]);
  throw new DevcError(`Kept ${result.kept.length} workspace(s) that can't be deleted safely.`, {
    hint: 'Commit and push it, or delete them one by one with `devc delete -w NAME --force`.',
    details: lines.join('\n'),
  });
}
