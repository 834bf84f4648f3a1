import { execa } from 'execa';
import type { Context } from '../context.js';
import { DevcError } from '../errors.js';
import { remoteCommand, sshArgs } from '../ssh/client.js';
import { requireKey } from '../ssh/keys.js';
import { ensureRunning, selectWorkspace } from './select.js';

/** Runs the system OpenSSH client against a workspace; resolves to the remote command's exit code. */
export async function sshInto(ctx: Context, name: string | undefined, command: string[]): Promise<number> {
  const selected = await selectWorkspace(ctx, name);
  await requireKey(ctx.paths, selected.workspace.name);
  const workspace = await ensureRunning(ctx, selected);
  const endpoint = await selected.backend.endpoint(workspace.name, 2222);
  const tty = command.length === 0 && Boolean(ctx.io.stdin.isTTY) && Boolean(ctx.io.stdout.isTTY);
  const args = [
    ...sshArgs(ctx.paths, workspace.name, endpoint, { tty, user: workspace.user }),
    remoteCommand(workspace.folder, command),
  ];
  const result = await execa('ssh', args, { stdio: 'inherit', reject: false });
  if (result.exitCode === undefined) {
    throw new DevcError("Can't run the `ssh` command.", {
      hint: 'Install the OpenSSH client, or run `devc doctor`.',
    });
  }
  return result.exitCode;
}
