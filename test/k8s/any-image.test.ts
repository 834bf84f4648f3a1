// Any image on Kubernetes (issue 16, line 6a): a repository whose devcontainer.json names an image that
// is not a dev8 one (Debian + Node from Debian's packages, a `node` user with uid 1500, and a
// devcontainer.metadata label setting remoteUser and a postCreateCommand), built here and pushed to the
// test cluster's registry. devc copies its agent into the pod from the agent image, runs the pod as that
// user, runs the lifecycle hooks in the pod, and forwards the app a hook starts.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { devc, devcEnv, json, uniquePrefix, removeHome } from '../e2e/support/devc.js';
import { startGitServer, type GitServer } from '../e2e/support/git-server.js';
import { api, createNamespace, deleteNamespace, devcObjects } from './support/backend-env.js';
import { clusterEnv, waitFor } from './support/cluster.js';

const { registry } = clusterEnv(); // fails the file (never skips) without the cluster's environment
const nodeIp = process.env.DEVC_NODE_IP ?? '10.213.0.1';
const prefix = uniquePrefix('ki');
const namespace = `${prefix}-ws`;
const image = `${registry}/devc-test/node-app:k8simage-1`;
const APP_PORT = 3123;

let git: GitServer;
let env: NodeJS.ProcessEnv;
let appUrl: string;
let failingUrl: string;
let rootUrl: string;

/** Debian + Node (Debian's package) + a `node` user (uid 1500), with the hooks in its metadata label. */
async function buildImage(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'devc-k8simage-'));
  const metadata = JSON.stringify([
    {
      remoteUser: 'node',
      postCreateCommand: 'echo created >> /workspaces/.hook-created',
      remoteEnv: { APP_GREETING: 'hello-from-metadata' },
    },
  ]);
  await writeFile(
    path.join(dir, 'Dockerfile'),
    [
      // The Debian base the dev8 images build FROM (no Docker Hub here).
      'FROM debian:bookworm-slim',
      'RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nodejs \\',
      ' && rm -rf /var/lib/apt/lists/* \\',
      ' && groupadd -g 1500 node && useradd -m -u 1500 -g 1500 -s /bin/bash node \\',
      ' && echo from-the-image > /home/node/.image-home-file',
      `LABEL devcontainer.metadata='${metadata}'`,
      '',
    ].join('\n'),
  );
  try {
    await execa('docker', ['build', '-q', '-t', image, dir]);
    await execa('docker', ['push', '-q', image]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

beforeAll(async () => {
  await buildImage();
  git = await startGitServer(nodeIp);
  appUrl = await git.createRepo(`acme/${prefix}-app`, {
    'server.js': `require('http').createServer((q, r) => r.end('hello from node ' + process.env.APP_GREETING)).listen(${APP_PORT}, '127.0.0.1');\n`,
    '.devcontainer/devcontainer.json': JSON.stringify({
      image,
      // A string, an array and an object (parallel) form; the server runs on every start.
      onCreateCommand: ['sh', '-c', 'echo oncreate >> /workspaces/.hook-oncreate'],
      postStartCommand: {
        count: 'echo started >> /workspaces/.hook-started',
        app: `setsid node server.js >/tmp/app.log 2>&1 < /dev/null &`,
      },
      // up returns after onCreateCommand; postCreate and postStart go on in the background.
      waitFor: 'onCreateCommand',
      postAttachCommand: 'echo attached >> /workspaces/.hook-attached',
      portsAttributes: { [String(APP_PORT)]: { label: 'Tiny app' } },
    }),
  });
  failingUrl = await git.createRepo(`acme/${prefix}-broken`, {
    '.devcontainer/devcontainer.json': JSON.stringify({
      image,
      onCreateCommand: 'echo about to fail >&2; exit 3',
    }),
  });
  rootUrl = await git.createRepo(`acme/${prefix}-root`, {
    '.devcontainer/devcontainer.json': JSON.stringify({ image, remoteUser: 'root' }),
  });
  await createNamespace(namespace);
  env = await devcEnv({ DEVC_NAMESPACE: namespace, DEVC_IDLE_TIMEOUT: '0' });
}, 600_000);

afterAll(async () => {
  await deleteNamespace(namespace);
  await git?.close();
  await removeHome(env?.DEVC_HOME);
});

const k8s = (args: string[]) => devc(args, env);
const inWorkspace = (name: string, script: string) => k8s(['ssh', '-w', name, '--', 'sh', '-c', script]);

describe('a repository whose config names a non-dev8 image with another user', () => {
  const name = `${prefix}-app`;

  it("comes up as the image's user, with no init container and nothing running as root", async () => {
    const up = await k8s(['up', appUrl, '--backend', 'kubernetes', '--name', name, '--json']);
    expect(json(up), up.stderr).toMatchObject({ outcome: 'success', state: 'running' });
    const pod = await api().core.readNamespacedPod({ name: `devc-${name}`, namespace });
    expect(pod.spec?.initContainers ?? []).toEqual([]);
    expect(pod.spec?.containers.map((c) => c.name)).toEqual(['workspace', 'agent', 'home']);
    for (const c of pod.spec?.containers ?? [])
      expect(c.securityContext, c.name).toMatchObject({
        runAsUser: 1500,
        runAsGroup: 1500,
        runAsNonRoot: true,
      });
    expect(pod.spec?.securityContext?.fsGroup).toBe(1500);
    const who = await inWorkspace(
      name,
      'id -un; id -u; echo "$HOME"; cat ~/.image-home-file; echo "$APP_GREETING"',
    );
    expect(who.exitCode, who.stderr).toBe(0);
    expect(who.stdout).toBe('node\n1500\n/home/node\nfrom-the-image\nhello-from-metadata\n');
  });

  it('ran the create hooks once, from the image label and the config, and the start hook', async () => {
    const hooks = await waitFor('the hooks after waitFor', 60_000, async () => {
      const r = await inWorkspace(
        name,
        'cat /workspaces/.hook-oncreate /workspaces/.hook-created /workspaces/.hook-started',
      );
      return r.exitCode === 0 ? r.stdout : undefined;
    });
    expect(hooks).toBe('oncreate\ncreated\nstarted\n');
    const build = await k8s(['logs', '-w', name, '--build']);
    expect(build.exitCode, build.stderr).toBe(0);
    const log = build.stdout;
    expect(log).toContain('devc: running onCreateCommand');
    expect(log).toContain('devc: running postCreateCommand');
    // `devc ssh` attached: postAttachCommand runs in the background.
    const attached = await waitFor('postAttachCommand', 30_000, async () => {
      const r = await inWorkspace(name, 'cat /workspaces/.hook-attached');
      return r.exitCode === 0 && r.stdout.startsWith('attached\n') ? r.stdout : undefined;
    });
    expect(attached).toMatch(/^(attached\n)+$/);
  });

  it('detects the app a hook started and forwards it to 127.0.0.1 with its label', async () => {
    const port = await waitFor('the app forwarded', 60_000, async () => {
      const ports = json<{ remote: number; local: number; label: string | null; state: string }[]>(
        await k8s(['ports', '-w', name, '--json']),
      );
      const app = ports.find((p) => p.remote === APP_PORT);
      return app?.state === 'forwarded' ? app : undefined;
    });
    expect(port.label).toBe('Tiny app');
    const body = await waitFor('the app to answer', 30_000, async () => {
      const res = await fetch(`http://127.0.0.1:${port.local}/`).catch(() => undefined);
      return res?.ok ? res.text() : undefined;
    });
    expect(body).toBe('hello from node hello-from-metadata');
  });

  it('does not run the create hooks again after stop and up, but the start hook', async () => {
    expect((await k8s(['stop', '-w', name])).exitCode).toBe(0);
    const up = await k8s(['up', appUrl, '--backend', 'kubernetes', '--name', name]);
    expect(up.exitCode, up.stderr).toBe(0);
    // A restart's postStartCommand runs in the background, as on Docker.
    const started = await waitFor('postStartCommand to run again', 60_000, async () => {
      const r = await inWorkspace(name, 'cat /workspaces/.hook-started');
      return r.stdout === 'started\nstarted\n' ? r.stdout : undefined;
    });
    expect(started).toBe('started\nstarted\n');
    const created = await inWorkspace(name, 'cat /workspaces/.hook-oncreate /workspaces/.hook-created');
    expect(created.stdout).toBe('oncreate\ncreated\n');
    const del = await k8s(['delete', '-w', name, '--force']);
    expect(del.exitCode, del.stderr).toBe(0);
  });
});

describe('a failing hook', () => {
  it('fails up with a one-line error naming the hook, and leaves nothing in the cluster', async () => {
    const name = `${prefix}-broken`;
    const up = await k8s(['up', failingUrl, '--backend', 'kubernetes', '--name', name]);
    expect(up.exitCode).toBe(1);
    const error = up.stderr.split('\n').find((l) => l.startsWith('error:'));
    expect(error).toBe('error: The onCreateCommand failed with exit code 3.');
    expect(up.stderr).toContain('about to fail');
    expect(await devcObjects(namespace, name)).toEqual([]);
  });
});

describe('a config whose remoteUser is root', () => {
  it('runs as root, because it asked to', async () => {
    const name = `${prefix}-root`;
    const up = await k8s(['up', rootUrl, '--backend', 'kubernetes', '--name', name]);
    expect(up.exitCode, up.stderr).toBe(0);
    const pod = await api().core.readNamespacedPod({ name: `devc-${name}`, namespace });
    expect(pod.spec?.containers[0]?.securityContext).toMatchObject({ runAsUser: 0, runAsNonRoot: false });
    const who = await inWorkspace(name, 'id -u; echo "$HOME"');
    expect(who.stdout, who.stderr).toBe('0\n/root\n');
    expect((await k8s(['delete', '-w', name, '--force'])).exitCode).toBe(0);
  });
});
