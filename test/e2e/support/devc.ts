import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const bin = path.join(root, 'bin', 'devc');

export interface Run {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** An isolated devc: its own DEVC_HOME, CI mode, no tokens from the outer environment. */
export async function devcEnv(extra: Record<string, string> = {}): Promise<NodeJS.ProcessEnv> {
  const home = await mkdtemp(path.join(os.tmpdir(), 'devc-home-'));
  const env: NodeJS.ProcessEnv = { ...process.env, DEVC_HOME: home, CI: '1', ...extra };
  delete env.GITHUB_TOKEN;
  delete env.GH_TOKEN;
  return { ...env, ...extra };
}

/**
 * Removes a test's DEVC_HOME: first the forwarder service of that home (it writes its state there
 * until it exits, and an rm racing it fails with ENOTEMPTY), then the folder.
 */
export async function removeHome(home: string | undefined): Promise<void> {
  if (!home) return;
  const pid = Number(await readFile(path.join(home, 'forwarder', 'pid'), 'utf8').catch(() => ''));
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  if (pid > 0 && cmdline.includes('forwarder')) {
    const alive = (): boolean => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    process.kill(pid, 'SIGTERM');
    for (let i = 0; i < 50 && alive(); i++) await new Promise((r) => setTimeout(r, 100));
    if (alive()) process.kill(pid, 'SIGKILL');
  }
  await rm(home, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
}

/** Runs the built bin/devc as a user would. */
export async function devc(
  args: string[],
  env: NodeJS.ProcessEnv,
  options: { cwd?: string; input?: string; timeoutMs?: number } = {},
): Promise<Run> {
  const result = await devcProcess(args, env, options);
  return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
}

/** Starts bin/devc without waiting (for signals, concurrency). */
export function devcProcess(
  args: string[],
  env: NodeJS.ProcessEnv,
  options: { cwd?: string; input?: string; timeoutMs?: number } = {},
): ResultPromise {
  return execa(bin, args, {
    env,
    extendEnv: false,
    reject: false,
    stripFinalNewline: false,
    cwd: options.cwd ?? os.tmpdir(),
    timeout: options.timeoutMs ?? 600_000,
    ...(options.input !== undefined ? { input: options.input } : { stdin: 'ignore' as const }),
  });
}

/**
 * The one-time login link `devc code --web --no-open` prints (it keeps running to serve it), at the
 * workspace's own host name (http://NAME.devc.localhost:PORT/devc-login/…): open it with `browserGet`.
 */
export function loginLink(child: ResultPromise): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = /^(http:\/\/[a-z0-9-]+\.devc\.localhost:\d+\/devc-login\/\S+)\n/m.exec(out);
      if (line?.[1]) resolve(line[1]);
    });
    void child.then((r) =>
      reject(
        new Error(
          `devc code ended before printing a link (exit ${String(r.exitCode)}, signal ${String(r.signal)}):\n` +
            `stdout: ${String(r.stdout)}\nstderr: ${String(r.stderr)}`,
        ),
      ),
    );
  });
}

/** Parses stdout as JSON, failing with the whole run in the message when it is not. */
export function json<T = Record<string, unknown>>(run: Run): T {
  try {
    return JSON.parse(run.stdout) as T;
  } catch {
    throw new Error(
      `stdout is not JSON (exit ${run.exitCode}):\n${run.stdout}\n--- stderr ---\n${run.stderr}`,
    );
  }
}

/** A short random prefix so parallel or leftover runs never collide. */
export function uniquePrefix(tag: string): string {
  return `${tag}${Math.random().toString(36).slice(2, 7)}`;
}
