import { render } from 'ink';
import type { Context } from '../../context.js';
import { describeError } from '../../errors.js';
import { dashboardActions, type DashboardActions } from '../../services/dashboard.js';
import { watchWorkspaces, type Snapshot } from '../../services/watch.js';
import { App } from './App.js';
import { createSnapshotStore } from './store.js';
import type { AlternateScreen } from './screen.js';
import { ColorContext } from './theme.js';
import type { ExitRequest, Message, SnapshotSource, UiState } from './types.js';

/** Runs the dashboard until the user quits; steps aside for SSH and comes back. */
export async function runDashboard(
  ctx: Context,
  first: Snapshot | undefined,
  screen: AlternateScreen,
): Promise<void> {
  const actions = dashboardActions(ctx);
  const store = createSnapshotStore(first);
  const abort = new AbortController();
  const onCancel = (): void => abort.abort();
  ctx.signal.addEventListener('abort', onCancel, { once: true });
  watchWorkspaces(ctx, store.set, abort.signal);
  let ui: UiState = { filter: '', selected: undefined };
  try {
    for (;;) {
      screen.enter();
      const request = await mount(ctx, store, actions, ui, abort.signal);
      if (request.kind === 'quit' || abort.signal.aborted) return;
      screen.leave();
      ui = { ...request.ui, ...(await shell(ctx, request.name)) };
    }
  } finally {
    abort.abort();
    actions.close();
    ctx.signal.removeEventListener('abort', onCancel);
    screen.leave();
  }
}

/** Renders the app until it asks to quit or to step aside; resolves to that request. */
async function mount(
  ctx: Context,
  source: SnapshotSource,
  actions: DashboardActions,
  initial: UiState,
  signal: AbortSignal,
): Promise<ExitRequest> {
  let request: ExitRequest = { kind: 'quit' };
  const instance = render(
    <ColorContext.Provider value={ctx.io.color}>
      <App source={source} actions={actions} initial={initial} onExit={(r) => (request = r)} />
    </ColorContext.Provider>,
    {
      stdout: ctx.io.stdout as NodeJS.WriteStream,
      stderr: ctx.io.stderr as NodeJS.WriteStream,
      stdin: ctx.io.stdin as NodeJS.ReadStream,
      exitOnCtrlC: false,
      patchConsole: false,
    },
  );
  const onAbort = (): void => instance.unmount();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    await instance.waitUntilExit();
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
  return request;
}

/** An interactive shell in the workspace, with the terminal to itself; a message for when we return. */
async function shell(ctx: Context, name: string): Promise<{ message?: Message }> {
  const reclaim = releaseTerminal(ctx.io.stdin);
  ctx.io.err(`Opening a shell in ${name}. Exit it to return to the dashboard.`);
  try {
    const { sshInto } = await import('../../services/ssh.js');
    const code = await sshInto(ctx, name, []);
    return code === 0 ? {} : { message: { text: `The shell in ${name} exited with ${code}.`, tone: 'info' } };
  } catch (error) {
    const described = describeError(error);
    return {
      message: {
        text: described.message,
        tone: 'error',
        ...(described.hint ? { details: described.hint } : {}),
      },
    };
  } finally {
    reclaim();
  }
}

/**
 * Makes Node stop reading the terminal, so the shell gets every key; returns what starts it again.
 * ink unmounts leaving the stream reading in the background, and pause() does not stop a TTY's handle:
 * the two processes would race for each key.
 */
function releaseTerminal(stdin: NodeJS.ReadableStream): () => void {
  stdin.pause();
  const handle = (stdin as { _handle?: { reading?: boolean; readStop?(): number; readStart?(): number } })
    ._handle;
  if (!handle?.reading || typeof handle.readStop !== 'function') return () => undefined;
  handle.reading = false;
  handle.readStop();
  return () => {
    handle.reading = true;
    handle.readStart?.();
  };
}
