import type { Command } from 'commander';
import type { Context } from '../context.js';
import type { Workspace } from '../workspace/model.js';
import { age, table } from '../ui/table.js';
import { formatDuration } from '../workspace/duration.js';
import { examples } from './index.js';

export function registerList(program: Command, ctx: Context): void {
  program
    .command('list')
    .alias('ls')
    .description('list workspaces')
    .option('--json', 'print the list as JSON')
    .addHelpText('after', examples('devc list', 'devc ls --json | jq -r ".[].name"'))
    .action(async (opts: { json?: boolean }) => {
      const { listWorkspaces } = await import('../services/list.js');
      const workspaces = await listWorkspaces(ctx);
      if (opts.json) {
        ctx.io.json(workspaces.map(workspaceJson));
        return;
      }
      if (workspaces.length === 0) {
        ctx.io.err('No workspaces yet. Create one with `devc up REPO`.');
        return;
      }
      const rows = workspaces.map((w) => [
        w.name,
        paintState(ctx, w.state),
        w.repository.url,
        w.repository.branch ?? '',
        w.backend,
        idleColumn(w.idleTimeoutSeconds),
        age(w.createdAt),
      ]);
      ctx.io.out(table([['NAME', 'STATE', 'REPOSITORY', 'BRANCH', 'BACKEND', 'IDLE', 'CREATED'], ...rows]));
    });
}

/** The stable JSON shape of one workspace in `list --json`. */
export function workspaceJson(w: Workspace): Record<string, unknown> {
  return {
    name: w.name,
    backend: w.backend,
    state: w.state,
    stateReason: w.stateReason ?? null,
    repository: { url: w.repository.url, branch: w.repository.branch ?? null },
    image: w.image,
    variant: w.variant ?? null,
    folder: w.folder,
    createdAt: w.createdAt,
    idleTimeoutSeconds: w.idleTimeoutSeconds ?? null,
  };
}

/** The idle timeout as the IDLE column shows it: "30m", "never", or "-" when unknown. */
function idleColumn(seconds: number | undefined): string {
  if (seconds === undefined) return '-';
  return seconds === 0 ? 'never' : formatDuration(seconds);
}

function paintState(ctx: Context, state: Workspace['state']): string {
  const color =
    state === 'running' ? 'green' : state === 'stopped' ? 'gray' : state === 'starting' ? 'yellow' : 'red';
  return ctx.io.paint(color, state);
}
