import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { CancelledError } from '../errors.js';

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
  options: { logFile?: string; onLog?: (log: CliLog) => void; signal?: AbortSignal; env?: NodeJS.ProcessEnv },
): Promise<CliRun> {
  if (options.logFile) await mkdir(path.dirname(options.logFile), { recursive: true });
  const log = options.logFile ? createWriteStream(options.logFile, { flags: 'a' }) : undefined;
  const tail: string[] = [];
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
    }
    const text = textOf(record);
    if (text) {
      log?.write(text.endsWith('\n') ? text : `${text}\n`);
      for (const l of text.split('\n')) if (l.trim()) tail.push(l);
      if (tail.length > 40) tail.splice(0, tail.length - 40);
    }
    options.onLog?.(record);
  };
  const result = await child;
  handleLine(buffered);
  await new Promise<void>((resolve) => (log ? log.end(resolve) : resolve()));
  if (result.isCanceled) throw new CancelledError();
  const json = lastJson(String(result.stdout));
  if (!json) {
    // Some failures (a config it can't parse or find) end with an exception and no JSON result.
    const error = [...tail].reverse().find((l) => /^\s*Error:/.test(l));
    return {
      result: {
        outcome: 'error',
        message: error ? error.replace(/^\s*Error:\s*/, '') : 'the Dev Containers CLI printed no result',
      },
      tail,
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
