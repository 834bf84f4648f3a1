import { Writable } from 'node:stream';
import { hasDetails, hasLogs, type WorkspaceDetails } from '../backends/backend.js';
import type { Context } from '../context.js';
import { IO } from '../io.js';
import { forwarderState } from './forwarder.js';
import type { Progress } from '../ui/progress.js';
import type { Workspace } from '../workspace/model.js';
import type { Selected } from './select.js';

/** One line of the ports pane. */
export interface PortRow {
  label: string;
  remote: number;
  /** Where it answers on this machine, when it does. */
  url: string | null;
}

/** What the dashboard's keys do. Engine-neutral: each goes through a service or the Backend. */
export interface DashboardActions {
  // Each action resolves to a message for the user: a first line, then lines to show under it.
  /** Stops a running workspace or starts a stopped one; resolves to a past-tense message. */
  toggle: (workspace: Workspace) => Promise<string>;
  /** Deletes it with the same safety rules as `devc delete` (throws the refusal). */
  remove: (workspace: Workspace) => Promise<string>;
  ports: (workspace: Workspace) => Promise<PortRow[]>;
  /** Forwarded remote ports of each workspace (from the forwarder's state file). */
  forwarded: (names: string[]) => Promise<Map<string, number[]>>;
  openCodeServer: (workspace: Workspace) => Promise<string>;
  /** Recreates it like `devc rebuild`; `onPhase` hears each phase's name as it starts. */
  rebuild: (workspace: Workspace, onPhase: (label: string) => void) => Promise<string>;
  /** Calls `onLine` with the last lines of its log and every new one, until the signal aborts. */
  followLogs: (workspace: Workspace, onLine: (line: string) => void, signal: AbortSignal) => Promise<void>;
  details: (workspace: Workspace) => Promise<WorkspaceDetails | undefined>;
}

/** The dashboard's actions, and `close` for what they leave running (login links) when it quits. */
export function dashboardActions(ctx: Context): DashboardActions & { close: () => void } {
  // The services' own notes ("starting it…") would draw over the dashboard: they go nowhere.
  const quiet: Context = { ...ctx, io: silentIO(ctx) };
  const logins = new Set<{ close: () => void }>();
  const select = async (workspace: Workspace): Promise<Selected> => ({
    workspace,
    backend: await ctx.backend(workspace.backend),
  });
  return {
    close() {
      for (const login of logins) login.close();
    },
    async toggle(workspace) {
      const { startWorkspace, stopWorkspace } = await import('./lifecycle.js');
      if (workspace.state === 'running' || workspace.state === 'starting') {
        // As `devc stop`: another DEVC_HOME's workspace is not the dashboard's to stop (it says whose).
        const { checkOwnership } = await import('./ownership.js');
        await checkOwnership(quiet, workspace, 'stop', false);
        await stopWorkspace(quiet, await select(workspace));
        return `Stopped workspace ${workspace.name}`;
      }
      await startWorkspace(quiet, await select(workspace));
      return `Started workspace ${workspace.name}`;
    },
    async remove(workspace) {
      const { deleteWorkspace } = await import('./delete.js');
      await deleteWorkspace(quiet, await select(workspace), false);
      return `Deleted workspace ${workspace.name}`;
    },
    async ports(workspace) {
      const { backend } = await select(workspace);
      const url = async (port: number, scheme: string): Promise<string | null> => {
        const endpoint = await backend.endpoint(workspace.name, port).catch(() => undefined);
        return endpoint ? `${scheme}://${endpoint.host}:${endpoint.port}` : null;
      };
      const rows: PortRow[] = [
        { label: 'SSH', remote: 2222, url: await url(2222, 'ssh') },
        { label: 'code-server', remote: 8080, url: await url(8080, 'http') },
      ];
      const state = await forwarderState(ctx, workspace.name);
      for (const port of state?.ports ?? []) {
        rows.push({ label: port.label ?? 'forwarded', remote: port.remote, url: port.url ?? null });
      }
      return rows;
    },
    async forwarded(names) {
      const result = new Map<string, number[]>();
      for (const name of names) {
        const state = await forwarderState(ctx, name);
        const ports = (state?.ports ?? []).filter((p) => p.state === 'forwarded').map((p) => p.remote);
        if (ports.length > 0) result.set(name, ports);
      }
      return result;
    },
    async openCodeServer(workspace) {
      // What `devc code --web` does: forward, log in, a one-shot link that signs the browser in.
      const { canOpen, codeWeb } = await import('./code.js');
      const web = await codeWeb(quiet, workspace.name);
      logins.add(web.login);
      if (!canOpen(ctx.env))
        return `Open this link within 2 minutes; it signs you in once:\n${web.login.url}`;
      await ctx.browser.open(web.login.url);
      return `Opened code-server of ${workspace.name} in your browser`;
    },
    async rebuild(workspace, onPhase) {
      const { rebuild } = await import('./rebuild.js');
      const progress: Progress = {
        phase: (label, _done, work) => {
          onPhase(label);
          return work(() => undefined);
        },
        note: () => undefined,
      };
      await rebuild(quiet, await select(workspace), false, progress);
      return `Rebuilt workspace ${workspace.name}`;
    },
    async followLogs(workspace, onLine, signal) {
      const { backend } = await select(workspace);
      if (!hasLogs(backend)) {
        onLine('This backend has no logs to show.');
        return;
      }
      const sink = lineSink(onLine);
      await backend.logs(workspace.name, { follow: true, tail: 50, signal }, sink, sink);
    },
    async details(workspace) {
      const { backend } = await select(workspace);
      return hasDetails(backend) ? backend.details(workspace.name) : undefined;
    },
  };
}

function silentIO(ctx: Context): IO {
  const sink = (): Writable => new Writable({ write: (_chunk, _encoding, done) => done() });
  return new IO({ stdin: ctx.io.stdin, stdout: sink(), stderr: sink() }, { CI: '1' });
}

/** A stream that calls `onLine` for each complete line written to it. */
function lineSink(onLine: (line: string) => void): Writable {
  let partial = '';
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) onLine(line.replace(/\r$/, ''));
      done();
    },
  });
}
