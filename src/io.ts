import { performance } from 'node:perf_hooks';
import type { Readable, Writable } from 'node:stream';

/** Times the steps of a call: `DEVC_DEBUG=timing` prints each on stderr; otherwise it only runs them. */
export interface Timing {
  span<T>(label: string, work: () => Promise<T>): Promise<T>;
}

/** A Timing that only runs the steps. */
export const untimed: Timing = { span: (_label, work) => work() };

export interface Streams {
  stdin: Readable & { isTTY?: boolean };
  stdout: Writable & { isTTY?: boolean; columns?: number };
  stderr: Writable & { isTTY?: boolean };
}

/** The only way out: every byte devc prints goes through an IO. Results on stdout, the rest on stderr. */
export class IO {
  readonly stdin: Streams['stdin'];
  readonly stdout: Streams['stdout'];
  readonly stderr: Streams['stderr'];
  /** CI set, or stdout not a terminal: no spinners, no colour, no prompts. */
  readonly plain: boolean;
  readonly color: boolean;
  /** DEVC_DEBUG names `timing` (a comma-separated list): `span` prints each step's start and length. */
  readonly timing: boolean;

  constructor(streams: Streams, env: NodeJS.ProcessEnv) {
    this.stdin = streams.stdin;
    this.stdout = streams.stdout;
    this.stderr = streams.stderr;
    const ci = Boolean(env.CI) && env.CI !== 'false' && env.CI !== '0';
    this.plain = ci || !streams.stdout.isTTY || !streams.stderr.isTTY;
    this.color = !this.plain && !env.NO_COLOR && env.TERM !== 'dumb';
    this.timing = (env.DEVC_DEBUG ?? '').split(',').includes('timing');
  }

  /**
   * Runs `work`; with DEVC_DEBUG=timing, says on stderr when it started and ended, in ms since the
   * process started (Node's own start included), so steps that overlap show as such.
   */
  async span<T>(label: string, work: () => Promise<T>): Promise<T> {
    if (!this.timing) return work();
    const started = performance.now();
    try {
      return await work();
    } finally {
      const ended = performance.now();
      this.err(`devc timing: ${ms(started)}–${ms(ended)} ms ${label} (${ms(ended - started)} ms)`);
    }
  }

  /** True when devc may prompt: both ends are terminals and CI is not set. */
  get interactive(): boolean {
    return !this.plain && Boolean(this.stdin.isTTY);
  }

  /** A result line on stdout. */
  out(text = ''): void {
    this.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  /** A progress, hint or warning line on stderr. */
  err(text = ''): void {
    this.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  /** One JSON document on stdout. */
  json(value: unknown): void {
    this.out(JSON.stringify(value, null, 2));
  }

  warn(text: string): void {
    this.err(`${this.paint('yellow', '!')} ${text}`);
  }

  success(text: string): void {
    this.err(`${this.paint('green', '✓')} ${text}`);
  }

  /** Colour for terminals; the plain text otherwise. */
  paint(color: keyof typeof codes, text: string): string {
    if (!this.color) return text;
    return `\u001b[${codes[color]}m${text}\u001b[0m`;
  }
}

const ms = (value: number): string => value.toFixed(0);

const codes = { red: 31, green: 32, yellow: 33, blue: 34, magenta: 35, cyan: 36, gray: 90, bold: 1 } as const;

/** The process's own streams. */
export function systemIO(env: NodeJS.ProcessEnv = process.env): IO {
  // A reader that went away (`devc list | head -1`) ends devc quietly, as it ends git or gh: no stack.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(process.exitCode ?? 0);
  });
  return new IO({ stdin: process.stdin, stdout: process.stdout, stderr: process.stderr }, env);
}
