import path from 'node:path';
import { execa } from 'execa';
import { expect } from 'vitest';
import { root } from './devc.js';

/**
 * A second Docker engine in its own network namespace (test/remote/engine.sh), reached only over
 * ssh:// through an sshd there, and over tcp:// with TLS: its container addresses don't route from
 * here, as with Docker Desktop or a bigger machine. docs/engines.md "Remote engines".
 */
export interface Engine {
  ssh: string;
  tcp: string;
  certs: string;
  badCerts: string;
}

/** Starts the remote engine (idempotent) and returns how to reach it. */
export async function startEngine(): Promise<Engine> {
  const up = await execa('bash', [path.join(root, 'test/remote/engine.sh'), 'up'], { reject: false });
  expect(up.exitCode, String(up.stderr)).toBe(0);
  const vars = Object.fromEntries(
    [...String(up.stdout).matchAll(/^export (\w+)=(.*)$/gm)].map((m) => [m[1], m[2]]),
  );
  return {
    ssh: vars.DEVC_REMOTE_SSH!,
    tcp: vars.DEVC_REMOTE_TCP!,
    certs: vars.DEVC_REMOTE_CERTS!,
    badCerts: vars.DEVC_REMOTE_BAD_CERTS!,
  };
}

/** Removes, on the remote engine, the workspace containers and volumes whose names start with devc-<prefix>. */
export async function removeRemoteWorkspaces(engine: Engine, prefix: string): Promise<void> {
  const remote = async (args: string[]): Promise<string[]> => {
    const run = await execa('docker', args, { env: { DOCKER_HOST: engine.ssh }, reject: false });
    return String(run.stdout).split('\n').filter(Boolean);
  };
  const ids = await remote(['ps', '-aq', '--filter', `name=devc-${prefix}`]);
  if (ids.length) await remote(['rm', '-f', ...ids]);
  const volumes = await remote(['volume', 'ls', '-q', '--filter', `name=devc-${prefix}`]);
  if (volumes.length) await remote(['volume', 'rm', '-f', ...volumes]);
}
