import { appendFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import { hasLogs, type Backend, type ExecResult } from '../backends/backend.js';
import type { Context } from '../context.js';
import type { CreatedWorkspace } from '../workspace/model.js';
import { CancelledError, DevcError } from '../errors.js';
import { isPinned, pinHostKey } from '../ssh/known-hosts.js';
import { sshAnswers } from '../transport/wait.js';
import { backoff } from '../wait/backoff.js';

// The agent marks a host key it made itself; before the mark, the key may still be the image's own.
const READ_HOST_KEY = [
  'sh',
  '-c',
  'test -f /etc/ssh/.devc-host-key && cat /etc/ssh/ssh_host_ed25519_key.pub',
];

/**
 * A workspace `create` just made, ready for SSH with its host key pinned: at once when the backend saw
 * its sshd listen and holds the key (`sshReady`: Kubernetes, whose key devc made), else waitUntilReady.
 */
export async function createdReady(
  ctx: Context,
  backend: Backend,
  workspace: CreatedWorkspace,
  keptLog?: string,
): Promise<void> {
  if (workspace.sshReady) return pinHostKey(ctx.paths.knownHosts, workspace.name, workspace.sshReady.hostKey);
  return waitUntilReady(ctx, backend, workspace.name, undefined, false, keptLog);
}

/** Waits until the workspace's sshd answers, then pins its host key (read through the engine, not the network). */
export async function waitUntilReady(
  ctx: Context,
  backend: Backend,
  name: string,
  timeoutMs = 90_000,
  /** The same container as when it was pinned (a resume): keep the pin instead of reading the key again. */
  keepPin = false,
  /**
   * A new workspace is removed when it fails: its output goes to the end of this log, which the error
   * then names (`devc logs` would find nothing).
   */
  keptLog?: string,
): Promise<void> {
  const pinned = keepPin && (await isPinned(ctx.paths.knownHosts, name));
  const started = Date.now();
  const deadline = started + timeoutMs;
  let endpoint: { host: string; port: number } | undefined;
  let checkedAt = 0;
  let outputReadAt = started;
  const failed = async (message: string): Promise<DevcError> => {
    if (!keptLog)
      return new DevcError(message, { hint: `See \`devc logs -w ${name}\` for what it printed.` });
    await keepOutput(backend, name, keptLog);
    return new DevcError(message, { hint: `What the workspace printed is at the end of ${keptLog}.` });
  };
  // Read while sshd starts (on a resume the key is already there): the engine round trip overlaps the wait.
  let earlyKey: Promise<ExecResult | undefined> | undefined;
  const wait = backoff({ first: 25, max: 250, deadline, signal: ctx.signal });
  for (;;) {
    if (ctx.signal.aborted) throw new CancelledError();
    // The engine is asked until the port is known and then about once a second, to notice a crash;
    // the SSH probe in between is one loopback connection.
    if (!endpoint || Date.now() - checkedAt > 1000) {
      // Both engine questions at once: one round trip instead of two.
      const [workspace, port] = await Promise.all([
        backend.find(name),
        endpoint ? undefined : backend.endpoint(name, 2222).catch(() => undefined),
      ]);
      checkedAt = Date.now();
      if (!workspace) throw new DevcError(`Workspace ${name} disappeared while starting.`);
      if (workspace.state === 'exited' || workspace.state === 'failed')
        throw await failed(`Workspace ${name} ${workspace.stateReason ?? 'stopped'} while starting.`);
      if (workspace.state === 'running') {
        endpoint ??= port ?? (await backend.endpoint(name, 2222));
        if (!pinned) earlyKey ??= backend.exec(name, READ_HOST_KEY, { user: 'root' }).catch(() => undefined);
      }
    }
    if (endpoint && (await sshAnswers(endpoint.host, endpoint.port))) break;
    // A new container's agent says when it can't get ready (a resumed one's output holds older starts):
    // read it every few seconds instead of waiting out the deadline.
    if (endpoint && !keepPin && Date.now() - outputReadAt > 2500) {
      const reason = startupFailure(await recentOutput(backend, name, 100));
      outputReadAt = Date.now();
      if (reason) throw await failed(`Workspace ${name} can't start: ${reason}.`);
    }
    if (wait.expired())
      throw await failed(
        `Timed out after ${Math.round(timeoutMs / 1000)} s waiting for the SSH server of workspace ${name}.`,
      );
    await wait.pause();
  }
  if (pinned) return;
  let key = await earlyKey;
  // sshd starts only after the agent has made its key: now a read can't see the image's old one.
  if (!key || key.exitCode !== 0 || !key.stdout.trim())
    key = await backend.exec(name, ['cat', '/etc/ssh/ssh_host_ed25519_key.pub'], { user: 'root' });
  if (key.exitCode !== 0 || !key.stdout.trim()) {
    throw new DevcError(`Can't read the SSH host key of workspace ${name}.`, { details: key.stderr });
  }
  await pinHostKey(ctx.paths.knownHosts, name, key.stdout);
}

/** Why a new workspace's agent can't get ready, from the workspace's output; undefined while it may. */
export function startupFailure(output: string): string | undefined {
  const lines = output
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const error = lines.find((l) => l.startsWith('devc-agent: error: '));
  if (error) return error.slice('devc-agent: error: '.length).replace(/[.;]+$/, '');
  // The agent could not even be started: its volume is empty or not mounted.
  if (lines.some((l) => /\/opt\/devc\/bin\/devc-agent: (?:not found|No such file)/.test(l)))
    return "devc's agent is missing from /opt/devc in the container";
  // The agent restarts sshd with a growing pause: twice means it is not a passing hiccup.
  if (lines.filter((l) => l === 'devc-agent: sshd exited; restarting').length < 2) return undefined;
  const said = lines.filter((l) => !l.startsWith('devc-agent:') && /sshd/i.test(l)).at(-1);
  return `its SSH server keeps exiting${said ? ` (${said.replace(/[.]+$/, '')})` : ''}`;
}

/** The last lines the workspace printed (its PID 1's stdout and stderr), or '' when they can't be read. */
async function recentOutput(backend: Backend, name: string, lines: number): Promise<string> {
  if (!hasLogs(backend)) return '';
  let text = '';
  const sink = (): Writable =>
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        text += chunk.toString();
        done();
      },
    });
  await backend.logs(name, { tail: lines }, sink(), sink()).catch(() => undefined);
  return text;
}

/** Appends what the workspace printed to the log that outlives it. */
async function keepOutput(backend: Backend, name: string, log: string): Promise<void> {
  const output = await recentOutput(backend, name, 200);
  if (!output.trim()) return;
  try {
    await mkdir(path.dirname(log), { recursive: true });
    await appendFile(log, `\n--- what workspace ${name} printed (its last 200 lines) ---\n${output}`);
  } catch {
    // The error still says what happened; only the log's extra lines are missing.
  }
}
