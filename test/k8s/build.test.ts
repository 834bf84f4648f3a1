// Dockerfile and Features configs on Kubernetes, end to end: the built bin/devc builds the image on
// this machine's Docker engine through the pinned Dev Containers CLI, tags it with the content hash,
// pushes it to the test cluster's registry and runs it; a second `up` from another DEVC_HOME finds
// the tag and builds nothing. Bad input (registry unreachable, push refused, a failing build, no
// engine, a bind mount) is one line naming the step, and leaves nothing in the cluster or on the host.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { devc, devcEnv, json, uniquePrefix } from '../e2e/support/devc.js';
import { startGitServer, commitTree } from '../e2e/support/git-server.js';
import { startRefusingRegistry, type TestRegistry } from '../e2e/support/registry.js';
import { api, createNamespace, deleteNamespace, devcObjects } from './support/backend-env.js';
import { clusterEnv } from './support/cluster.js';

const { registry } = clusterEnv(); // fails the file (never skips) without the cluster's environment
const base = `${registry}/devc/dev8-base:0.1.0`;
const prefix = uniquePrefix('kbd');
const namespace = `${prefix}-ws`;
const homes: string[] = [];
let work: string;
let dockerConfig: string;

/** A local tree named `name` with these files (executable when the name ends in .sh), one commit. */
async function tree(name: string, files: Record<string, string>): Promise<string> {
  return commitTree(path.join(work, name), files);
}

/** A fresh DEVC_HOME in the test namespace, with the docker config that holds the registry's login. */
async function home(extra: Record<string, string> = {}): Promise<NodeJS.ProcessEnv> {
  const env = await devcEnv({
    DEVC_NAMESPACE: namespace,
    DEVC_IDLE_TIMEOUT: '0',
    DOCKER_CONFIG: dockerConfig,
    ...extra,
  });
  homes.push(env.DEVC_HOME ?? '');
  return env;
}

/** Local images whose reference starts with `repository` (what a run left on this machine). */
async function localImages(repository: string): Promise<string[]> {
  const { stdout } = await execa('docker', [
    'images',
    '--format',
    '{{.Repository}}:{{.Tag}}',
    '--filter',
    `reference=${repository}*`,
  ]);
  return stdout.split('\n').filter(Boolean);
}

/** The one-line error of a failed `up --json`, checked to be one line. */
function failure(run: { exitCode: number; stdout: string; stderr: string }): string {
  expect(run.exitCode, run.stderr).toBe(1);
  const { outcome, message } = json<{ outcome: string; message: string }>(run);
  expect(outcome).toBe('error');
  expect(message).not.toContain('\n');
  return message;
}

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), `${prefix}-`));
  // The registry's login as `docker login` keeps it (the test registry takes any, or none).
  dockerConfig = path.join(work, 'docker-config');
  await mkdir(dockerConfig);
  const auth = Buffer.from('devc-test:not-a-secret').toString('base64');
  await writeFile(
    path.join(dockerConfig, 'config.json'),
    JSON.stringify({
      auths: {
        [registry]: { auth },
        'other.example': { auth: Buffer.from('x:other-secret').toString('base64') },
      },
    }),
  );
  await createNamespace(namespace);
});

afterAll(async () => {
  await deleteNamespace(namespace);
  const left = [
    ...(await localImages(`${registry}/local/${prefix}`)),
    ...(await localImages(`${registry}/acme/${prefix}`)),
  ];
  for (const image of left) await execa('docker', ['rmi', '-f', image]).catch(() => undefined);
  for (const dir of [...homes, work]) if (dir) await rm(dir, { recursive: true, force: true });
});

const FEATURE = {
  '.devcontainer/greet/devcontainer-feature.json': JSON.stringify({
    id: 'greet',
    version: '1.0.0',
    options: { word: { type: 'string', default: 'hi' } },
  }),
  '.devcontainer/greet/install.sh':
    '#!/bin/sh\nset -e\nprintf "#!/bin/sh\\necho %s\\n" "$WORD" > /usr/local/bin/greet\nchmod +x /usr/local/bin/greet\n',
};

describe('a Dockerfile + local Feature config', () => {
  const name = `${prefix}-app`;
  let source: string;
  let image: string;
  let first: NodeJS.ProcessEnv;

  it('is built, pushed under its content hash and run, with the Feature and the config applied', async () => {
    source = await tree(name, {
      '.devcontainer/devcontainer.json': JSON.stringify({
        build: { dockerfile: 'Dockerfile' },
        features: { './greet': { word: 'hola' } },
        remoteUser: 'dev',
        // up waits for it (not a race with the exec below); it runs once (the built image's label
        // has it too), with the workspace's secrets.
        waitFor: 'postCreateCommand',
        postCreateCommand:
          'echo created >> /workspaces/$(basename "$PWD")/.hook-ran; echo "$BUILD_SECRET" > /workspaces/$(basename "$PWD")/.hook-secret',
        runArgs: ['--shm-size', '256m', '-e', 'FROM_RUNARGS=yes', '--init'],
        mounts: ['source=cache,target=/home/dev/.cache,type=volume'],
      }),
      '.devcontainer/Dockerfile': `FROM ${base}\nRUN echo built > /etc/devc-built\n`,
      ...FEATURE,
      'README.md': '# app\n',
    });
    const env = (first = await home());
    const secrets = path.join(work, 'secrets.env');
    await writeFile(secrets, 'BUILD_SECRET=from-the-secrets-file\n');
    const up = await devc(
      ['up', source, '--backend', 'kubernetes', '--secrets-file', secrets, '--json'],
      env,
    );
    const result = json<{ outcome: string; image: string; state: string }>(up);
    expect(result, up.stderr).toMatchObject({ outcome: 'success', state: 'running', imageSource: 'built' });
    expect(result.image).toMatch(
      new RegExp(`^${registry.replace(/\./g, '\\.')}/local/${prefix}-app:[0-9a-f]{32}$`),
    );
    image = result.image;
    // runArgs without a pod equivalent are named, once.
    expect(up.stderr).toContain('runArgs --init has no equivalent in a Kubernetes pod');
    const log = await devc(['logs', '--build', '-w', name], env);
    expect(log.stdout).toContain(`devc: building ${image}`);
    expect(log.stdout).toContain(`devc: pushing ${image}`);
    // The registry has it (what any other machine will find).
    const [host, rest = ''] = [image.slice(0, image.indexOf('/')), image.slice(image.indexOf('/') + 1)];
    const [repository, tag] = rest.split(':');
    const head = await fetch(`http://${host}/v2/${repository}/manifests/${tag}`, {
      method: 'HEAD',
      headers: { Accept: 'application/vnd.docker.distribution.manifest.v2+json' },
    });
    expect(head.status).toBe(200);
    const inside = await devc(
      [
        'ssh',
        '-w',
        name,
        '--',
        'sh',
        '-c',
        'greet; cat /etc/devc-built; echo "$FROM_RUNARGS"; df -k /dev/shm | tail -1 | tr -s " " | cut -d" " -f2; touch ~/.cache/kept && echo cache-writable',
      ],
      env,
    );
    expect(inside.exitCode, inside.stderr).toBe(0);
    expect(inside.stdout).toBe(`hola\nbuilt\nyes\n${256 * 1024}\ncache-writable\n`);
    // The pod pulls with a Secret holding this registry's login and no other.
    const pod = await api().core.readNamespacedPod({ name: `devc-${name}`, namespace });
    expect(pod.spec?.imagePullSecrets).toEqual([{ name: `devc-${name}-registry` }]);
    const secret = await api().core.readNamespacedSecret({ name: `devc-${name}-registry`, namespace });
    expect(secret.type).toBe('kubernetes.io/dockerconfigjson');
    expect(secret.metadata?.labels?.['dev.devc.workspace']).toBe(name);
    const held = JSON.parse(Buffer.from(secret.data?.['.dockerconfigjson'] ?? '', 'base64').toString()) as {
      auths: Record<string, unknown>;
    };
    expect(Object.keys(held.auths)).toEqual([registry]);
    expect(JSON.stringify(pod.spec)).not.toContain('not-a-secret');
  });

  it('ran the postCreateCommand once, with the workspace secrets (the image is not a dev8 one to devc)', async () => {
    const hook = await devc(['exec', '-w', name, '--', 'cat', '.hook-ran', '.hook-secret'], first);
    expect(hook.stdout, hook.stderr).toBe('created\nfrom-the-secrets-file\n');
    // Run as the config's user, resolved from the built image's /etc/passwd.
    const id = await devc(['exec', '-w', name, '--', 'id', '-un'], first);
    expect(id.stdout).toBe('dev\n');
  });

  it('is pulled, not built, by a second `up` from another DEVC_HOME (no local copy needed)', async () => {
    // Like another machine: nothing of it in this engine.
    await execa('docker', ['rmi', image]);
    const env = await home();
    const up = await devc(['up', source, '--backend', 'kubernetes', '--name', `${name}-2`, '--json'], env);
    expect(json(up), up.stderr).toMatchObject({
      outcome: 'success',
      state: 'running',
      image,
      imageSource: 'prebuild',
    });
    const log = await devc(['logs', '--build', '-w', `${name}-2`], env);
    // Not built; the new workspace's postCreateCommand ran (its output follows).
    expect(log.stdout.split('\n')[0]).toBe(`devc: ${image} is in the registry: not built.`);
    expect(log.stdout).not.toContain('devc: building');
    expect(await localImages(image)).toEqual([]);
    const greet = await devc(['exec', '-w', `${name}-2`, '--', 'greet'], env);
    expect(greet.stdout).toBe('hola\n');
    for (const [workspace, owner] of [
      [`${name}-2`, env],
      [name, first],
    ] as const) {
      const del = await devc(['delete', '-w', workspace, '--force'], owner);
      expect(del.exitCode, del.stderr).toBe(0);
      // The pull Secret goes with the workspace.
      expect(await devcObjects(namespace, workspace)).toEqual([]);
    }
  });

  it('misses after a change to a Feature option (another tag, built again)', async () => {
    const changed = await tree(`${prefix}-opt`, {
      '.devcontainer/devcontainer.json': JSON.stringify({
        image: base,
        features: { './greet': { word: 'adios' } },
      }),
      ...FEATURE,
    });
    const env = await home();
    const up = await devc(['up', changed, '--backend', 'kubernetes', '--json'], env);
    const result = json<{ outcome: string; image: string }>(up);
    expect(result.outcome, up.stderr).toBe('success');
    expect(result.image).not.toBe(image);
    expect((await devc(['exec', '-w', `${prefix}-opt`, '--', 'greet'], env)).stdout).toBe('adios\n');
    expect((await devc(['delete', '-w', `${prefix}-opt`, '--force'], env)).exitCode).toBe(0);
  });
});

describe('a remote repository whose build context is the whole repository', () => {
  it('builds with the files its planning clone did not fetch', async () => {
    // Pods clone from the node IP.
    const git = await startGitServer(process.env.DEVC_NODE_IP ?? '10.213.0.1');
    try {
      const url = await git.createRepo(`acme/${prefix}-remote`, {
        '.devcontainer/devcontainer.json': JSON.stringify({
          build: { dockerfile: 'Dockerfile', context: '..' },
        }),
        '.devcontainer/Dockerfile': `FROM ${base}\nCOPY tools/hello.sh /usr/local/bin/hello\n`,
        'tools/hello.sh': '#!/bin/sh\necho hello from tools\n',
        'README.md': '# remote\n',
      });
      const env = await home();
      const name = `${prefix}-remote`;
      const up = await devc(['up', url, '--backend', 'kubernetes', '--name', name, '--json'], env);
      expect(json(up), up.stderr).toMatchObject({ outcome: 'success', state: 'running' });
      const hello = await devc(['exec', '-w', name, '--', 'sh', '/usr/local/bin/hello'], env);
      expect(hello.stdout, hello.stderr).toBe('hello from tools\n');
      expect((await devc(['delete', '-w', name, '--force'], env)).exitCode).toBe(0);
    } finally {
      await git.close();
    }
  });
});

describe('bad input leaves nothing behind', () => {
  let refusing: TestRegistry;
  let refusingHost: string;

  beforeAll(async () => {
    refusing = await startRefusingRegistry();
    refusingHost = refusing.host;
  });
  afterAll(() => refusing.stop());

  const simple = (name: string, dockerfile: string, extra: Record<string, unknown> = {}): Promise<string> =>
    tree(name, {
      '.devcontainer/devcontainer.json': JSON.stringify({ build: { dockerfile: 'Dockerfile' }, ...extra }),
      '.devcontainer/Dockerfile': dockerfile,
    });

  it('a registry that does not answer, before any build', async () => {
    const name = `${prefix}-noreg`;
    const source = await simple(name, `FROM ${base}\n`);
    const up = await devc(
      ['up', source, '--backend', 'kubernetes', '--json'],
      await home({ DEVC_REGISTRY: '127.0.0.1:1' }),
    );
    expect(failure(up)).toMatch(/^Can't reach the registry 127\.0\.0\.1:1: /);
    expect(await devcObjects(namespace, name)).toEqual([]);
    expect(await localImages(`127.0.0.1:1/local/${name}`)).toEqual([]);
  });

  it('a registry that refuses the push: no tag left on this machine', async () => {
    const name = `${prefix}-refused`;
    const source = await simple(name, `FROM ${base}\nRUN echo refused > /etc/refused\n`);
    const up = await devc(
      ['up', source, '--backend', 'kubernetes', '--json'],
      await home({ DEVC_REGISTRY: refusingHost }),
    );
    expect(failure(up)).toMatch(
      new RegExp(`^Can't push the built image to ${refusingHost}: .*(denied|read-only)`, 'i'),
    );
    expect(await devcObjects(namespace, name)).toEqual([]);
    expect(await localImages(`${refusingHost}/local/${name}`)).toEqual([]);
  });

  it('a failing build shows its last lines', async () => {
    const name = `${prefix}-badbuild`;
    const source = await simple(name, `FROM ${base}\nRUN echo the-step-that-fails >&2 && exit 3\n`);
    const up = await devc(['up', source, '--backend', 'kubernetes', '--json'], await home());
    expect(failure(up)).toBe(
      'The image build failed: `echo the-step-that-fails >&2 && exit 3` exited with code 3',
    );
    expect(up.stderr).toContain('the-step-that-fails');
    expect(up.stderr).toMatch(/returned a non-zero code: 3/);
    expect(await devcObjects(namespace, name)).toEqual([]);
    expect(await localImages(`${registry}/local/${name}`)).toEqual([]);
  });

  it('no Docker engine on this machine: what to do instead', async () => {
    const name = `${prefix}-noengine`;
    const source = await simple(name, `FROM ${base}\nRUN echo never-built\n`);
    const up = await devc(
      // Without --builder the cluster would build it (test/k8s/cluster-build.test.ts).
      ['up', source, '--backend', 'kubernetes', '--builder', 'local', '--json'],
      await home({ DOCKER_HOST: 'unix:///nonexistent/docker.sock' }),
    );
    expect(failure(up)).toContain('needs a Docker engine on this machine');
    expect(up.stderr).toContain('--builder cluster');
    expect(await devcObjects(namespace, name)).toEqual([]);
  });

  it('a bind mount is refused by name before anything is built', async () => {
    const name = `${prefix}-bind`;
    const source = await simple(name, `FROM ${base}\n`, {
      mounts: ['source=/etc,target=/host-etc,type=bind'],
    });
    const env = await home();
    const up = await devc(['up', source, '--backend', 'kubernetes', '--json'], env);
    expect(failure(up)).toContain(
      "the mount of /etc at /host-etc is a bind mount: the cluster's nodes don't have this machine's folders",
    );
    expect(await devcObjects(namespace, name)).toEqual([]);
    expect(await localImages(`${registry}/local/${name}`)).toEqual([]);
  });

  it('a failing hook names it and leaves nothing', async () => {
    const source = await simple(`${prefix}-badhook`, `FROM ${base}\n`, {
      postCreateCommand: 'exit 9',
      // up waits for the postCreateCommand (by default it returns after updateContentCommand).
      waitFor: 'postCreateCommand',
    });
    const up = await devc(['up', source, '--backend', 'kubernetes', '--json'], await home());
    expect(failure(up)).toContain('postCreateCommand');
    expect(await devcObjects(namespace, `${prefix}-badhook`)).toEqual([]);
  });
});

describe('a Dockerfile config FROM a non-dev8 image', () => {
  it('runs with the agent copied in, as the image user named by remoteUser', async () => {
    const name = `${prefix}-plain`;
    const source = await tree(name, {
      '.devcontainer/devcontainer.json': JSON.stringify({
        build: { dockerfile: 'Dockerfile' },
        remoteUser: 'app',
        postCreateCommand: 'id -u > /workspaces/$(basename "$PWD")/.hook-uid',
      }),
      // The Debian base the dev8 images build FROM (no Docker Hub here): no sshd, no agent, no git.
      '.devcontainer/Dockerfile':
        'FROM debian:bookworm-slim\nRUN groupadd -g 1700 app && useradd -m -u 1700 -g 1700 -s /bin/sh app\n',
    });
    const env = await home();
    const up = await devc(['up', source, '--backend', 'kubernetes', '--json'], env);
    expect(json(up), up.stderr).toMatchObject({ outcome: 'success', state: 'running' });
    const inside = await devc(
      ['ssh', '-w', name, '--', 'sh', '-c', 'id -un; cat .hook-uid; echo "$HOME"'],
      env,
    );
    expect(inside.exitCode, inside.stderr).toBe(0);
    expect(inside.stdout).toBe('app\n1700\n/home/app\n');
    const del = await devc(['delete', '-w', name, '--force'], env);
    expect(del.exitCode, del.stderr).toBe(0);
    expect(await devcObjects(namespace, name)).toEqual([]);
  });
});
