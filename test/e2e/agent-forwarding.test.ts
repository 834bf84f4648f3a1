// ssh-agent forwarding and commit signing against a real workspace: a real ssh-agent started here with
// a fresh ed25519 key, the real OpenSSH client through `devc ssh -A` and through `ssh NAME.devc` after
// `devc config-ssh --forward-agent`, and a commit signed in the workspace verified on this machine.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { devc, devcEnv, json, uniquePrefix } from './support/devc.js';
import { removeWorkspaces } from './support/docker.js';
import { startGitServer, type GitServer } from './support/git-server.js';
import { startSshAgent, type TestAgent } from './support/ssh-agent.js';
import { leftovers } from './support/leftovers.js';

const prefix = uniquePrefix('af');
const name = `${prefix}-sign`;
let git: GitServer;
let dir: string;
let agent: TestAgent | undefined;
let socket: string;
let publicKey: string;
/** devc's environment with the agent, and without any. */
let env: NodeJS.ProcessEnv;
let noAgent: NodeJS.ProcessEnv;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'devc-agent-e2e-'));
  agent = await startSshAgent(dir);
  ({ socket, publicKey } = agent);

  git = await startGitServer();
  env = await devcEnv({ DEVC_GITHUB_URL: git.baseUrl, HOME: path.join(dir, 'home'), SSH_AUTH_SOCK: socket });
  noAgent = { ...env };
  delete noAgent.SSH_AUTH_SOCK;
  await git.createRepo(`acme/${name}`, { 'README.md': 'sign me\n' });
  const up = await devc(['up', `github/acme/${name}`, '--json'], noAgent);
  expect(up.exitCode, up.stderr).toBe(0);
  expect(json<{ name: string }>(up).name).toBe(name);
});

afterAll(async () => {
  agent?.stop();
  await removeWorkspaces(prefix);
  await git?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('devc ssh -A', () => {
  it('forwards the local agent: ssh-add -L in the workspace lists its key', async () => {
    const run = await devc(['ssh', '-A', '-w', name, '--', 'ssh-add', '-L'], env);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout.trim()).toBe(publicKey);
  });

  it('without -A nothing is forwarded, even with an agent running here', async () => {
    const run = await devc(
      ['ssh', '-w', name, '--', 'sh', '-c', 'echo "sock=$SSH_AUTH_SOCK"; ssh-add -L'],
      env,
    );
    expect(run.exitCode).toBe(2);
    expect(run.stdout).toContain('sock=\n');
    expect(run.stdout).not.toContain(publicKey);
  });

  /** Each case's environment and first error line, made once beforeAll has run. */
  const cases: Record<string, () => { runEnv: NodeJS.ProcessEnv; message: string }> = {
    'no agent': () => ({
      runEnv: noAgent,
      message: 'There is no ssh-agent to forward: SSH_AUTH_SOCK is not set.',
    }),
    'a dead agent': () => {
      const gone = path.join(dir, 'gone.sock');
      return {
        runEnv: { ...env, SSH_AUTH_SOCK: gone },
        message: `The ssh-agent at SSH_AUTH_SOCK (${gone}) does not answer: no such socket.`,
      };
    },
  };

  it.each(Object.keys(cases))('-A with %s: one-line error with a hint, exit 1, nothing made', async (id) => {
    const { runEnv, message } = cases[id]!();
    const home = String(runEnv.DEVC_HOME);
    const before = await leftovers(home, prefix);
    const run = await devc(['ssh', '-A', '-w', name, '--', 'true'], runEnv);
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr.split('\n')[0]).toBe(`error: ${message}`);
    expect(run.stderr).toContain('ssh-agent');
    expect(await leftovers(home, prefix)).toEqual(before);
  });
});

describe('signing commits with the forwarded key', () => {
  const identity = ['-c', 'user.name=Tester', '-c', 'user.email=tester@example.com'];

  it('git commit -S without a forwarded agent fails, saying how to forward one', async () => {
    const commit = ['git', ...identity, 'commit', '--allow-empty', '-S', '-m', 'unsigned'];
    const run = await devc(['ssh', '-w', name, '--', ...commit], env);
    expect(run.exitCode).not.toBe(0);
    expect(run.stderr).toContain('no ssh-agent here to sign with: connect with `devc ssh -A`');
  });

  it('git commit -S in the workspace is signed with it; git verify-commit accepts it here', async () => {
    const commit = [
      'git',
      ...identity,
      'commit',
      '-q',
      '--allow-empty',
      '-S',
      '-m',
      'signed in the workspace',
    ];
    const run = await devc(['ssh', '-A', '-w', name, '--', ...commit], env);
    expect(run.exitCode, run.stderr).toBe(0);
    // The workspace's clone is a folder of devc's on this machine: verified here, with keys of our own.
    const clone = path.join(env.DEVC_HOME!, 'workspaces', name, 'src', name);
    const allowed = path.join(dir, 'allowed_signers');
    writeFileSync(allowed, `tester@example.com namespaces="git" ${publicKey}\n`);
    const host = (args: string[]) =>
      execa('git', ['-C', clone, '-c', 'safe.directory=*', ...args], { reject: false, env: { HOME: dir } });
    const verify = await host(['-c', `gpg.ssh.allowedSignersFile=${allowed}`, 'verify-commit', 'HEAD']);
    expect(verify.exitCode, verify.stderr).toBe(0);
    expect(verify.stderr).toContain('Good "git" signature for tester@example.com');
    expect((await host(['log', '-1', '--format=%s'])).stdout).toBe('signed in the workspace');
    // Against another key it does not verify: the check can fail.
    const other = path.join(dir, 'other');
    spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', other]);
    writeFileSync(allowed, `tester@example.com namespaces="git" ${readFileSync(`${other}.pub`, 'utf8')}`);
    expect(
      (await host(['-c', `gpg.ssh.allowedSignersFile=${allowed}`, 'verify-commit', 'HEAD'])).exitCode,
    ).not.toBe(0);
  });
});

describe('ssh NAME.devc after devc config-ssh --forward-agent', () => {
  const userConfig = () => path.join(env.HOME!, '.ssh', 'config');
  /** The real OpenSSH client; ssh reads ~ from the passwd entry, not HOME, so -F names the file. */
  const ssh = (args: string[]) =>
    execa('ssh', ['-F', userConfig(), `${name}.devc`, ...args], { env, reject: false, timeout: 120_000 });

  it('forwards the agent only once asked to', async () => {
    expect((await devc(['config-ssh'], env)).exitCode).toBe(0);
    const off = await ssh(['ssh-add', '-L']);
    expect(off.exitCode).toBe(2);

    const on = await devc(['config-ssh', '--forward-agent'], env);
    expect(on.exitCode, on.stderr).toBe(0);
    expect(on.stderr).toContain('can use your keys while you are connected');
    expect(readFileSync(path.join(env.DEVC_HOME!, 'ssh', 'config'), 'utf8')).toContain(
      '  ForwardAgent yes\n',
    );
    const forwarded = await ssh(['ssh-add', '-L']);
    expect(forwarded.exitCode, String(forwarded.stderr)).toBe(0);
    expect(String(forwarded.stdout).trim()).toBe(publicKey);

    // Running it again keeps the choice; --no-forward-agent takes it back.
    expect((await devc(['config-ssh'], env)).exitCode).toBe(0);
    expect((await ssh(['ssh-add', '-L'])).exitCode).toBe(0);
    expect((await devc(['config-ssh', '--no-forward-agent'], env)).exitCode).toBe(0);
    expect((await ssh(['ssh-add', '-L'])).exitCode).toBe(2);
  });
});
