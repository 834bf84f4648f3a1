import { spawn } from 'node:child_process';
import { Duplex } from 'node:stream';
import type { Paths } from '../paths.js';
import { sshArgs } from '../ssh/client.js';

/**
 * A connection to `port` on the workspace's own loopback, through its sshd (`ssh -W`). Slower to open
 * than the direct path (one SSH handshake), and used only for servers that listen on 127.0.0.1 or ::1
 * inside the workspace, which the workspace's address cannot reach.
 */
export function dialViaSsh(
  paths: Paths,
  workspace: string,
  user: string,
  sshEndpoint: { host: string; port: number },
  port: number,
): Duplex {
  const args = sshArgs(paths, workspace, sshEndpoint, { tty: false, user });
  const destination = args.pop() ?? '';
  const child = spawn('ssh', [...args, '-W', `127.0.0.1:${port}`, destination], {
    stdio: ['pipe', 'pipe', 'ignore'],
  });
  const stream = Duplex.from({ readable: child.stdout, writable: child.stdin });
  child.on('error', (error) => stream.destroy(error));
  stream.on('close', () => child.kill());
  return stream;
}
