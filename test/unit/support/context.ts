import { mkdtemp, realpath } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Backend } from '../../../src/backends/backend.js';
import { createContext } from '../../../src/context.js';
import { resolvePaths } from '../../../src/paths.js';
import { createProgress } from '../../../src/ui/progress.js';
import { ensureHomeId } from '../../../src/workspace/home-id.js';
import { testIO } from './io.js';
import { memoryKeychain } from './keychain.js';

/**
 * A Context on `backend` with a DEVC_HOME (and its id) in a new temporary folder, which is also HOME
 * and the working directory (or `cwd`, a folder in it).
 */
export async function serviceContext(
  backend: Backend,
  options: {
    cwd?: string;
    env?: NodeJS.ProcessEnv;
    tty?: boolean;
    /** Another backend for Kubernetes (default: `backend` for both kinds). */
    kubernetes?: Backend;
  } = {},
) {
  const root = await realpath(await mkdtemp(path.join(os.tmpdir(), 'devc-svc-')));
  const env: NodeJS.ProcessEnv = {
    DEVC_HOME: path.join(root, 'devc-home'),
    HOME: root,
    // Set, so no `git config --global` is asked for the workspace's git identity.
    GIT_USER_NAME: 'Test User',
    GIT_USER_EMAIL: 'test@example.test',
    ...options.env,
  };
  const homeId = await ensureHomeId(resolvePaths(env));
  const t = testIO({ tty: options.tty ?? false });
  const ctx = createContext({
    io: t.io,
    env,
    cwd: path.join(root, options.cwd ?? ''),
    backendFactory: (kind) =>
      Promise.resolve(kind === 'kubernetes' ? (options.kubernetes ?? backend) : backend),
    // Never the machine's own keychain: a developer's real token must not reach a unit test.
    systemKeychain: memoryKeychain().system,
    // Never the machine's engine: the agent is a name, as if built.
    agent: {
      image: () => Promise.resolve('sha256:0123456789abcdef'),
      volume: () => Promise.resolve('devc-agent-test'),
    },
  });
  return { ctx, t, root, homeId, progress: createProgress(t.io) };
}

/** A loopback server that greets like sshd, for waits on a workspace's SSH server. */
export async function sshGreeter(): Promise<{ port: number; close: () => void }> {
  const server = net.createServer((socket) => socket.end('SSH-2.0-OpenSSH_9.2\r\n'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('The greeter has no port.');
  return { port: address.port, close: () => server.close() };
}
