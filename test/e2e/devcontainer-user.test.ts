// A repository's own image whose PID 1 is not root (a Dockerfile ending in `USER dev`, or a config's
// containerUser): devc's agent, started beside it as root, still starts, and `devc logs` shows its
// lines, on the local engine and on a remote one. Root without CAP_SYS_PTRACE can't open /proc/1/fd/1
// of a PID 1 of another user.
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { devc, devcEnv, json, uniquePrefix } from './support/devc.js';
import { removeWorkspaces } from './support/docker.js';
import { startGitServer, type GitServer } from './support/git-server.js';
import { removeRemoteWorkspaces, startEngine, type Engine } from './support/remote-engine.js';

const prefix = uniquePrefix('dcuser');
const userImage = `devc-test/container-user:${prefix}`;
let git: GitServer;
let env: NodeJS.ProcessEnv;
let remoteEnv: NodeJS.ProcessEnv;
let engine: Engine;

beforeAll(async () => {
  git = await startGitServer();
  env = await devcEnv({ DEVC_GITHUB_URL: git.baseUrl });
  remoteEnv = await devcEnv({
    DEVC_GITHUB_URL: git.baseUrl,
    DOCKER_HOST: (engine = await startEngine()).ssh,
  });
  // A stand-in for a published image with a non-root user (Docker Hub is out of reach here).
  await execa('docker', ['build', '-q', '-t', userImage, '-'], {
    input: 'FROM debian:bookworm-slim\nRUN useradd -m -u 1000 -s /bin/bash app\n',
  });
  await git.createRepo(`acme/${prefix}-dockerfile`, {
    '.devcontainer/devcontainer.json': JSON.stringify({ build: { dockerfile: 'Dockerfile' } }),
    '.devcontainer/Dockerfile':
      'FROM debian:bookworm-slim\nRUN useradd -m -u 1001 -s /bin/bash dev\nUSER dev\n',
  });
  await git.createRepo(`acme/${prefix}-image`, {
    '.devcontainer.json': JSON.stringify({ image: userImage, containerUser: 'app' }),
  });
});

afterAll(async () => {
  await removeWorkspaces(prefix);
  if (engine) await removeRemoteWorkspaces(engine, prefix);
  await execa('docker', ['rmi', '-f', userImage], { reject: false });
  await git?.close();
});

/** PID 1's user inside the workspace's container, as the kernel sees it. */
async function pid1User(name: string, on: NodeJS.ProcessEnv): Promise<string> {
  const args = ['exec', `devc-${name}`, 'awk', '/^Uid:/ {print $2}', '/proc/1/status'];
  return (await execa('docker', args, { env: on })).stdout.trim();
}

describe('devcontainer images with a non-root user', () => {
  it.each([
    ['dockerfile', 'dev', '1001', 'local'],
    ['image', 'app', '1000', 'local'],
    ['dockerfile', 'dev', '1001', 'remote'],
  ])(
    '%s: the agent starts beside a PID 1 of user %s (uid %s), on up and on a later start (%s engine)',
    async (repo, user, uid, engine) => {
      const on = engine === 'remote' ? remoteEnv : env;
      const up = await devc(['up', `acme/${prefix}-${repo}`, '--json'], on);
      expect(up.exitCode, up.stderr).toBe(0);
      const name = json<{ name: string }>(up).name;
      expect(await pid1User(name, on)).toBe(uid);
      expect((await devc(['ssh', '-w', name, '--', 'id', '-un'], on)).stdout).toBe(`${user}\n`);
      const logs = await devc(['logs', '-w', name], on);
      expect(logs.stdout).toMatch(new RegExp(`^devc-agent: starting for ${name} as ${user} `, 'm'));

      // A start runs the agent again beside the new PID 1, its lines in the same log.
      expect((await devc(['stop', '-w', name], on)).exitCode).toBe(0);
      const again = await devc(['start', '-w', name], on);
      expect(again.exitCode, again.stderr).toBe(0);
      expect((await devc(['ssh', '-w', name, '--', 'id', '-un'], on)).stdout).toBe(`${user}\n`);
      const after = await devc(['logs', '-w', name], on);
      expect(after.stdout.match(new RegExp(`^devc-agent: starting for ${name} `, 'gm'))).toHaveLength(2);
      const removed = await devc(['delete', '-w', name, '--force'], on);
      expect(removed.exitCode, removed.stderr).toBe(0);
    },
  );
});
