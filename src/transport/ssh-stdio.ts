import net from 'node:net';
import type { Context } from '../context.js';
import { DevcError } from '../errors.js';
import { ensureRunning, selectWorkspace } from '../services/select.js';

/** `NAME.devc` (what ssh passes as %h) → `NAME`. */
export function workspaceFromHost(host: string): string {
  return host.replace(/\.devc\.?$/i, '');
}

/**
 * ProxyCommand mode: joins this process's stdin and stdout to the workspace's sshd. stdout carries
 * the SSH stream and nothing else; a stopped workspace is started first (saying so on stderr).
 * The fast path asks the engine once (the endpoint) and connects.
 */
export async function sshStdio(ctx: Context, host: string | undefined): Promise<void> {
  const name = host === undefined ? undefined : workspaceFromHost(host);
  // Fast path: a running workspace's endpoint is one engine call away.
  let endpoint = name === undefined ? undefined : await fastEndpoint(ctx, name);
  let label = name ?? '';
  if (!endpoint) {
    const selected = await selectWorkspace(ctx, name);
    const workspace = await ensureRunning(ctx, selected);
    endpoint = await selected.backend.endpoint(workspace.name, 2222);
    label = workspace.name;
  }
  const { host: sshHost, port: sshPort } = endpoint;
  const socket = await new Promise<net.Socket>((resolve, reject) => {
    const s = net.connect({ host: sshHost, port: sshPort, allowHalfOpen: true, noDelay: true });
    s.once('connect', () => resolve(s));
    s.once('error', (error) =>
      reject(
        new DevcError(`Can't reach the SSH server of workspace ${label}.`, {
          hint: `Run \`devc up\` or \`devc ssh -w ${label}\`.`,
          details: error.message,
        }),
      ),
    );
  });
  const { stdin, stdout } = ctx.io;
  await new Promise<void>((resolve) => {
    socket.on('error', () => resolve());
    socket.on('close', () => resolve());
    stdin.pipe(socket);
    socket.pipe(stdout);
    // ssh closing our stdin means the session is over.
    stdin.on('end', () => socket.end());
  });
  stdin.unpipe(socket);
  stdin.destroy();
}

async function fastEndpoint(ctx: Context, name: string): Promise<{ host: string; port: number } | undefined> {
  try {
    const backend = await ctx.backend();
    return await backend.endpoint(name, 2222);
  } catch {
    return undefined;
  }
}
