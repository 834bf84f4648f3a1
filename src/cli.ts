import { Command, CommanderError } from 'commander';
import { registerCommands } from './commands/index.js';
import { createContext, type Context } from './context.js';
import { describeError, ExitCode, PassthroughExit } from './errors.js';
import { systemIO, type IO } from './io.js';
import { devcVersion } from './version.js';

export interface MainOptions {
  io?: IO;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** Runs devc with these arguments; resolves to the exit code. Never calls process.exit. */
export async function main(argv: string[], options: MainOptions = {}): Promise<number> {
  const env = options.env ?? process.env;
  const io = options.io ?? systemIO(env);
  const abort = new AbortController();
  let interrupts = 0;
  // The first Ctrl-C cancels, and what was half-made is removed on the way out. A second one (an
  // impatient user; `timeout` sends two) must not cut that short: it left containers, volumes and
  // locks behind. A third is the way out of a cleanup that hangs.
  const onSigint = (): void => {
    interrupts += 1;
    if (interrupts === 1) abort.abort();
    else if (interrupts === 2)
      io.warn('Cancelling: removing what was made. Ctrl-C again quits now and leaves it.');
    else process.exit(ExitCode.cancelled);
  };
  process.on('SIGINT', onSigint);
  const ctx = createContext({ io, env, ...(options.cwd ? { cwd: options.cwd } : {}), signal: abort.signal });
  const program = buildProgram(ctx);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return ExitCode.ok;
  } catch (error) {
    return handleError(ctx, error, argv.includes('--json'));
  } finally {
    process.off('SIGINT', onSigint);
  }
}

/** The commander program, with output routed through the context's IO. */
export function buildProgram(ctx: Context): Command {
  const program = new Command('devc')
    .description('Codespaces-style development environments on your own Docker engine or Kubernetes cluster.')
    .version(devcVersion(), '-v, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .enablePositionalOptions()
    .showSuggestionAfterError()
    .exitOverride()
    .configureOutput({
      writeOut: (text) => ctx.io.stdout.write(text),
      writeErr: (text) => ctx.io.stderr.write(text),
      outputError: (text, write) => write(ctx.io.paint('red', text)),
    })
    .addHelpText(
      'after',
      `
Examples:
  $ devc up github/acme/shop        clone, build and start a workspace
  $ devc ssh                        a shell in it
  $ devc list                       every workspace and its state
  $ devc delete -w shop             remove it (refuses to drop unpushed work)

Learn more: devc <command> --help`,
    );
  registerCommands(program, ctx);
  for (const command of program.commands) command.exitOverride().configureOutput(program.configureOutput());
  return program;
}

/** The one top-level handler: prints an error (one JSON line on stdout too with --json); its exit code. */
export function handleError(ctx: Context, error: unknown, json: boolean): number {
  if (error instanceof PassthroughExit) return error.exitCode;
  if (error instanceof CommanderError) {
    if (
      error.code === 'commander.helpDisplayed' ||
      error.code === 'commander.version' ||
      error.code === 'commander.help'
    )
      return ExitCode.ok;
    return ExitCode.usage;
  }
  if (ctx.signal.aborted) {
    if (json) ctx.io.out(errorLine('Cancelled.', undefined));
    ctx.io.err('Cancelled.');
    return ExitCode.cancelled;
  }
  const described = describeError(error);
  if (json) ctx.io.out(errorLine(described.message, described.hint));
  ctx.io.err(ctx.io.paint('red', `error: ${described.message}`));
  if (described.details) ctx.io.err(indent(tail(described.details, 20)));
  if (described.hint) ctx.io.err(described.hint);
  return described.exitCode;
}

/** What `--json` prints for any error: one line, so a script reads it like every other result. */
function errorLine(message: string, hint: string | undefined): string {
  return JSON.stringify({ outcome: 'error', message, hint: hint ?? '' });
}

function tail(text: string, lines: number): string {
  return text.trim().split('\n').slice(-lines).join('\n');
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
}
