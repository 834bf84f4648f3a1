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
export function engineUnreachable(detail?: string, env: NodeJS.ProcessEnv = process.env): EngineError {
  const remote = detail ? remoteEngineFailure(detail, env) : undefined;
  if (remote) return remote;
  return new EngineError("Can't reach the Docker engine.", {
    hint: 'Start Docker (or check DOCKER_HOST), or run `devc doctor`.',
    ...(detail ? { details: detail } : {}),
  });
}

/**
 * A remote engine's failure said in one line: the ssh connection's own reason (refused, key, host key),
 * or the TLS check that failed, with where to look; undefined for anything else.
 */
export function remoteEngineFailure(detail: string, env: NodeJS.ProcessEnv): EngineError | undefined {
  const host = env.DOCKER_HOST ?? `the docker context ${env.DOCKER_CONTEXT ?? 'in use'}`;
  const ssh = /dial-stdio\] has exited with exit status \d+.*?stderr=(.+)$/ms.exec(detail)?.[1];
  if (ssh)
    return new EngineError(`Can't reach the Docker engine at ${host}: ${lastLine(ssh).replace(/\.$/, '')}.`, {
      hint: 'Check that `ssh HOST docker version` works from here (key, known_hosts), or run `devc doctor`.',
    });
  const tls = /(tls: .*|x509: .*|remote error: tls: .*)$/m.exec(detail)?.[1];
  if (tls)
    return new EngineError(`The Docker engine at ${host} failed the TLS check: ${tls.replace(/\.$/, '')}.`, {
      hint: 'Point DOCKER_CERT_PATH at the ca.pem, cert.pem and key.pem made for this engine.',
    });
  return undefined;
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
  if (out.exitCode !== 0 && UNREACHABLE.test(out.stderr))
    throw engineUnreachable(out.stderr.trim(), options.env ?? process.env);
  if (out.exitCode !== 0 && !options.allowFailure) {
    throw new DevcError(`docker ${args[0] ?? ''} failed: ${lastLine(out.stderr)}`, {
      details: out.stderr.trim(),
      ...engineHint(out.stderr),
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

/**
 * The next step for an engine's refusal devc knows: rootful Podman raises every container's open-files
 * and process limits, which fails where it lacks CAP_SYS_RESOURCE (inside another container or VM sandbox).
 */
export function engineHint(stderr: string): { hint?: string } {
  if (/error setting rlimit/i.test(stderr))
    return {
      hint: "The engine can't raise container limits here: set default_ulimits (docs/engines.md, Podman).",
    };
  return {};
}

function lastLine(text: string): string {
  const lines = text.trim().split('\n').filter(Boolean);
  return lines.at(-1) ?? 'no output';
}
