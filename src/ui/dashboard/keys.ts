import type { Key } from 'ink';

/** Everything a key can ask the dashboard to do in its normal mode. */
export type Command =
  | 'up'
  | 'down'
  | 'ssh'
  | 'open'
  | 'ports'
  | 'logs'
  | 'toggle'
  | 'rebuild'
  | 'delete'
  | 'filter'
  | 'help'
  | 'back'
  | 'quit';

// The one place key bindings live: the help screen is generated from this list.
export const BINDINGS: { keys: string; command: Command; help: string }[] = [
  { keys: '↑ ↓  j k', command: 'up', help: 'select a workspace' },
  { keys: 'enter', command: 'ssh', help: 'open a shell (SSH); exit it to come back' },
  { keys: 'o', command: 'open', help: 'open code-server' },
  { keys: 'p', command: 'ports', help: 'ports: SSH, code-server, forwarded' },
  { keys: 'l', command: 'logs', help: 'logs, following' },
  { keys: 's', command: 'toggle', help: 'stop or start' },
  { keys: 'r', command: 'rebuild', help: 'rebuild from its current config (source and home kept)' },
  { keys: 'd', command: 'delete', help: 'delete (asks first; refuses unpushed work)' },
  { keys: '/', command: 'filter', help: 'filter by name, repository or branch' },
  { keys: 'esc', command: 'back', help: 'close the pane, clear the filter' },
  { keys: '?', command: 'help', help: 'this help' },
  { keys: 'q', command: 'quit', help: 'quit' },
];

const LETTERS: Record<string, Command> = {
  k: 'up',
  j: 'down',
  o: 'open',
  p: 'ports',
  l: 'logs',
  s: 'toggle',
  r: 'rebuild',
  d: 'delete',
  '/': 'filter',
  '?': 'help',
  q: 'quit',
};

/** The command a key press means in the normal mode, if any. */
export function commandFor(input: string, key: Key): Command | undefined {
  if (key.upArrow) return 'up';
  if (key.downArrow) return 'down';
  if (key.return) return 'ssh';
  if (key.escape) return 'back';
  if (key.ctrl && input === 'c') return 'quit';
  if (key.ctrl || key.meta) return undefined;
  return LETTERS[input];
}
