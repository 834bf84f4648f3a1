// Agent forwarding and signing, on this machine's own OpenSSH and git: devc's check of the local
// ssh-agent (src/ssh/agent.ts), the -A and ForwardAgent it writes, and the agent's `signing-key`
// (images/agent/lib/devc-agent/credentials.sh) as git runs it.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContext } from '../../src/context.js';
import { resolvePaths } from '../../src/paths.js';
import { configSsh, refreshSshConfig } from '../../src/services/config-ssh.js';
import { localAgent } from '../../src/ssh/agent.js';
import { sshArgs } from '../../src/ssh/client.js';
import { devcSshConfig, forwardsAgent } from '../../src/ssh/config.js';
import { testIO } from './support/io.js';

const AGENT = path.resolve('images/agent/bin/devc-agent');
let dir: string;
const agents: ChildProcess[] = [];
let withKey: string;
let empty: string;
let publicKey: string;

/** A real ssh-agent in the foreground on its own socket; stopped in afterAll. */
async function startAgent(socket: string): Promise<void> {
  const agent = spawn('ssh-agent', ['-D', '-a', socket], { stdio: 'ignore' });
  agents.push(agent);
  for (let i = 0; i < 100; i++) {
    if (spawnSync('ssh-add', ['-l'], { env: { SSH_AUTH_SOCK: socket } }).status !== 2) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`ssh-agent did not start on ${socket}`);
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'devc-agentfwd-'));
  withKey = path.join(dir, 'with-key.sock');
  empty = path.join(dir, 'empty.sock');
  await startAgent(withKey);
  await startAgent(empty);
  const key = path.join(dir, 'id_ed25519');
  expect(spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'tester', '-f', key]).status).toBe(
    0,
  );
  expect(spawnSync('ssh-add', ['-q', key], { env: { SSH_AUTH_SOCK: withKey } }).status).toBe(0);
  publicKey = readFileSync(`${key}.pub`, 'utf8').trim();
});

afterAll(() => {
  for (const agent of agents) agent.kill();
  rmSync(dir, { recursive: true, force: true });
});

describe('the local ssh-agent devc forwards', () => {
  it('is found and counted', async () => {
    await expect(localAgent({ SSH_AUTH_SOCK: withKey })).resolves.toEqual({ socket: withKey, keys: 1 });
    await expect(localAgent({ SSH_AUTH_SOCK: empty })).resolves.toEqual({ socket: empty, keys: 0 });
  });

  it('missing: a one-line error that says how to start one', async () => {
    await expect(localAgent({})).rejects.toMatchObject({
      message: 'There is no ssh-agent to forward: SSH_AUTH_SOCK is not set.',
      hint: expect.stringContaining('ssh-agent'),
    });
  });

  it.each([
    ['no such socket', () => path.join(dir, 'gone.sock'), 'no such socket'],
    [
      'a plain file',
      () => (writeFileSync(path.join(dir, 'file'), ''), path.join(dir, 'file')),
      'ECONNREFUSED',
    ],
  ])('dead (%s): says so', async (_name, socket, reason) => {
    const at = socket();
    await expect(localAgent({ SSH_AUTH_SOCK: at })).rejects.toMatchObject({
      message: `The ssh-agent at SSH_AUTH_SOCK (${at}) does not answer: ${reason}.`,
    });
  });

  it('a socket that is no agent: says so', async () => {
    const socket = path.join(dir, 'other.sock');
    const server = createServer((c) => c.end(Buffer.from([0, 0, 0, 5, 5, 0, 0, 0, 0])));
    await new Promise<void>((r) => server.listen(socket, r));
    try {
      await expect(localAgent({ SSH_AUTH_SOCK: socket })).rejects.toMatchObject({
        message: expect.stringContaining('not an ssh-agent'),
      });
    } finally {
      server.close();
    }
  });
});

describe('what devc asks ssh to do', () => {
  const paths = resolvePaths({ DEVC_HOME: '/h' });
  const endpoint = { host: '127.0.0.1', port: 4022 };

  it('devc ssh forwards the agent only with -A', () => {
    expect(sshArgs(paths, 'shop', endpoint, { tty: false })).not.toContain('-A');
    expect(sshArgs(paths, 'shop', endpoint, { tty: false, forwardAgent: true })).toContain('-A');
  });

  it('devc ssh config: ForwardAgent yes only when asked, and read back', () => {
    const off = devcSshConfig(paths, 'p %h');
    const on = devcSshConfig(paths, 'p %h', {}, { forwardAgent: true });
    expect(off).not.toContain('ForwardAgent');
    expect(on).toMatch(/^Host \*\.devc\n(?: {2}.*\n)* {2}ForwardAgent yes\n/m);
    expect([forwardsAgent(off), forwardsAgent(on)]).toEqual([false, true]);
  });

  it('config-ssh keeps the choice until told otherwise, and so does a refresh', async () => {
    const env = { HOME: path.join(dir, 'home'), DEVC_HOME: path.join(dir, 'devc') };
    const ctx = createContext({ io: testIO({ env }).io, env });
    const file = () => readFileSync(ctx.paths.sshConfig, 'utf8');
    expect((await configSsh(ctx, { devcScript: '/x/devc' })).forwardAgent).toBe(false);
    expect(file()).not.toContain('ForwardAgent');
    const on = await configSsh(ctx, { devcScript: '/x/devc', forwardAgent: true });
    expect(on.actions[0]).toContain('forwarding your ssh-agent');
    expect(file()).toContain('  ForwardAgent yes\n');
    expect((await configSsh(ctx, { devcScript: '/x/devc' })).forwardAgent).toBe(true);
    await refreshSshConfig(ctx);
    expect(file()).toContain('  ForwardAgent yes\n');
    await configSsh(ctx, { devcScript: '/x/devc', forwardAgent: false });
    expect(file()).not.toContain('ForwardAgent');
  });
});

describe("the agent's signing key (git's gpg.ssh.defaultKeyCommand)", () => {
  const signingKey = (env: NodeJS.ProcessEnv) =>
    spawnSync('sh', [AGENT, 'signing-key'], { encoding: 'utf8', env: { PATH: process.env.PATH, ...env } });

  it("is the forwarded agent's first key, in git's key:: form", () => {
    const r = signingKey({ SSH_AUTH_SOCK: withKey });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`key::${publicKey}\n`);
  });

  it.each([
    ['no agent forwarded', false, 'no ssh-agent here to sign with: connect with `devc ssh -A`'],
    ['an agent without keys', true, 'the forwarded ssh-agent holds no keys'],
  ])('%s: exit 1 and what to do', (_name, withEmptyAgent, message) => {
    const r = signingKey(withEmptyAgent ? { SSH_AUTH_SOCK: empty } : {});
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(message);
  });

  it('git commit -S signs with it and git verify-commit accepts the signature', () => {
    const repo = path.join(dir, 'repo');
    const git = (args: string[], env: NodeJS.ProcessEnv = {}) =>
      spawnSync('git', args, {
        cwd: repo,
        encoding: 'utf8',
        env: { PATH: process.env.PATH, HOME: dir, GIT_CONFIG_NOSYSTEM: '1', ...env },
      });
    expect(spawnSync('git', ['init', '-q', repo]).status).toBe(0);
    // The settings the agent writes at every start (git_config in credentials.sh).
    const settings = ['-c', 'gpg.format=ssh', '-c', `gpg.ssh.defaultKeyCommand=sh ${AGENT} signing-key`];
    const identity = ['-c', 'user.name=Tester', '-c', 'user.email=tester@example.com'];
    const commit = [...settings, ...identity, 'commit', '-q', '--allow-empty', '-S', '-m', 'signed'];
    const unsigned = git(commit);
    expect(unsigned.status).not.toBe(0);
    expect(unsigned.stderr).toContain('no ssh-agent here to sign with');

    const signed = git(commit, { SSH_AUTH_SOCK: withKey });
    expect(signed.status, signed.stderr).toBe(0);
    const allowed = path.join(dir, 'allowed_signers');
    writeFileSync(allowed, `tester@example.com namespaces="git" ${publicKey}\n`);
    const verify = git(['-c', `gpg.ssh.allowedSignersFile=${allowed}`, 'verify-commit', 'HEAD']);
    expect(verify.status, verify.stderr).toBe(0);
    expect(verify.stderr).toContain('Good "git" signature for tester@example.com');
  });
});
