// ssh-agent forwarding and commit signing on the real test cluster: the pod runs the agent as the
// workspace user (no root), so sshd and git's settings take the rootless path. A real ssh-agent with a
// fresh key; the signed commit is verified inside the pod, against a file naming only that key.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { devc, devcEnv, json, uniquePrefix, removeHome } from '../e2e/support/devc.js';
import { startGitServer, type GitServer } from '../e2e/support/git-server.js';
import { startSshAgent, type TestAgent } from '../e2e/support/ssh-agent.js';
import { createNamespace, deleteNamespace } from './support/backend-env.js';
import { clusterEnv } from './support/cluster.js';

clusterEnv(); // fails the file (never skips) without the cluster's environment
const nodeIp = process.env.DEVC_NODE_IP ?? '10.213.0.1';
const prefix = uniquePrefix('ka');
const namespace = `${prefix}-ws`;
const name = `${prefix}-sign`;
let git: GitServer;
let dir: string;
let agent: TestAgent | undefined;
let publicKey: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'devc-agent-k8s-'));
  agent = await startSshAgent(dir);
  const { socket } = agent;
  ({ publicKey } = agent);

  git = await startGitServer(nodeIp);
  await createNamespace(namespace);
  env = await devcEnv({ DEVC_NAMESPACE: namespace, DEVC_IDLE_TIMEOUT: '0', SSH_AUTH_SOCK: socket });
  const repoUrl = await git.createRepo(`acme/${name}`, { 'README.md': 'sign me\n' });
  const up = await devc(['up', repoUrl, '--backend', 'kubernetes', '--name', name, '--json'], env);
  expect(json<{ state: string }>(up).state, up.stderr).toBe('running');
});

afterAll(async () => {
  agent?.stop();
  await deleteNamespace(namespace);
  await git?.close();
  await removeHome(env?.DEVC_HOME);
  rmSync(dir, { recursive: true, force: true });
});

describe('agent forwarding into a Kubernetes workspace', () => {
  it('devc ssh -A lends the pod the local agent; without -A it has none', async () => {
    const forwarded = await devc(['ssh', '-A', '-w', name, '--', 'ssh-add', '-L'], env);
    expect(forwarded.exitCode, forwarded.stderr).toBe(0);
    expect(forwarded.stdout.trim()).toBe(publicKey);
    expect((await devc(['ssh', '-w', name, '--', 'ssh-add', '-L'], env)).exitCode).toBe(2);
  });

  it('a commit signed in the pod with the forwarded key verifies there', async () => {
    const script = [
      'set -e',
      'git -c user.name=Tester -c user.email=tester@example.com commit -q --allow-empty -S -m signed',
      `printf 'tester@example.com namespaces="git" %s\\n' "$(ssh-add -L | head -n 1)" > /tmp/allowed`,
      'git -c gpg.ssh.allowedSignersFile=/tmp/allowed verify-commit HEAD',
    ].join('\n');
    const run = await devc(['ssh', '-A', '-w', name, '--', 'sh', '-c', script], env);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stderr).toContain('Good "git" signature for tester@example.com');
  });
});
