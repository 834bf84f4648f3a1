// A real ssh-agent for tests, in a folder of its own, holding one new ed25519 key.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';

export interface TestAgent {
  socket: string;
  /** The key it holds, as an authorized_keys line (comment `tester`). */
  publicKey: string;
  stop(): void;
}

/** Starts `ssh-agent -D` on `dir/agent.sock` and adds a key made in `dir`; resolves once it answers. */
export async function startSshAgent(dir: string): Promise<TestAgent> {
  const socket = path.join(dir, 'agent.sock');
  const agent = spawn('ssh-agent', ['-D', '-a', socket], { stdio: 'ignore' });
  const key = path.join(dir, 'id_ed25519');
  const keygen = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'tester', '-f', key]);
  expect(keygen.status).toBe(0);
  const env = { SSH_AUTH_SOCK: socket };
  // ssh-add -l exits 2 until the agent listens, 1 once it answers with no keys.
  for (let i = 0; i < 100 && spawnSync('ssh-add', ['-l'], { env }).status === 2; i++)
    await new Promise((r) => setTimeout(r, 50));
  expect(spawnSync('ssh-add', ['-q', key], { env }).status).toBe(0);
  return { socket, publicKey: readFileSync(`${key}.pub`, 'utf8').trim(), stop: () => agent.kill() };
}
