import type { Backend, ExecResult } from '../backends/backend.js';
import type { Context } from '../context.js';
import { CancelledError, DevcError } from '../errors.js';
import { isPinned, pinHostKey } from '../ssh/known-hosts.js';
import { sshAnswers } from '../transport/wait.js';

// The agent marks a host key it made itself; before the mark, the key may still be the image's own.
const READ_HOST_KEY = [
  'sh',
  '-c',
  'test -f /etc/ssh/.devc-host-key && cat /etc/ssh/ssh_host_ed25519_key.pub',
];

/** Waits until the workspace's sshd answers, then pins its host key (read through the engine, not the network). */
export async function waitUntilReady(
  ctx: Context,
  backend: Backend,
  name: string,
  timeoutMs = 90_000,
  /** The same container as when it was pinned (a resume): keep the pin instead of reading the key again. */
  keepPin = false,
): Promise<void> {
  const pinned = keepPin && (await isPinned(ctx.paths.knownHosts, name));
  const deadline = Date.now() + timeoutMs;
  let endpoint: { host: string; port: number } | undefined;
  let checkedAt = 0;
  // Read while sshd starts (on a resume the key is already there): the engine round trip overlaps the wait.
  let earlyKey: Promise<ExecResult | undefined> | undefined;
  for (let delay = 25; ; delay = Math.min(delay * 1.5, 250)) {
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
      if (workspace.state === 'exited' || workspace.state === 'failed') {
        throw new DevcError(`Workspace ${name} ${workspace.stateReason ?? 'stopped'} while starting.`, {
          hint: `See \`devc logs -w ${name}\`.`,
        });
      }
      if (workspace.state === 'running') {
        endpoint ??= port ?? (await backend.endpoint(name, 2222));
        if (!pinned) earlyKey ??= backend.exec(name, READ_HOST_KEY, { user: 'root' }).catch(() => undefined);
      }
    }
    if (endpoint && (await sshAnswers(endpoint.host, endpoint.port))) break;
    if (Date.now() > deadline)
      throw new DevcError(
        `Timed out after ${Math.round(timeoutMs / 1000)} s waiting for the SSH server of workspace ${name}.`,
        {
          hint: 'See `devc logs` for what the workspace printed.',
        },
      );
    await new Promise((r) => setTimeout(r, delay));
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
