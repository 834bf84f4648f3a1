import { lstatSync, statSync } from 'node:fs';
import path from 'node:path';

/** Exit codes are a contract (README.md, "Scripting and CI"): scripts depend on them. */
export const ExitCode = {
  ok: 0,
  error: 1,
  usage: 2,
  auth: 4,
  cancelled: 130,
} as const;

/** An error the user can act on: a one-line message, and a hint naming the next step. */
export class DevcError extends Error {
  readonly exitCode: number = ExitCode.error;
  readonly hint: string | undefined;
  /** Extra lines shown under the message (e.g. the tail of a failing log). */
  readonly details: string | undefined;

  constructor(message: string, options: { hint?: string; details?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.hint = options.hint;
    this.details = options.details;
  }
}

/** Bad flags, arguments or references: exit 2. */
export class UsageError extends DevcError {
  override readonly exitCode: number = ExitCode.usage;
}

/** Credentials are missing or refused: exit 4. */
export class AuthError extends DevcError {
  override readonly exitCode: number = ExitCode.auth;
}

/** The user pressed Ctrl-C or declined: exit 130. */
export class CancelledError extends DevcError {
  override readonly exitCode: number = ExitCode.cancelled;
  constructor(message = 'Cancelled.') {
    super(message);
  }
}

/** A workspace devc just made or started is no longer found (another devc deleted it meanwhile). */
export function disappearedWhileStarting(name: string): never {
  throw new DevcError(`Workspace ${name} disappeared while starting.`, { hint: 'Run `devc up` again.' });
}

/** The engine (Docker daemon, Kubernetes API) can't be reached. */
export class EngineError extends DevcError {}

/** A command run by the user (ssh -- CMD, exec) exited non-zero: devc passes the code through quietly. */
export class PassthroughExit extends Error {
  constructor(readonly exitCode: number) {
    super(`exit ${exitCode}`);
  }
}

/**
 * A file system error on a path (a folder that is a file, no permission, a full disk) is the
 * environment's, not devc's: said as such, with the path and a next step, never as "a bug in devc".
 */
export function environmentError(error: unknown): DevcError | undefined {
  if (!(error instanceof Error)) return undefined;
  const { code, path: target, dest, syscall } = error as NodeJS.ErrnoException & { dest?: string };
  if (typeof code !== 'string' || typeof target !== 'string') return undefined;
  const [message, hint] = (() => {
    switch (code) {
      case 'ENOTDIR': {
        const file = firstFileIn(target) ?? target;
        return [`${file} is a file where devc needs a folder.`, 'Move it away, then run the command again.'];
      }
      case 'EISDIR': {
        const folder = dest ?? target;
        return [
          `${folder} is a folder where devc needs a file.`,
          'Move it away, then run the command again.',
        ];
      }
      case 'EACCES':
      case 'EPERM':
        return [
          `Can't ${verbOf(syscall)} ${dest ?? target}: permission denied.`,
          "Check its permissions and its folder's, then run the command again.",
        ];
      case 'ENOSPC':
      case 'EDQUOT':
        return [`No space left for ${dest ?? target}.`, 'Free some disk space, then run the command again.'];
      case 'EROFS':
        return [
          `Can't write ${dest ?? target}: the file system is read-only.`,
          'Use a writable place (DEVC_HOME chooses where devc keeps its files).',
        ];
      case 'ELOOP':
        return [
          `${target} is a loop of symbolic links.`,
          'Fix or remove the link, then run the command again.',
        ];
      case 'ENAMETOOLONG':
        return [
          `${target} is too long a path.`,
          'Use a shorter one (DEVC_HOME chooses where devc keeps its files).',
        ];
      default:
        return [undefined, undefined];
    }
  })();
  return message ? new DevcError(message, { hint, cause: error }) : undefined;
}

const readingCalls = new Set(['access', 'lstat', 'opendir', 'readlink', 'realpath', 'scandir', 'stat']);

function verbOf(syscall: string | undefined): string {
  if (syscall?.startsWith('spawn')) return 'run';
  if (syscall === 'open') return 'open';
  return readingCalls.has(syscall ?? '') ? 'read' : 'write';
}

/** The first part of `target`, from the root down, that exists and is not a folder. */
function firstFileIn(target: string): string | undefined {
  const parts = path.resolve(target).split(path.sep);
  for (let i = 2; i <= parts.length; i++) {
    const prefix = parts.slice(0, i).join(path.sep) || path.sep;
    try {
      if (!lstatSync(prefix).isDirectory() && !statSync(prefix).isDirectory()) return prefix;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** Exit code and printable text for any thrown value. */
export function describeError(error: unknown): {
  exitCode: number;
  message: string;
  hint?: string;
  details?: string;
} {
  if (error instanceof DevcError) {
    return {
      exitCode: error.exitCode,
      message: error.message,
      ...(error.hint ? { hint: error.hint } : {}),
      ...(error.details ? { details: error.details } : {}),
    };
  }
  const environment = environmentError(error);
  if (environment) return describeError(environment);
  const message = error instanceof Error ? error.message : String(error);
  return {
    exitCode: ExitCode.error,
    message,
    hint: 'This looks like a bug in devc; please report it with `devc --version`.',
  };
}
