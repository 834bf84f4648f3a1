/**
 * Which lifecycle hooks run when, with the Dev Containers semantics (containers.dev, "Lifecycle
 * scripts"; the CLI's imageMetadata merge): every metadata entry's hook runs, in the entries' order
 * (the image's label first, the config last); a string runs through /bin/sh -c, an array runs as it
 * is, an object's commands run in parallel. onCreate, updateContent and postCreate run once per
 * workspace, postStart on every start, postAttach on every attach; `waitFor` (default
 * updateContentCommand, last one wins) says which hook a caller waits for before it goes on.
 */

export const HOOKS = [
  'onCreateCommand',
  'updateContentCommand',
  'postCreateCommand',
  'postStartCommand',
  'postAttachCommand',
] as const;

export type HookName = (typeof HOOKS)[number];

/** One hook of one metadata entry, as written: string, array or object of either. */
export type HookCommand = string | string[] | Record<string, string | string[]>;

/** The hooks to run, in order; `wait` marks the ones a caller waits for (up to and with `waitFor`). */
export interface HookStep {
  hook: HookName;
  command: HookCommand;
  wait: boolean;
}

/** The hooks that run once per workspace (on its creation). */
export const CREATE_HOOKS: readonly HookName[] = [
  'onCreateCommand',
  'updateContentCommand',
  'postCreateCommand',
];

/** Whether any entry names a hook. */
export function hasHooks(entries: Record<string, unknown>[], which: readonly HookName[] = HOOKS): boolean {
  return entries.some((e) => which.some((h) => isCommand(e[h])));
}

/**
 * The steps for `phase`: `create` is the first start (create hooks, then postStart), `start` a
 * later start, `attach` a connection. Steps after the `waitFor` hook have `wait: false`.
 */
export function hookSteps(
  entries: Record<string, unknown>[],
  phase: 'create' | 'start' | 'attach',
): HookStep[] {
  const names: readonly HookName[] =
    phase === 'create'
      ? [...CREATE_HOOKS, 'postStartCommand']
      : phase === 'start'
        ? ['postStartCommand']
        : ['postAttachCommand'];
  const waitFor = waitForOf(entries);
  const limit = HOOKS.indexOf(waitFor);
  return names.flatMap((hook) =>
    entries
      .map((e) => e[hook])
      .filter(isCommand)
      .map((command) => ({ hook, command, wait: HOOKS.indexOf(hook) <= limit })),
  );
}

/** The hook a caller waits for: the last entry's `waitFor`, else updateContentCommand. */
export function waitForOf(entries: Record<string, unknown>[]): HookName {
  const named = entries.map((e) => e.waitFor).findLast((v) => typeof v === 'string');
  return HOOKS.find((h) => h === named) ?? 'updateContentCommand';
}

function isCommand(value: unknown): value is HookCommand {
  if (typeof value === 'string') return value.trim() !== '';
  if (Array.isArray(value)) return value.length > 0 && value.every((v) => typeof v === 'string');
  if (value && typeof value === 'object')
    return Object.values(value).every(
      (v) => typeof v === 'string' || (Array.isArray(v) && v.every((a) => typeof a === 'string')),
    );
  return false;
}

/** A value quoted for POSIX sh. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** One hook as a POSIX sh script: string → sh -c, array → the program itself, object → in parallel. */
export function hookScript(command: HookCommand): string {
  const one = (c: string | string[]): string =>
    typeof c === 'string' ? `/bin/sh -c ${shellQuote(c)}` : c.map(shellQuote).join(' ');
  if (typeof command === 'string' || Array.isArray(command)) return one(command);
  const parts = Object.values(command);
  // Each in the background; the hook fails when any of them does.
  return [
    'pids=',
    ...parts.map((c) => `( ${one(c)} ) & pids="$pids $!"`),
    'rc=0; for p in $pids; do wait "$p" || rc=$?; done; exit $rc',
  ].join('\n');
}
