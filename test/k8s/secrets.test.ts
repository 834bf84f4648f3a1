// Secrets and dotfiles on Kubernetes: the built bin/devc against the real test cluster. Secrets travel
// in the workspace's Secret (never the pod spec) and reach SSH, exec and code-server; dotfiles go in once.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { devc, devcEnv, uniquePrefix, removeHome } from '../e2e/support/devc.js';
import { startGitServer, type GitServer } from '../e2e/support/git-server.js';
import { api, createNamespace, deleteNamespace } from './support/backend-env.js';
import { clusterEnv } from './support/cluster.js';

const { registry } = clusterEnv(); // fails the file (never skips) without the cluster's environment
const nodeIp = process.env.DEVC_NODE_IP ?? '10.213.0.1';
const prefix = uniquePrefix('ks');
const namespace = `${prefix}-ws`;
const name = `${prefix}-app`;
const first = `k8s "secret" it's ${prefix}`;
const second = `changed-${prefix}`;
let git: GitServer;
let env: NodeJS.ProcessEnv;
let repoUrl: string;
let dotfilesUrl: string;

beforeAll(async () => {
  git = await startGitServer(nodeIp);
  repoUrl = await git.createRepo(`acme/${prefix}-app`, { 'README.md': '# app\n' });
  dotfilesUrl = await git.createRepo(`acme/${prefix}-dots`, {
    'install.sh': {
      content: '#!/bin/sh\necho "ran as $(id -un) with $MYSECRET" >> "$HOME/installed"\n',
      mode: 0o755,
    },
  });
  await createNamespace(namespace);
  // dev8 images of this tree under a path of their own: other trees push the shared tag with their agent.
  env = await devcEnv({
    DEVC_NAMESPACE: namespace,
    DEVC_IDLE_TIMEOUT: '0',
    DEVC_REGISTRY: `${registry}/${prefix}`,
  });
});

afterAll(async () => {
  await deleteNamespace(namespace);
  await execa('docker', ['rmi', `${registry}/${prefix}/devc/dev8-base:0.1.0`], { reject: false });
  await git?.close();
  await removeHome(env?.DEVC_HOME);
});

const k8s = (args: string[], extra: NodeJS.ProcessEnv = {}) => devc(args, { ...env, ...extra });
const upArgs = () => ['up', repoUrl, '--backend', 'kubernetes', '--name', name, '--dotfiles', dotfilesUrl];
const file = async (base: string, text: string) => {
  const full = path.join(env.DEVC_HOME ?? '', base);
  await writeFile(full, text);
  return full;
};

describe('secrets and dotfiles on Kubernetes', () => {
  it('reach ssh, exec and code-server through the Secret, never the pod spec; dotfiles once', async () => {
    const secrets = await file('secrets.json', JSON.stringify({ MYSECRET: first }));
    const up = await k8s([...upArgs(), '--secrets-file', secrets]);
    expect(up.exitCode, up.stderr).toBe(0);
    expect(`${up.stdout}${up.stderr}`).not.toContain(first);

    expect((await k8s(['ssh', '-w', name, '--', 'printenv', 'MYSECRET'])).stdout).toBe(`${first}\n`);
    expect((await k8s(['exec', '-w', name, '--', 'printenv', 'MYSECRET'])).stdout).toBe(`${first}\n`);
    const environ = await k8s([
      'exec',
      '-w',
      name,
      '--',
      'sh',
      '-c',
      'for p in /proc/[0-9]*; do case $(tr "\\0" " " <$p/cmdline 2>/dev/null) in *code-server*--config*) tr "\\0" "\\n" <$p/environ; exit;; esac; done',
    ]);
    expect(environ.stdout.split('\n')).toContain(`MYSECRET=${first}`);
    // The dotfiles' script ran once, as the user, with the secret.
    expect((await k8s(['exec', '-w', name, '--', 'sh', '-c', 'cat ~/installed'])).stdout).toBe(
      `ran as dev with ${first}\n`,
    );
    const modes = await k8s(['exec', '-w', name, '--', 'stat', '-L', '-c', '%a %n', '/run/devc/secrets.sh']);
    expect(modes.stdout).toBe('600 /run/devc/secrets.sh\n');

    const pod = await api().core.readNamespacedPod({ name: `devc-${name}`, namespace });
    expect(JSON.stringify(pod)).not.toContain(first);
    expect(JSON.stringify(pod)).not.toContain(Buffer.from(first).toString('base64'));
    const secret = await api().core.readNamespacedSecret({ name: `devc-${name}`, namespace });
    expect(Object.keys(secret.data ?? {})).toContain('secrets.env');
  });

  it('a changed secret reaches the pod on its next start; dotfiles are not installed again', async () => {
    const changed = await file('changed.env', `MYSECRET=${second}\n`);
    expect((await k8s(['stop', '-w', name])).exitCode).toBe(0);
    const start = await k8s(['start', '-w', name], { DEVC_SECRETS_FILE: changed });
    expect(start.exitCode, start.stderr).toBe(0);
    expect((await k8s(['ssh', '-w', name, '--', 'printenv', 'MYSECRET'])).stdout).toBe(`${second}\n`);
    const again = await k8s(upArgs());
    expect(again.exitCode, again.stderr).toBe(0);
    expect((await k8s(['exec', '-w', name, '--', 'sh', '-c', 'wc -l < ~/installed'])).stdout).toBe('1\n');
  });
});
