/** Exit codes are a contract (DESIGN.md): scripts depend on them. */
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

/** The engine (Docker daemon, Kubernetes API) can't be reached. */
export class EngineError extends DevcError {}

/** A command run by the user (ssh -- CMD, exec) exited non-zero: devc passes the code through quietly. */
export class PassthroughExit extends Error {
  constructor(readonly exitCode: number) {
    super(`exit ${exitCode}`);
  }
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
  const message = error instanceof Error ? error.message : String(error);
  return {
    exitCode: ExitCode.error,
    message,
    hint: 'This looks like a bug in devc; please report it with `devc --version`.',
  };
}
