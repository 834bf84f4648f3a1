import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { CancelledError } from '../errors.js';
import { run } from '../process.js';
import { maskSecrets } from '../workspace/secret-values.js';

/** One log record of `--log-format json` (src/spec-utils/log.ts in @devcontainers/cli). */
export interface CliLog {
  type: 'text' | 'raw' | 'start' | 'stop' | 'progress';
  level?: number;
  text?: string;
  name?: string;
  status?: string;
}

export interface CliRun {
  /** The last JSON object the CLI printed on stdout. */
  result: Record<string, unknown>;
  /** The last lines of its log, for error messages. */
  tail: string[];
}

/** The pinned @devcontainers/cli entry point in devc's own node_modules (never a global install). */
export function devcontainerBin(): string {
  const require = createRequire(import.meta.url);
  return path.join(path.dirname(require.resolve('@devcontainers/cli/package.json')), 'devcontainer.js');
}

/** Runs the CLI with JSON logs; `onLog` sees each record, `logFile` keeps them as text. */
export async function runDevcontainer(
  args: string[],
  options: {
    logFile?: string;
    onLog?: (log: CliLog) => void;
    signal?: AbortSignal;
    env?: NodeJS.ProcessEnv;
    /** Secret values a hook may print: shown as *** in the log, the progress and errors. */
    mask?: string[];
  },
): Promise<CliRun> {
  if (options.logFile) await mkdir(path.dirname(options.logFile), { recursive: true });
  const log = options.logFile ? createWriteStream(options.logFile, { flags: 'a' }) : undefined;
  const tail: string[] = [];
  // What it printed outside its JSON log: an exception, or a usage text ending in the reason.
  const stray: string[] = [];
  // Containers the classic builder ran steps in (`---> Running in ID`), to remove after a failed build.
  const buildContainers = new Set<string>();
  // Loaded when needed: execa takes ~100 ms to import, which every `up` would pay.
  const { execa } = await import('execa');
  const child = execa(process.execPath, [devcontainerBin(), ...args, '--log-format', 'json'], {
    reject: false,
    stdin: 'ignore',
    ...(options.env ? { env: options.env } : {}),
    ...(options.signal ? { cancelSignal: options.signal } : {}),
  });
  let buffered = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) handleLine(line);
  });
  const handleLine = (line: string): void => {
    if (!line.trim()) return;
    let record: CliLog;
    try {
      record = JSON.parse(line) as CliLog;
    } catch {
      record = { type: 'raw', text: line };
      if (stray.push(line) > 40) stray.shift();
    }
    if (options.mask?.length && record.text)
      record = { ...record, text: maskSecrets(record.text, options.mask) };
    const text = textOf(record);
    if (text) {
      log?.write(text.endsWith('\n') ? text : `${text}\n`);
      for (const l of text.split('\n')) if (l.trim()) tail.push(l);
      if (tail.length > 40) tail.splice(0, tail.length - 40);
      for (const [, id] of text.matchAll(/^\s*---> Running in ([0-9a-f]{12,64})\s*$/gm))
        if (id) buildContainers.add(id);
    }
    options.onLog?.(record);
  };
  const result = await child;
  handleLine(buffered);
  // The classic builder removes a step's container when the step succeeds, never when it fails or is
  // cut short: that one stays on the engine, unlabelled, for nobody to remove. Only those this run's
  // log named go.
  if ((result.isCanceled || result.exitCode !== 0) && buildContainers.size > 0)
    await run('docker', ['rm', '--force', ...buildContainers]);
  await new Promise<void>((resolve) => (log ? log.end(resolve) : resolve()));
  if (result.isCanceled) throw new CancelledError();
  const json = lastJson(String(result.stdout));
  if (!json) {
    // Some failures (a config it can't parse or find, arguments it rejects) end with an exception or a
    // usage text and no JSON result: the CLI's own last word is the cause. `noResult` tells callers
    // not to guess a step from the log, whose last lines are then its help.
    const cause = (l: string): boolean => l.trim() !== '' && !/^\s+at /.test(l) && !/^\s+--[a-z]/.test(l);
    const error = [...tail].reverse().find((l) => /^\s*Error:/.test(l)) ?? stray.filter(cause).at(-1);
    const log = tail.filter(cause);
    return {
      result: {
        outcome: 'error',
        message: error ? error.trim().replace(/^Error:\s*/, '') : 'the Dev Containers CLI printed no result',
        noResult: true,
      },
      tail: log,
    };
  }
  return { result: json, tail };
}

function textOf(record: CliLog): string {
  if (record.type === 'start' && record.text) return `▶ ${record.text}`;
  if (record.type === 'stop') return '';
  if (record.type === 'progress') return record.name ? `${record.name} ${record.status ?? ''}`.trim() : '';
  // eslint-disable-next-line no-control-regex -- the CLI's logs carry terminal colours
  return (record.text ?? '').replace(/\u001b\[[0-9;]*[A-Za-z]/g, '').trimEnd();
}

/** The CLI's result is the last line of stdout that starts with `{` (Coder's wrapper does the same). */
export function lastJson(stdout: string): Record<string, unknown> | undefined {
  const lines = stdout.split('\n').filter((l) => l.trim().startsWith('{'));
  for (let i = lines.length - 1; i >= 0; i--) {
    try {
      return JSON.parse(lines[i] ?? '') as Record<string, unknown>;
    } catch {
      continue;
    }
  }
  return undefined;
}
