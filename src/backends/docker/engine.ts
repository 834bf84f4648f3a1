import { spawn } from 'node:child_process';
import { constants as osConstants } from 'node:os';
import { DevcError, EngineError } from '../../errors.js';
import { run } from '../../process.js';

export interface DockerResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

const UNREACHABLE =
  /Cannot connect to the Docker daemon|Is the docker daemon running|error during connect|connect: no such file|permission denied while trying to connect/i;

/** The error for an engine that does not answer, naming the next step. */
export function engineUnreachable(detail?: string): EngineError {
  return new EngineError("Can't reach the Docker engine.", {
    hint: 'Start Docker (or check DOCKER_HOST), or run `devc doctor`.',
    ...(detail ? { details: detail } : {}),
  });
}

/**
 * Runs the docker CLI and captures its output; throws on failure unless `allowFailure`.
 */
export async function docker(
  args: string[],
  options: { allowFailure?: boolean; input?: string; env?: NodeJS.ProcessEnv; signal?: AbortSignal } = {},
): Promise<DockerResult> {
  const out = await run('docker', args, options);
  if (out.exitCode === 127 && /ENOENT/.test(out.stderr)) {
    throw new EngineError("Can't run the `docker` command.", {
      hint: 'Install the Docker CLI, or run `devc doctor`.',
    });
  }
  if (out.exitCode !== 0 && UNREACHABLE.test(out.stderr)) throw engineUnreachable(out.stderr.trim());
  if (out.exitCode !== 0 && !options.allowFailure) {
    throw new DevcError(`docker ${args[0] ?? ''} failed: ${lastLine(out.stderr)}`, {
      details: out.stderr.trim(),
    });
  }
  return out;
}

/** Runs the docker CLI with the caller's terminal attached; resolves to its exit code. */
export function dockerInteractive(args: string[]): Promise<{ exitCode: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn('docker', args, { stdio: 'inherit' });
    child.on('error', reject);
    child.on('close', (code, signal) =>
      resolve({ exitCode: code ?? (signal ? 128 + (osConstants.signals[signal] ?? 1) : 1) }),
    );
  });
}

function lastLine(text: string): string {
  const lines = text.trim().split('\n').filter(Boolean);
  return lines.at(-1) ?? 'no output';
}
