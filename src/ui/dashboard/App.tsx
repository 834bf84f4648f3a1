import { Box, Text, useApp, useInput, type Key } from 'ink';
import { useRef, useState, useSyncExternalStore } from 'react';
import { describeError } from '../../errors.js';
import type { DashboardActions } from '../../services/dashboard.js';
import type { Workspace } from '../../workspace/model.js';
import { Body } from './Body.js';
import { Footer, type Mode } from './Footer.js';
import { matchesFilter } from './format.js';
import { Header } from './Header.js';
import { useActivity, useForwarded, useLogs, useNow, usePorts, useTerminalSize, type Size } from './hooks.js';
import { commandFor, type Command } from './keys.js';
import { DetailsPane, HelpView, LogsPane, PortsPane } from './panes.js';
import { useColor } from './theme.js';
import type { ExitRequest, Message, SnapshotSource, UiState } from './types.js';
import { WorkspaceTable } from './WorkspaceTable.js';

export interface AppProps {
  source: SnapshotSource;
  actions: DashboardActions;
  onExit(request: ExitRequest): void;
  initial?: UiState;
  /** A fixed terminal size (tests); otherwise the terminal's, following resizes. */
  size?: Size;
  clock?: () => number;
}

type Pane = 'details' | 'logs' | 'ports';

/** The live dashboard: every workspace, the selected one's details, and keys to act on it. */
export function App(props: AppProps) {
  const { exit } = useApp();
  const color = useColor();
  const snapshot = useSyncExternalStore(props.source.subscribe, props.source.current);
  const size = useTerminalSize(props.size);
  const now = useNow(props.clock ?? Date.now);
  const [filter, setFilter] = useState(props.initial?.filter ?? '');
  const [selected, setSelected] = useState(props.initial?.selected);
  const [message, setMessage] = useState<Message | undefined>(props.initial?.message);
  const [mode, setMode] = useState<Mode>('normal');
  const [pane, setPane] = useState<Pane>('details');
  const [busy, setBusy] = useState(new Map<string, string>());

  const visible = snapshot.workspaces.filter((w) => matchesFilter(w, filter));
  const current = visible.find((w) => w.name === selected) ?? visible[0];
  const logs = useLogs(props.actions, pane === 'logs' ? current : undefined);
  const ports = usePorts(props.actions, pane === 'ports' ? current : undefined);
  const activity = useActivity(props.actions, current);
  const forwarded = useForwarded(
    props.actions,
    snapshot.workspaces.map((w) => w.name),
  );

  const run = (workspace: Workspace, label: string, work: () => Promise<string>): void => {
    setBusy((old) => new Map(old).set(workspace.name, label));
    setMessage({
      text: `${label.charAt(0).toUpperCase()}${label.slice(1)} ${workspace.name}…`,
      tone: 'info',
    });
    work()
      .then(
        (text) => {
          const [first = '', ...rest] = text.split('\n');
          setMessage({ text: first, tone: 'success', ...(rest.length ? { details: rest.join('\n') } : {}) });
        },
        (error: unknown) => setMessage(errorMessage(error)),
      )
      .finally(() =>
        setBusy((old) => {
          const next = new Map(old);
          next.delete(workspace.name);
          return next;
        }),
      );
  };

  const leave = (request: ExitRequest): void => {
    props.onExit(request);
    exit();
  };

  const act = (command: Command): void => {
    const move = (by: number): void => {
      const index = current ? visible.indexOf(current) : -1;
      const next = visible[Math.min(visible.length - 1, Math.max(0, index + by))];
      if (next) setSelected(next.name);
    };
    if (command === 'up') return move(-1);
    if (command === 'down') return move(1);
    if (command === 'quit') return leave({ kind: 'quit' });
    if (command === 'help') return setMode('help');
    if (command === 'filter') return setMode('filter');
    if (command === 'back') {
      if (pane !== 'details') setPane('details');
      else if (message) setMessage(undefined);
      else setFilter('');
      return;
    }
    if (!current) return;
    if (busy.has(current.name) && command !== 'logs' && command !== 'ports') return;
    switch (command) {
      case 'ssh':
        return leave({ kind: 'ssh', name: current.name, ui: { filter, selected: current.name } });
      case 'logs':
        return setPane(pane === 'logs' ? 'details' : 'logs');
      case 'ports':
        return setPane(pane === 'ports' ? 'details' : 'ports');
      case 'toggle':
        return run(current, current.state === 'running' ? 'stopping' : 'starting', () =>
          props.actions.toggle(current),
        );
      case 'delete':
        return setMode('confirm');
      case 'open':
        return run(current, 'opening', () => props.actions.openCodeServer(current));
      case 'rebuild':
        return run(current, 'building', () =>
          props.actions.rebuild(current, (phase) => setMessage({ text: `${phase}…`, tone: 'info' })),
        );
    }
  };

  // The handler of the latest render: ink re-subscribes only after the frame is drawn, and a fast
  // second key must not act on the previous selection.
  const onInput = useRef<(input: string, key: Key) => void>(() => undefined);
  onInput.current = (input, key) => {
    if (mode === 'help') return setMode('normal');
    if (mode === 'confirm') {
      setMode('normal');
      if (input === 'y' && current) run(current, 'deleting', () => props.actions.remove(current));
      else setMessage({ text: 'Kept it.', tone: 'info' });
      return;
    }
    if (mode === 'filter') {
      if (key.return) return setMode('normal');
      if (key.escape) {
        setFilter('');
        return setMode('normal');
      }
      if (key.backspace || key.delete) return setFilter((f) => f.slice(0, -1));
      if (input && !key.ctrl && !key.meta) setFilter((f) => f + input);
      return;
    }
    const command = commandFor(input, key);
    if (command) act(command);
  };
  useInput((input, key) => onInput.current(input, key));

  // Heights: the frame stays one line short of the terminal, so ink never has to clear the screen.
  const height = size.rows - 1;
  const messageLines = message ? 1 + Math.min(3, message.details?.split('\n').length ?? 0) : 0;
  const paneLines = pane === 'logs' ? Math.max(4, Math.floor((height - 6) / 2)) : pane === 'ports' ? 5 : 4;
  const tableRows = Math.max(1, height - 3 - (paneLines + 1) - messageLines - 1);

  return (
    <Box flexDirection="column" width={size.columns} height={height}>
      <Header snapshot={snapshot} shown={visible.length} filter={filter} />
      {mode === 'help' ? (
        <HelpView width={size.columns} height={height - 2} />
      ) : (
        <Box flexDirection="column" flexGrow={1}>
          <Box flexDirection="column" height={tableRows + 1}>
            <Body
              snapshot={snapshot}
              visible={visible}
              filter={filter}
              table={
                <WorkspaceTable
                  workspaces={visible}
                  selected={current?.name}
                  usage={snapshot.usage}
                  ports={forwarded}
                  busy={busy}
                  width={size.columns}
                  height={tableRows}
                  now={now}
                />
              }
            />
          </Box>
          <Box flexGrow={1} />
          {current && pane === 'logs' && (
            <LogsPane name={current.name} lines={logs} width={size.columns} height={paneLines} />
          )}
          {current && pane === 'ports' && (
            <PortsPane name={current.name} ports={ports} width={size.columns} height={paneLines} />
          )}
          {pane === 'details' && (
            <DetailsPane
              workspace={current}
              activity={activity}
              width={size.columns}
              height={paneLines}
              now={now}
            />
          )}
          {message && (
            <Box flexDirection="column">
              <Text
                wrap="truncate-end"
                color={color(
                  message.tone === 'error' ? 'red' : message.tone === 'success' ? 'green' : 'yellow',
                )}
              >
                {message.text}
              </Text>
              {message.details
                ?.split('\n')
                .slice(0, 3)
                .map((line, i) => (
                  <Text key={i} wrap="truncate-end" color={color('gray')}>
                    {`  ${line}`}
                  </Text>
                ))}
            </Box>
          )}
        </Box>
      )}
      <Footer mode={mode} filter={filter} selected={current?.name} />
    </Box>
  );
}

function errorMessage(error: unknown): Message {
  const described = describeError(error);
  // The hint first: it names the next step, and only a few lines fit.
  const details = [described.hint, described.details].filter(Boolean).join('\n');
  return { text: described.message, tone: 'error', ...(details ? { details } : {}) };
}
