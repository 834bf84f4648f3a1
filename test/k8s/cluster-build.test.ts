// Builds in the cluster, end to end: with no Docker engine visible to devc (DOCKER_HOST at a dead
// socket), the built bin/devc builds a Dockerfile + local Feature config with the test cluster's
// BuildKit (deploy/buildkitd.yaml, started by cluster.sh up), pushes it under its content hash, runs
// it, and a second workspace from another DEVC_HOME reuses the tag. Bad input (BuildKit missing, a
// failing build, registry unreachable, a refused push, no engine with --builder local) is one line and leaves nothing.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { devc, devcEnv, json, uniquePrefix } from '../e2e/support/devc.js';
import { commitTree } from '../e2e/support/git-server.js';
import { startRefusingRegistry } from '../e2e/support/registry.js';
import { api, createNamespace, deleteNamespace, devcObjects } from './support/backend-env.js';
import { clusterEnv, run, waitFor } from './support/cluster.js';

const { registry, kubeconfig } = clusterEnv(); // fails the file (never skips) without the cluster
const base = `${registry}/devc/dev8-base:0.1.0`;
const prefix = uniquePrefix('kcb');
const namespace = `${prefix}-ws`;
const DEAD_ENGINE = { DOCKER_HOST: 'unix:///nonexistent/docker.sock' };
const kubectl = path.join(os.homedir(), '.cache/devc-k8s/1.34.4-etcd3.5.35/bin/kubectl');
const homes: string[] = [];
let work: string;
let buildkitPod: string;

async function tree(name: string, files: Record<string, string>): Promise<string> {
  return commitTree(path.join(work, name), files);
}

async function home(extra: Record<string, string> = {}): Promise<NodeJS.ProcessEnv> {
  const env = await devcEnv({ DEVC_NAMESPACE: namespace, DEVC_IDLE_TIMEOUT: '0', ...extra });
  homes.push(env.DEVC_HOME ?? '');
  return env;
}

/** Tags the registry holds for `repository` ([] when it has none). */
async function tags(repository: string): Promise<string[]> {
  const res = await fetch(`http://${registry}/v2/${repository}/tags/list`);
  if (res.status === 404) return [];
  return ((await res.json()) as { tags?: string[] | null }).tags ?? [];
}

/** Images of this engine whose reference starts with `repository`. */
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

/** Build folders left in the buildkitd pod. */
async function leftInBuildkit(): Promise<string> {
  return run(kubectl, [
    '--kubeconfig',
    kubeconfig,
    '-n',
    'devc-build',
    'exec',
    buildkitPod,
    '--',
    'sh',
    '-c',
    'ls -d /tmp/devc-build-* 2>/dev/null; true',
  ]);
}

function failure(up: { exitCode: number; stdout: string; stderr: string }): string {
  expect(up.exitCode, up.stderr).toBe(1);
  const { outcome, message } = json<{ outcome: string; message: string }>(up);
  expect(outcome).toBe('error');
  expect(message).not.toContain('\n');
  return message;
}

const FEATURE = {
  '.devcontainer/greet/devcontainer-feature.json': JSON.stringify({
    id: 'greet',
    version: '1.0.0',
    options: { word: { type: 'string', default: 'hi' } },
  }),
  '.devcontainer/greet/install.sh':
    '#!/bin/sh\nset -e\nprintf "#!/bin/sh\\necho %s\\n" "$WORD" > /usr/local/bin/greet\nchmod +x /usr/local/bin/greet\n',
};

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), `${prefix}-`));
  await createNamespace(namespace);
  // cluster.sh up starts BuildKit in the background: wait for it (never skip without it).
  buildkitPod = await waitFor(
    'a Ready buildkitd pod in devc-build (see /var/lib/devc-cluster/logs/buildkit.log)',
    300_000,
    async () => {
      const pods = await api().core.listNamespacedPod({
        namespace: 'devc-build',
        labelSelector: 'app.kubernetes.io/name=buildkitd',
      });
      const ready = pods.items.find((p) =>
        p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
      );
      return ready?.metadata?.name;
    },
  );
}, 320_000);

afterAll(async () => {
  await deleteNamespace(namespace);
  for (const dir of [...homes, work]) if (dir) await rm(dir, { recursive: true, force: true });
});

describe('a Dockerfile + local Feature config with no local engine', () => {
  const name = `${prefix}-app`;
  let source: string;
  let image: string;

  it('is built by BuildKit in the cluster, pushed under its content hash and run, the Feature applied', async () => {
    source = await tree(name, {
      '.devcontainer/devcontainer.json': JSON.stringify({
        build: { dockerfile: 'Dockerfile', context: '..' },
        features: { './greet': { word: 'hola' } },
        remoteUser: 'dev',
      }),
      '.devcontainer/Dockerfile': `FROM ${base}\nCOPY app.txt /etc/app.txt\nRUN echo built-in-cluster > /etc/devc-built && echo ${prefix} > /etc/devc-run\n`,
      'app.txt': 'from the context\n',
      ...FEATURE,
    });
    const env = await home(DEAD_ENGINE);
    const up = await devc(['up', source, '--backend', 'kubernetes', '--json'], env);
    const result = json<{ outcome: string; image: string; state: string }>(up);
    expect(result, up.stderr).toMatchObject({ outcome: 'success', state: 'running' });
    expect(result.image).toMatch(
      new RegExp(`^${registry.replace(/\./g, '\\.')}/local/${name}:[0-9a-f]{32}$`),
    );
    image = result.image;
    const log = await devc(['logs', '--build', '-w', name], env);
    expect(log.stdout).toMatch(
      new RegExp(
        `devc: building ${image.replace(/\./g, '\\.')} \\(linux/\\w+\\) with BuildKit in devc-build/buildkitd-`,
      ),
    );
    // The CLI's Feature install ran in BuildKit, with the config's option.
    expect(log.stdout).toContain('Feature       : ./greet');
    expect(log.stdout).toContain('exporting cache to registry');
    // In the registry under the hash, with its layer cache beside it; nothing on this machine's engine.
    const repository = `local/${name}`;
    expect((await tags(repository)).sort()).toEqual([image.split(':').at(-1), 'devc-buildcache'].sort());
    expect(await localImages(`${registry}/${repository}`)).toEqual([]);
    const inside = await devc(
      ['ssh', '-w', name, '--', 'sh', '-c', 'greet; cat /etc/devc-built /etc/app.txt; id -un'],
      env,
    );
    expect(inside.exitCode, inside.stderr).toBe(0);
    expect(inside.stdout).toBe('hola\nbuilt-in-cluster\nfrom the context\ndev\n');
    expect(await leftInBuildkit()).toBe('');
  });

  it('is reused, not built, by a second workspace from another DEVC_HOME', async () => {
    const env = await home(DEAD_ENGINE);
    const up = await devc(['up', source, '--backend', 'kubernetes', '--name', `${name}-2`, '--json'], env);
    expect(json(up), up.stderr).toMatchObject({ outcome: 'success', image });
    const log = await devc(['logs', '--build', '-w', `${name}-2`], env);
    expect(log.stdout).toContain(`devc: ${image} is in the registry: not built.`);
    expect(log.stdout).not.toContain('devc: building');
    const inside = await devc(['ssh', '-w', `${name}-2`, '--', 'sh', '-c', 'greet'], env);
    expect(inside.stdout, inside.stderr).toBe('hola\n');
  });
});

describe('bad input leaves nothing', () => {
  const simple = (name: string, dockerfile: string): Promise<string> =>
    tree(name, {
      '.devcontainer/devcontainer.json': JSON.stringify({ build: { dockerfile: 'Dockerfile' } }),
      '.devcontainer/Dockerfile': dockerfile,
    });

  it('BuildKit missing in the cluster: an error naming what to install', async () => {
    const name = `${prefix}-nobk`;
    const source = await simple(name, `FROM ${base}\nRUN echo never\n`);
    // A build namespace with no buildkitd in it, as on a cluster where nobody installed it.
    const up = await devc(
      ['up', source, '--backend', 'kubernetes', '--json'],
      await home({ ...DEAD_ENGINE, DEVC_BUILD_NAMESPACE: namespace }),
    );
    expect(failure(up)).toBe(
      `BuildKit isn't running in the cluster: no pod labelled app.kubernetes.io/name=buildkitd in the namespace ${namespace}.`,
    );
    expect(up.stderr).toContain('kubectl apply -f deploy/buildkitd.yaml');
    expect(await devcObjects(namespace, name)).toEqual([]);
    expect(await tags(`local/${name}`)).toEqual([]);
  });

  it('a failing build shows its last lines (--builder cluster, even with an engine here)', async () => {
    const name = `${prefix}-bad`;
    const source = await simple(name, `FROM ${base}\nRUN echo the-step-that-fails && exit 3\n`);
    const up = await devc(
      ['up', source, '--backend', 'kubernetes', '--builder', 'cluster', '--json'],
      await home(),
    );
    expect(failure(up)).toMatch(
      /^The image build in the cluster failed: .*echo the-step-that-fails && exit 3.* exit code: 3$/,
    );
    expect(up.stderr).toContain('the-step-that-fails');
    expect(await devcObjects(namespace, name)).toEqual([]);
    expect(await tags(`local/${name}`)).toEqual([]);
    expect(await localImages(`${registry}/local/${name}`)).toEqual([]);
    expect(await leftInBuildkit()).toBe('');
  });

  it('a registry that does not answer: before any build', async () => {
    const name = `${prefix}-noreg`;
    const source = await simple(name, `FROM ${base}\n`);
    const up = await devc(
      ['up', source, '--backend', 'kubernetes', '--json'],
      await home({ ...DEAD_ENGINE, DEVC_REGISTRY: '127.0.0.1:1' }),
    );
    expect(failure(up)).toMatch(/^Can't reach the registry 127\.0\.0\.1:1: /);
    expect(await devcObjects(namespace, name)).toEqual([]);
    expect(await leftInBuildkit()).toBe('');
  });

  it('a registry that refuses the push: said so, no tag and nothing else left', async () => {
    const refusing = await startRefusingRegistry();
    const refusingHost = refusing.host;
    try {
      const name = `${prefix}-refused`;
      const source = await simple(name, `FROM ${base}\nRUN echo refused > /etc/refused\n`);
      const up = await devc(
        ['up', source, '--backend', 'kubernetes', '--json'],
        await home({ ...DEAD_ENGINE, DEVC_REGISTRY: refusingHost }),
      );
      expect(failure(up)).toMatch(
        new RegExp(`^Can't push the built image to ${refusingHost}: .*(denied|read-only|403)`, 'i'),
      );
      expect(up.stderr).toContain(`docker login ${refusingHost}`);
      expect(await devcObjects(namespace, name)).toEqual([]);
      expect(await leftInBuildkit()).toBe('');
    } finally {
      await refusing.stop();
    }
  });

  it('a base image its registry does not have: before anything reaches BuildKit', async () => {
    const name = `${prefix}-nobase`;
    const source = await simple(name, `FROM ${registry}/${prefix}/no-such-image:1\nRUN echo never\n`);
    const up = await devc(['up', source, '--backend', 'kubernetes', '--json'], await home(DEAD_ENGINE));
    expect(failure(up)).toBe(
      `Can't prepare the image build: The registry has no image ${registry}/${prefix}/no-such-image:1.`,
    );
    expect(await devcObjects(namespace, name)).toEqual([]);
    expect(await tags(`local/${name}`)).toEqual([]);
    expect(await leftInBuildkit()).toBe('');
  });

  it('--builder local with no engine says to build in the cluster', async () => {
    const name = `${prefix}-local`;
    const source = await simple(name, `FROM ${base}\nRUN echo never-local\n`);
    const up = await devc(
      ['up', source, '--backend', 'kubernetes', '--builder', 'local', '--json'],
      await home(DEAD_ENGINE),
    );
    expect(failure(up)).toContain('needs a Docker engine on this machine');
    expect(up.stderr).toContain('--builder cluster');
    expect(await devcObjects(namespace, name)).toEqual([]);
    expect(await tags(`local/${name}`)).toEqual([]);
  });
});
