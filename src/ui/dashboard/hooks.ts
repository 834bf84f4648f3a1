import { useStdout } from 'ink';
import { useEffect, useState } from 'react';
import type { WorkspaceDetails } from '../../backends/backend.js';
import type { DashboardActions, PortRow } from '../../services/dashboard.js';
import type { Workspace } from '../../workspace/model.js';
import { repeat } from '../../wait/repeat.js';

export interface Size {
  columns: number;
  rows: number;
}

/** The terminal's size, following resizes; `pinned` fixes it (tests). */
export function useTerminalSize(pinned?: Size): Size {
  const { stdout } = useStdout();
  const read = (): Size => ({ columns: stdout.columns || 80, rows: stdout.rows || 24 });
  const [size, setSize] = useState(read);
  useEffect(() => {
    if (pinned) return;
    const onResize = (): void => setSize(read());
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  }, [stdout, pinned]);
  return pinned ?? size;
}

/** The current time, ticking every second (for uptimes and countdowns). */
export function useNow(clock: () => number): number {
  const [now, setNow] = useState(clock);
  useEffect(() => {
    const timer = setInterval(() => setNow(clock()), 1000);
    return () => clearInterval(timer);
  }, [clock]);
  return now;
}

const MAX_LOG_LINES = 500;

/** The followed log of a workspace while one is given; the child process ends with the pane. */
export function useLogs(actions: DashboardActions, workspace: Workspace | undefined): string[] {
  const [lines, setLines] = useState<string[]>([]);
  const name = workspace?.name;
  useEffect(() => {
    setLines([]);
    if (!workspace) return;
    const abort = new AbortController();
    const onLine = (line: string): void => setLines((old) => [...old.slice(1 - MAX_LOG_LINES), line]);
    actions
      .followLogs(workspace, onLine, abort.signal)
      .catch((error: unknown) =>
        onLine(`Can't read the logs: ${error instanceof Error ? error.message : String(error)}`),
      );
    return () => abort.abort();
    // Follow again only when the workspace changes, not on every snapshot.
  }, [actions, name]);
  return lines;
}

/** The ports pane's rows, read once when it opens. */
export function usePorts(actions: DashboardActions, workspace: Workspace | undefined): PortRow[] | undefined {
  const [ports, setPorts] = useState<PortRow[] | undefined>();
  const key = workspace ? `${workspace.name}:${workspace.state}` : undefined;
  useEffect(() => {
    setPorts(undefined);
    if (!workspace) return;
    let current = true;
    actions.ports(workspace).then(
      (rows) => current && setPorts(rows),
      () => current && setPorts([]),
    );
    return () => {
      current = false;
    };
  }, [actions, key]);
  return ports;
}

/** Activity of the selected running workspace (for the idle countdown), read every `everyMs`. */
export function useActivity(
  actions: DashboardActions,
  workspace: Workspace | undefined,
  everyMs = 15_000,
): WorkspaceDetails | undefined {
  const [details, setDetails] = useState<WorkspaceDetails | undefined>();
  const key = workspace?.state === 'running' ? workspace.name : undefined;
  useEffect(() => {
    setDetails(undefined);
    if (!workspace || !key) return;
    return poll(() => actions.details(workspace), setDetails, everyMs);
  }, [actions, key, everyMs]);
  return details;
}

/** Forwarded ports of the listed workspaces, re-read every few seconds. */
export function useForwarded(
  actions: DashboardActions,
  names: string[],
  everyMs = 5_000,
): Map<string, number[]> {
  const [ports, setPorts] = useState(new Map<string, number[]>());
  const key = names.join(' ');
  useEffect(() => poll(() => actions.forwarded(names), setPorts, everyMs), [actions, key, everyMs]);
  return ports;
}

/** Hands `read()`'s answer to `set` now and every `everyMs` after; the returned function stops it. */
function poll<T>(read: () => Promise<T>, set: (value: T) => void, everyMs: number): () => void {
  const stop = new AbortController();
  const once = (): Promise<void> =>
    read().then((value) => {
      if (!stop.signal.aborted) set(value);
    });
  void repeat(once, everyMs, stop.signal, { now: true });
  return () => stop.abort();
}
