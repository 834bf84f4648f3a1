import type { Command } from 'commander';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import { parsePortPair } from '../ports/config.js';
import type { PortStatus } from '../ports/files.js';
import { table } from '../ui/table.js';
import { examples } from './help.js';
import { workspaceOption } from './options.js';

export function registerPorts(program: Command, ctx: Context): void {
  const ports = program
    .command('ports')
    .description('forwarded ports: what is on localhost, with labels from portsAttributes')
    .addOption(workspaceOption())
    .option('--json', 'print the ports as JSON')
    .addHelpText(
      'after',
      examples(
        'devc ports',
        'devc ports forward 3000            # localhost:3000, or a free port if it is taken',
        "devc ports forward 5432:15432      # the workspace's 5432 on localhost:15432",
        'devc ports stop 3000',
        'devc ports --json | jq -r ".[] | .url"',
      ),
    )
    .action(async (opts: { workspace?: string; json?: boolean }) => {
      const { listPorts } = await import('../services/ports.js');
      const list = await listPorts(ctx, opts.workspace);
      if (opts.json) {
        ctx.io.json(list.ports.map(portJson));
        return;
      }
      if (!list.forwarding) {
        ctx.io.err(`Nothing is forwarded: workspace ${list.workspace} is not running.`);
        ctx.io.err(`Start it with \`devc up\`; its ports come back by themselves.`);
        return;
      }
      if (list.ports.length === 0) {
        ctx.io.err(
          `No ports forwarded for ${list.workspace} yet. Forward one with \`devc ports forward PORT\`.`,
        );
        return;
      }
      ctx.io.out(
        table([['REMOTE', 'LOCAL', 'LABEL', 'STATE', 'URL'], ...list.ports.map((p) => row(ctx, p))]),
      );
      for (const p of list.ports) if (p.message) ctx.io.err(`${p.remote}: ${p.message}`);
    });

  ports
    .command('forward')
    .description('forward ports of the workspace to localhost (kept across restarts)')
    .argument('<ports...>', 'REMOTE or REMOTE:LOCAL')
    .addOption(workspaceOption())
    .option('--json', 'print the forwarded ports as JSON')
    .action(async (specs: string[], opts: { workspace?: string; json?: boolean }) => {
      const pairs = specs.map((spec) => {
        const pair = parsePortPair(spec);
        if (!pair)
          throw new UsageError(`"${spec}" is not REMOTE or REMOTE:LOCAL.`, {
            hint: 'e.g. devc ports forward 3000:3001',
          });
        return pair;
      });
      const { forwardPorts } = await import('../services/ports.js');
      const result = await forwardPorts(ctx, opts.workspace, pairs);
      if (opts.json) {
        ctx.io.json(result.ports.map(portJson));
        return;
      }
      for (const p of result.ports) {
        ctx.io.out(p.url ?? '');
        if (p.message) ctx.io.warn(`Port ${p.remote}: ${p.message}.`);
        ctx.io.success(`Forwarded ${p.remote} → 127.0.0.1:${p.local}${p.label ? ` (${p.label})` : ''}`);
      }
    });

  ports
    .command('stop')
    .description('stop forwarding some ports, or all of them')
    .argument('[ports...]', 'remote ports (default: all, and the forwarder ends)')
    .addOption(workspaceOption())
    .action(async (specs: string[], opts: { workspace?: string }) => {
      const numbers = specs.map((s) => {
        if (!/^\d+$/.test(s)) throw new UsageError(`"${s}" is not a port number.`);
        return Number(s);
      });
      const { stopPorts } = await import('../services/ports.js');
      const result = await stopPorts(ctx, opts.workspace, numbers);
      if (result.stopped === 'all') ctx.io.success(`Stopped forwarding ports of ${result.workspace}`);
      else ctx.io.success(`Stopped forwarding ${result.stopped.join(', ')}`);
    });
}

/** The stable JSON shape of one port in `ports --json` (and `up --json`'s `ports`). */
export function portJson(p: PortStatus): Record<string, unknown> {
  return {
    remote: p.remote,
    local: p.local,
    label: p.label,
    state: p.state,
    source: p.source,
    listening: p.listening,
    url: p.url,
    message: p.message,
  };
}

function row(ctx: Context, p: PortStatus): string[] {
  const state =
    p.state === 'failed'
      ? ctx.io.paint('red', 'failed')
      : p.listening
        ? ctx.io.paint('green', 'forwarded')
        : ctx.io.paint('yellow', 'waiting');
  return [String(p.remote), p.local === null ? '-' : String(p.local), p.label ?? '', state, p.url ?? ''];
}
