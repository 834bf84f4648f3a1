import type { Command } from 'commander';
import type { Context } from '../context.js';
import type { WorkspaceView } from '../services/view.js';
import { formatAge, formatBytes, formatDuration } from '../ui/format.js';
import { table } from '../ui/table.js';
import { examples } from './help.js';
import { workspaceOption } from './options.js';

export function registerView(program: Command, ctx: Context): void {
  program
    .command('view')
    .description('show one workspace in detail: state and why, repository, activity, idle stop, disk')
    .addOption(workspaceOption())
    .option('--json', 'print it as JSON')
    .addHelpText('after', examples('devc view', 'devc view -w shop --json | jq .idleSecondsLeft'))
    .action(async (opts: { workspace?: string; json?: boolean }) => {
      const { selectWorkspace } = await import('../services/select.js');
      const { viewWorkspace } = await import('../services/view.js');
      const { ownershipCheck } = await import('../services/ownership.js');
      // Reading another DEVC_HOME's workspace is fine; the view says whose it is.
      const selected = await selectWorkspace(ctx, opts.workspace, { missing: true });
      const [view, mine] = await Promise.all([
        viewWorkspace(ctx, selected),
        ownershipCheck(ctx).then((check) => check(selected.workspace)),
      ]);
      if (opts.json) ctx.io.json(viewJson(view, mine));
      else ctx.io.out(renderView(view, Date.now(), mine));
    });
}

/** The stable JSON shape of `view --json`; `mine`: this DEVC_HOME made it. */
export function viewJson(v: WorkspaceView, mine = true): Record<string, unknown> {
  const w = v.workspace;
  return {
    name: w.name,
    backend: w.backend,
    state: w.state,
    stateReason: v.stateReason,
    stoppedBy: v.stopCause ?? null,
    repository: { url: w.repository.url, branch: v.branch ?? null, commit: v.commit ?? null },
    image: w.image,
    imageSource: w.imageSource ?? null,
    variant: w.variant ?? null,
    folder: w.folder,
    createdAt: w.createdAt,
    startedAt: w.startedAt ?? null,
    stoppedAt: w.stoppedAt ?? null,
    lastUsedAt: v.lastUsedAt ?? null,
    idleTimeoutSeconds: v.idleTimeoutSeconds ?? null,
    idleSecondsLeft: v.idleSecondsLeft ?? null,
    activeConnections: v.activeConnections ?? null,
    ports: v.ports,
    disk: { sourceBytes: v.sourceBytes ?? null, homeBytes: v.homeBytes ?? null },
    owner: w.owner ?? null,
    mine,
  };
}

/** How the image line says where the image came from. */
const IMAGE_SOURCE = { prebuild: ' (from a prebuild)', built: ' (built for it)', image: '' } as const;

/** The text form: a title line, then aligned fields. */
export function renderView(v: WorkspaceView, now = Date.now(), mine = true): string {
  const w = v.workspace;
  const when = (iso: string | undefined): string => (iso ? formatAge(iso, now) : '-');
  const rows: string[][] = [
    ['state', v.stateReason.startsWith(w.state) ? v.stateReason : `${w.state} (${v.stateReason})`],
    ['repository', w.repository.url],
    ['branch', `${v.branch ?? '-'}${v.commit ? ` @ ${v.commit.slice(0, 12)}` : ''}`],
    [
      'image',
      `${w.image}${w.variant ? ` (variant ${w.variant})` : ''}${IMAGE_SOURCE[w.imageSource ?? 'image']}`,
    ],
    ['folder', w.folder],
    ['created', when(w.createdAt)],
    ['last used', `${when(v.lastUsedAt)}${v.activeConnections ? ` (${v.activeConnections} open now)` : ''}`],
    ['idle stop', idleText(v)],
    ['ports', v.ports.length ? v.ports.map((p) => `${p.remote}→${p.local}`).join(', ') : 'none forwarded'],
    ['disk', `source ${bytes(v.sourceBytes)}, home ${bytes(v.homeBytes)}`],
    ['owner', mine ? 'you' : `${w.owner ?? 'unknown'} (made by another devc home)`],
  ];
  return `${w.name}\n${table(rows.map(([k = '', val = '']) => [`  ${k}`, val]))}`;
}

function idleText(v: WorkspaceView): string {
  if (v.idleTimeoutSeconds === undefined) return 'unknown';
  if (v.idleTimeoutSeconds === 0) return 'never';
  const after = `after ${formatDuration(v.idleTimeoutSeconds)} without SSH or editor use`;
  return v.idleSecondsLeft === undefined ? after : `${after}; ${formatDuration(v.idleSecondsLeft, 2)} left`;
}

function bytes(n: number | undefined): string {
  return n === undefined ? 'unknown' : formatBytes(n);
}
