import type { Backend } from '../backends/backend.js';
import type { Context } from '../context.js';
import { DevcError } from '../errors.js';
import { pinHostKey } from '../ssh/known-hosts.js';
import { sshAnswers, waitFor } from '../transport/wait.js';

/** Waits until the workspace's sshd answers, then pins its host key (read through the engine, not the network). */
export async function waitUntilReady(
  ctx: Context,
  backend: Backend,
  name: string,
  timeoutMs = 90_000,
): Promise<void> {
  await waitFor(
    `the SSH server of workspace ${name}`,
    async () => {
      const workspace = await backend.find(name);
      if (!workspace) throw new DevcError(`Workspace ${name} disappeared while starting.`);
      if (workspace.state === 'exited' || workspace.state === 'failed') {
        throw new DevcError(`Workspace ${name} ${workspace.stateReason ?? 'stopped'} while starting.`, {
          hint: `See \`devc logs -w ${name}\`.`,
        });
      }
      if (workspace.state !== 'running') return false;
      const endpoint = await backend.endpoint(name, 2222);
      return sshAnswers(endpoint.host, endpoint.port);
    },
    { timeoutMs, signal: ctx.signal },
  );
  const key = await backend.exec(name, ['cat', '/etc/ssh/ssh_host_ed25519_key.pub'], { user: 'root' });
  if (key.exitCode !== 0 || !key.stdout.trim()) {
    throw new DevcError(`Can't read the SSH host key of workspace ${name}.`, { details: key.stderr });
  }
  await pinHostKey(ctx.paths.knownHosts, name, key.stdout);
}
