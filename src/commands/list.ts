import type { Command } from 'commander';
import type { Context } from '../context.js';
import type { Workspace } from '../workspace/model.js';
import { workspaceJson } from '../workspace/json.js';
import { formatAge, formatDuration, stateColor } from '../ui/format.js';
import { table } from '../ui/table.js';
import { examples } from './help.js';

export function registerList(program: Command, ctx: Context): void {
  program
    .command('list')
    .alias('ls')
    .description('list workspaces')
    .option('--json', 'print the list as JSON')
    .addHelpText('after', examples('devc list', 'devc ls --json | jq -r ".[].name"'))
    .action(async (opts: { json?: boolean }) => {
      const { listForUser } = await import('../services/list.js');
      const listed = await listForUser(ctx, (message) => ctx.io.warn(message));
      if (opts.json) {
        ctx.io.json(listed.map(({ workspace, mine }) => workspaceJson(workspace, mine)));
        return;
      }
      if (listed.length === 0) {
        ctx.io.err('No workspaces yet. Create one with `devc up REPO`.');
        return;
      }
      // Only on an engine shared with another DEVC_HOME (a second user, a CI job) does whose matter.
      const shared = listed.some(({ mine }) => !mine);
      const rows = listed.map(({ workspace: w, mine }) => [
        w.name,
        ctx.io.paint(stateColor(w.state), w.state),
        w.repository.url,
        w.repository.branch ?? '',
        w.backend,
        idleColumn(w.idleTimeoutSeconds),
        formatAge(w.createdAt),
        ...(shared ? [ownerColumn(w, mine)] : []),
      ]);
      const titles = ['NAME', 'STATE', 'REPOSITORY', 'BRANCH', 'BACKEND', 'IDLE', 'CREATED'];
      ctx.io.out(table([[...titles, ...(shared ? ['OWNER'] : [])], ...rows]));
      for (const { workspace: w } of listed)
        if (w.state === 'missing' && w.stateReason) ctx.io.err(`${w.name} is missing: ${w.stateReason}.`);
    });
}

/** Whose a workspace is: "you", or its owner label and that another DEVC_HOME made it. */
function ownerColumn(w: Workspace, mine: boolean): string {
  return mine ? 'you' : `${w.owner ?? 'unknown'} (another devc home)`;
}

/** The idle timeout as the IDLE column shows it: "30m", "never", or "-" when unknown. */
function idleColumn(seconds: number | undefined): string {
  if (seconds === undefined) return '-';
  return seconds === 0 ? 'never' : formatDuration(seconds);
}
