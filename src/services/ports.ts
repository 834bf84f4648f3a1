import type { Context } from '../context.js';
import { DevcError, UsageError } from '../errors.js';
import {
  attributesFor,
  emptyRequests,
  forwardPortNumber,
  validPort,
  type PortRequests,
  type PortsConfig,
} from '../ports/config.js';
import {
  portFiles,
  readPortsConfig,
  readRequests,
  writeJsonAtomic,
  type PortStatus,
} from '../ports/files.js';
import { withLock } from '../workspace/lock.js';
import { forwarderState, startForwarder, stopForwarder, waitForState } from './forwarder.js';
import { selectWorkspace, type Selected } from './select.js';

export interface PortsList {
  workspace: string;
  /** Whether the background forwarder runs. */
  forwarding: boolean;
  ports: PortStatus[];
}

/** The forwarded ports of a workspace; starts the forwarder again if the workspace runs without one. */
export async function listPorts(ctx: Context, name: string | undefined): Promise<PortsList> {
  const { workspace, backend } = await selectWorkspace(ctx, name);
  let state = await forwarderState(ctx, workspace.name);
  if (!state && workspace.state === 'running') {
    state = await startForwarder(ctx, workspace.name, backend.kind);
    if (state) ctx.io.err(`Started the port forwarder of ${workspace.name} again.`);
  }
  // Give a fresh forwarder a moment to see what listens before answering.
  if (state && state.workspaceState === 'unknown' && workspace.state === 'running')
    state = await waitForState(ctx, workspace.name, (s) => s.workspaceState !== 'unknown', 5000).catch(
      () => state,
    );
  return { workspace: workspace.name, forwarding: state !== null, ports: state?.ports ?? [] };
}

/** Forwards these ports (REMOTE with an optional LOCAL) and resolves to their rows once bound. */
export async function forwardPorts(
  ctx: Context,
  name: string | undefined,
  pairs: { remote: number; local?: number }[],
): Promise<{ workspace: string; ports: PortStatus[] }> {
  const selected = await selectWorkspace(ctx, name);
  let before = emptyRequests();
  const generation = await updateRequests(ctx, selected, (r) => {
    before = structuredClone(r);
    for (const pair of pairs) {
      r.forwards = r.forwards.filter((f) => f.remote !== pair.remote).concat(pair);
      r.stopped = r.stopped.filter((p) => p !== pair.remote);
    }
  });
  const ports = await applied(ctx, selected, generation);
  const rows = pairs.map((p) => ports.find((row) => row.remote === p.remote)).filter((r) => r !== undefined);
  const failed = rows.filter((r) => r.state === 'failed');
  if (failed.length > 0) {
    // A forward that fails leaves things as they were (e.g. the working forward it would replace).
    const undo = failed.map((r) => r.remote);
    const restored = await updateRequests(ctx, selected, (r) => {
      r.forwards = r.forwards
        .filter((f) => !undo.includes(f.remote))
        .concat(before.forwards.filter((f) => undo.includes(f.remote)));
      r.stopped = r.stopped
        .filter((p) => !undo.includes(p))
        .concat(before.stopped.filter((p) => undo.includes(p)));
    });
    await applied(ctx, selected, restored);
    const config = await readPortsConfig(portFiles(ctx.paths, selected.workspace.name));
    throw new DevcError(
      failed.map((r) => `Can't forward port ${r.remote}: ${r.message ?? 'failed'}.`).join('\n'),
      {
        hint: failed.some((r) => attributesFor(config, r.remote).requireLocalPort)
          ? 'Free that local port, or drop requireLocalPort from portsAttributes in devcontainer.json.'
          : 'Free that local port, or pick another with REMOTE:LOCAL.',
      },
    );
  }
  return { workspace: selected.workspace.name, ports: rows };
}

/** Stops forwarding these ports; with none, stops the forwarder itself. */
export async function stopPorts(
  ctx: Context,
  name: string | undefined,
  ports: number[],
): Promise<{ workspace: string; stopped: number[] | 'all' }> {
  const selected = await selectWorkspace(ctx, name);
  if (ports.length === 0) {
    await stopForwarder(ctx, selected.workspace.name);
    return { workspace: selected.workspace.name, stopped: 'all' };
  }
  for (const port of ports) if (!validPort(port)) throw new UsageError(`"${port}" is not a port number.`);
  const files = portFiles(ctx.paths, selected.workspace.name);
  const [state, config] = await Promise.all([
    forwarderState(ctx, selected.workspace.name),
    readPortsConfig(files),
  ]);
  const generation = await updateRequests(ctx, selected, (r) => {
    // Recording a port never forwarded would only block its later auto-forward, without a word.
    const known = knownPorts(config, r, state?.ports ?? []);
    const unknown = ports.filter((p) => !known.has(p));
    if (unknown.length > 0) throw notForwarded(unknown, selected.workspace.name);
    r.forwards = r.forwards.filter((f) => !ports.includes(f.remote));
    r.stopped = [...new Set([...r.stopped, ...ports])].sort((a, b) => a - b);
  });
  await applied(ctx, selected, generation);
  return { workspace: selected.workspace.name, stopped: ports };
}

/**
 * The ports `ports stop` can name: forwarded now, asked for, listed in forwardPorts (stopping one while
 * the workspace is stopped keeps it from coming back), or stopped already.
 */
export function knownPorts(
  config: PortsConfig,
  requests: PortRequests,
  forwarded: PortStatus[],
): Set<number> {
  return new Set([
    ...forwarded.map((p) => p.remote),
    ...requests.forwards.map((f) => f.remote),
    ...requests.stopped,
    ...(config.forwardPorts ?? []).map(forwardPortNumber).filter((p) => p !== null),
  ]);
}

function notForwarded(ports: number[], workspace: string): DevcError {
  const which = ports.length === 1 ? `Port ${ports[0]} is` : `Ports ${ports.join(', ')} are`;
  return new DevcError(`${which} not forwarded for workspace ${workspace}.`, {
    hint: `\`devc ports -w ${workspace}\` shows what is.`,
  });
}

async function updateRequests(
  ctx: Context,
  selected: Selected,
  change: (requests: Awaited<ReturnType<typeof readRequests>>) => void,
): Promise<number> {
  const files = portFiles(ctx.paths, selected.workspace.name);
  return withLock(ctx.paths.locksDir, `ports-${selected.workspace.name}`, async () => {
    const requests = await readRequests(files);
    change(requests);
    requests.generation += 1;
    await writeJsonAtomic(files.requests, requests);
    return requests.generation;
  });
}

/** Starts the forwarder if needed and waits until it has applied the requests of `generation`. */
async function applied(ctx: Context, selected: Selected, generation: number): Promise<PortStatus[]> {
  const started = await startForwarder(ctx, selected.workspace.name, selected.backend.kind);
  if (!started)
    throw new DevcError(`Port forwarding is not available for ${selected.backend.kind} workspaces yet.`);
  const state = await waitForState(ctx, selected.workspace.name, (s) => s.generation >= generation);
  return state.ports;
}
