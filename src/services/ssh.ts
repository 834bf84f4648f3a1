import { execa } from 'execa';
import { hasAttachHooks } from '../backends/backend.js';
import type { Context } from '../context.js';
import { DevcError } from '../errors.js';
import { localAgent } from '../ssh/agent.js';
import { remoteCommand, sshArgs } from '../ssh/client.js';
import { requireKey } from '../ssh/keys.js';
import { ensureRunning, selectWorkspace } from './select.js';

export interface SshOptions {
  /** Forward the local ssh-agent (SSH_AUTH_SOCK) into the session, as `ssh -A` does. */
  forwardAgent?: boolean;
}

/** Runs the system OpenSSH client against a workspace; resolves to the remote command's exit code. */
export async function sshInto(
  ctx: Context,
  name: string | undefined,
  command: string[],
  options: SshOptions = {},
): Promise<number> {
  // Checked first: a missing agent is the user's to fix before anything starts.
  const agent = options.forwardAgent ? await localAgent(ctx.env) : null;
  if (agent?.keys === 0)
    ctx.io.warn('Your ssh-agent holds no keys: `ssh-add` adds yours (forwarding it anyway).');
  const selected = await selectWorkspace(ctx, name);
  await requireKey(ctx.paths, selected.workspace.name);
  const workspace = await ensureRunning(ctx, selected);
  if (hasAttachHooks(selected.backend)) await selected.backend.attached(workspace);
  const endpoint = await selected.backend.endpoint(workspace.name, 2222);
  const tty = command.length === 0 && Boolean(ctx.io.stdin.isTTY) && Boolean(ctx.io.stdout.isTTY);
  const args = [
    ...sshArgs(ctx.paths, workspace.name, endpoint, {
      tty,
      user: workspace.user,
      forwardAgent: Boolean(agent),
    }),
    remoteCommand(workspace.folder, command),
  ];
  // ssh forwards the agent named in its own SSH_AUTH_SOCK: the one this call was given.
  const env = agent ? { SSH_AUTH_SOCK: agent.socket } : {};
  const result = await execa('ssh', args, { stdio: 'inherit', reject: false, env });
  if (result.exitCode === undefined) {
    throw new DevcError("Can't run the `ssh` command.", {
      hint: 'Install the OpenSSH client, or run `devc doctor`.',
    });
  }
  return result.exitCode;
}
