// `devc prebuild` and prebuild hits in `up`, against the real Docker engine and a real registry this
// test owns (Debian's docker-registry on loopback). Builds are FROM debian:bookworm-slim (cached).
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { devc, devcEnv, json, root, uniquePrefix, type Run } from './support/devc.js';
import { dockerOut, removeWorkspaces } from './support/docker.js';
import { startGitServer, type GitServer } from './support/git-server.js';
import { startRefusingRegistry, startRegistry, type TestRegistry } from './support/registry.js';
import { workflowSteps } from './support/workflow.js';

const prefix = uniquePrefix('pb');
const template = path.join(root, 'templates', 'github-actions');
let registry: TestRegistry;
let refusing: TestRegistry;
let refusingHost: string;
let trees: string;
let env: NodeJS.ProcessEnv;
let git: GitServer;

const FIELDS = ['cached', 'digest', 'hash', 'image', 'outcome', 'pushed'];

/** A Dockerfile + local Feature config; its postCreateCommand appends a line (so a double run shows). */
const config = (
  color: string,
  extra: Record<string, unknown> = {},
): Record<string, string | { content: string; mode: number }> => ({
  '.devcontainer/devcontainer.json': JSON.stringify({
    build: { dockerfile: 'Dockerfile' },
    features: { './feat': { color } },
    postCreateCommand: 'echo created >> /tmp/post-create; echo "${PREBUILD_SECRET:-none}" > /tmp/secret-seen',
    ...extra,
  }),
  '.devcontainer/Dockerfile': 'FROM debian:bookworm-slim\nRUN useradd -m -u 1000 dev\n',
  '.devcontainer/feat/devcontainer-feature.json': JSON.stringify({
    id: 'feat',
    version: '1.0.0',
    options: { color: { type: 'string', default: 'red' } },
  }),
  '.devcontainer/feat/install.sh': {
    content: '#!/bin/sh\necho "feature:$COLOR" > /feature-marker\n',
    mode: 0o755,
  },
});

async function tree(
  name: string,
  files: Record<string, string | { content: string; mode: number }>,
): Promise<string> {
  const dir = path.join(trees, name);
  for (const [file, body] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
    const { content, mode } = typeof body === 'string' ? { content: body, mode: 0o644 } : body;
    await writeFile(path.join(dir, file), content, { mode });
  }
  return dir;
}

/** The one-line error of a failed --json run. */
function failure(run: Run): string {
  expect(run.stdout.trim().split('\n')).toHaveLength(1);
  return String(json(run).message);
}

/** Local tags of images whose repository starts with `start`. */
async function localImages(start: string): Promise<string[]> {
  const out = await dockerOut(['images', '--format', '{{.Repository}}:{{.Tag}}']);
  return out.split('\n').filter((r) => r.startsWith(start));
}

beforeAll(async () => {
  registry = await startRegistry();
  refusing = await startRefusingRegistry();
  refusingHost = refusing.host;
  trees = await mkdtemp(path.join(os.tmpdir(), 'devc-prebuild-trees-'));
  git = await startGitServer();
  env = await devcEnv({ DEVC_REGISTRY: `${registry.host}/${prefix}`, DEVC_GITHUB_URL: git.baseUrl });
});

afterAll(async () => {
  await removeWorkspaces(prefix);
  const ours = [
    ...(await localImages(`${registry.host}/`)),
    ...(await localImages(`${refusingHost}/`)),
    ...(await localImages(`127.0.0.1:1/`)),
    ...(await localImages(`devc-prebuild/local/${prefix}`)),
    // What the Dev Containers CLI built for the workspaces up made (named after their folders).
    ...(await localImages(`vsc-${prefix}-`)),
  ];
  if (ours.length) await execa('docker', ['rmi', '-f', ...ours], { reject: false });
  await registry.stop();
  await git.close();
  await refusing.stop();
  await rm(trees, { recursive: true, force: true });
});

describe('prebuild, then up', () => {
  let first: Record<string, unknown>;
  let source: string;

  it('prebuild --push --json: the fields, and the image in the registry', async () => {
    source = await tree(`${prefix}-app`, config('green'));
    const run = await devc(['prebuild', source, '--push', '--json'], env);
    expect(run.exitCode, run.stderr).toBe(0);
    first = json(run);
    expect(Object.keys(first).sort()).toEqual(FIELDS);
    expect(first).toMatchObject({ outcome: 'success', pushed: true, cached: false });
    expect(first.hash).toMatch(/^[0-9a-f]{32}$/);
    expect(first.image).toBe(`${registry.host}/${prefix}/local/${prefix}-app:${String(first.hash)}`);
    expect(first.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    const manifest = await fetch(
      `http://${registry.host}/v2/${prefix}/local/${prefix}-app/manifests/${String(first.hash)}`,
      {
        method: 'HEAD',
        headers: {
          accept:
            'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json',
        },
      },
    );
    expect(manifest.headers.get('docker-content-digest')).toBe(first.digest);
  });

  it('a second prebuild of the unchanged config is a no-op that says so (its time: bench/prebuild.sh)', async () => {
    const run = await devc(['prebuild', source, '--push', '--json'], env);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(json(run)).toEqual({ ...first, pushed: false, cached: true });
    expect(run.stderr).toContain('is in the registry already: nothing to build');
    expect(run.stderr).not.toMatch(/Building|devcontainer build/);
  });

  it('up on Docker, the local image removed: pulls the prebuild and builds nothing', async () => {
    await execa('docker', ['rmi', String(first.image)]);
    const secrets = path.join(trees, 'hit-secrets.env');
    await writeFile(secrets, 'PREBUILD_SECRET=from-the-secrets-file\n', { mode: 0o600 });
    const up = await devc(
      ['up', source, '--name', `${prefix}-hit`, '--secrets-file', secrets, '--json'],
      env,
    );
    expect(up.exitCode, up.stderr).toBe(0);
    const result = json(up);
    expect(result).toMatchObject({ image: first.image, imageSource: 'prebuild' });
    const log = await devc(['logs', '--build', '-w', `${prefix}-hit`], env);
    expect(log.stdout).toContain(`devc: pulling the prebuild ${String(first.image)}: not built.`);
    // No build: the image runs directly, with no Dev Containers CLI build and no Dockerfile step.
    expect(log.stdout).toContain('names a local image: running it directly');
    expect(log.stdout).not.toMatch(
      /devcontainer build|\bdocker build\b|buildx build|Step \d|RUN useradd|devc: building/,
    );
    // The Feature is in the image; the config's hook (from the image's label) ran once, with the
    // workspace's secrets as a hook of a built image has them.
    const inside = await devc(
      [
        'exec',
        '-w',
        `${prefix}-hit`,
        '--',
        'sh',
        '-c',
        'cat /feature-marker /tmp/post-create /tmp/secret-seen',
      ],
      env,
    );
    expect(inside.stdout).toBe('feature:green\ncreated\nfrom-the-secrets-file\n');
    const view = json(await devc(['view', '-w', `${prefix}-hit`, '--json'], env));
    expect(view).toMatchObject({ image: first.image, imageSource: 'prebuild' });
  });

  it('a changed Feature option misses: another hash, and up builds it (never the stale prebuild)', async () => {
    // The hash is of the config and the files the build reads, not the folder's name: only the option differs.
    const changed = await tree(`${prefix}-app2`, config('blue'));
    const prebuilt = json(await devc(['prebuild', changed, '--json'], env));
    expect(prebuilt).toMatchObject({ outcome: 'success', pushed: false, cached: false });
    expect(prebuilt.hash).not.toBe(first.hash);
    // Not on this engine, not in the registry: up builds it.
    await execa('docker', ['rmi', String(prebuilt.image)]);
    const up = await devc(['up', changed, '--name', `${prefix}-miss`, '--json'], env);
    expect(up.exitCode, up.stderr).toBe(0);
    expect(json(up)).toMatchObject({ imageSource: 'built' });
    const inside = await devc(['exec', '-w', `${prefix}-miss`, '--', 'cat', '/feature-marker'], env);
    expect(inside.stdout).toBe('feature:blue\n');
  });
});

describe('a remote repository', () => {
  it('hashes as up does: the same files give the same hash as the local tree, under its own repository', async () => {
    await git.createRepo(`acme/${prefix}-remote`, config('green'));
    const local = json(
      await devc(['prebuild', await tree(`${prefix}-same`, config('green')), '--json'], env),
    );
    const run = await devc(['prebuild', `acme/${prefix}-remote`, '--json'], env);
    expect(run.exitCode, run.stderr).toBe(0);
    const remote = json(run);
    expect(remote.hash).toBe(local.hash);
    expect(remote.image).toBe(`${registry.host}/${prefix}/acme/${prefix}-remote:${String(local.hash)}`);
    expect(remote).toMatchObject({ outcome: 'success', pushed: false });
  });

  it("a build context outside the repository needs the user's yes, as for up", async () => {
    await git.createRepo(`acme/${prefix}-outside`, {
      '.devcontainer/devcontainer.json': JSON.stringify({
        build: { dockerfile: 'Dockerfile', context: '../..' },
      }),
      '.devcontainer/Dockerfile': 'FROM debian:bookworm-slim\n',
    });
    const run = await devc(['prebuild', `acme/${prefix}-outside`, '--json'], env);
    expect(run.exitCode).toBe(2);
    expect(failure(run)).toMatch(/asks for access to this machine: build\.context/);
    expect(await localImages(`${registry.host}/${prefix}/acme/${prefix}-outside`)).toEqual([]);
  });
});

describe('the GitHub Actions template', () => {
  const runnerEnv = (dockerConfig: string): NodeJS.ProcessEnv => ({
    ...env,
    DOCKER_CONFIG: dockerConfig,
    REGISTRY_USERNAME: 'ci-bot',
    REGISTRY_PASSWORD: 'not-on-the-command-line',
    PATH: `${path.join(root, 'bin')}${path.delimiter}${env.PATH ?? ''}`,
  });

  it('devc-prebuild.sh logs in from the secrets and pushes', async () => {
    const dir = await tree(`${prefix}-ci`, config('teal'));
    const dockerConfig = await mkdtemp(path.join(os.tmpdir(), 'devc-docker-config-'));
    const run = await execa('bash', [path.join(template, 'devc-prebuild.sh'), '.'], {
      cwd: dir,
      env: runnerEnv(dockerConfig),
      extendEnv: false,
      reject: false,
      stdin: 'ignore',
    });
    expect(run.exitCode, String(run.stderr)).toBe(0);
    expect(JSON.parse(String(run.stdout))).toMatchObject({ outcome: 'success', pushed: true, cached: false });
    const saved = JSON.parse(await readFile(path.join(dockerConfig, 'config.json'), 'utf8')) as {
      auths: Record<string, { auth: string }>;
    };
    expect(Buffer.from(saved.auths[registry.host]?.auth ?? '', 'base64').toString()).toBe(
      'ci-bot:not-on-the-command-line',
    );
  });

  it('devc-prebuild.yml: its run steps, as Actions runs them; the same config again is a no-op', async () => {
    const dir = path.join(trees, `${prefix}-ci`);
    const steps = workflowSteps(await readFile(path.join(template, 'devc-prebuild.yml'), 'utf8'));
    expect(steps.map((s) => s.name)).toEqual(['Install devc', 'Log in to the registry', 'Prebuild and push']);
    const temp = await mkdtemp(path.join(os.tmpdir(), 'devc-runner-'));
    const runner = runnerEnv(await mkdtemp(path.join(os.tmpdir(), 'devc-docker-config-')));
    for (const step of steps.slice(1)) {
      const run = await execa('bash', ['-e', '-o', 'pipefail', '-c', step.run], {
        cwd: dir,
        env: { ...runner, RUNNER_TEMP: temp },
        extendEnv: false,
        reject: false,
        stdin: 'ignore',
      });
      expect(run.exitCode, `${step.name}: ${String(run.stderr)}`).toBe(0);
    }
    const result = JSON.parse(await readFile(path.join(temp, 'devc-prebuild.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(result).toMatchObject({ outcome: 'success', pushed: false, cached: true });
  });
});

describe('bad input: one line, exit 1, nothing half-made', () => {
  const simple = (name: string, dockerfile: string): Promise<string> =>
    tree(name, {
      '.devcontainer/devcontainer.json': JSON.stringify({ build: { dockerfile: 'Dockerfile' } }),
      '.devcontainer/Dockerfile': dockerfile,
    });

  it('a registry that does not answer', async () => {
    const source = await simple(`${prefix}-noreg`, 'FROM debian:bookworm-slim\nRUN echo never > /never\n');
    const run = await devc(['prebuild', source, '--registry', '127.0.0.1:1', '--push', '--json'], env);
    expect(run.exitCode).toBe(1);
    expect(failure(run)).toMatch(/^Can't reach the registry 127\.0\.0\.1:1: /);
    expect(await localImages('127.0.0.1:1/')).toEqual([]);
  });

  it('a registry that refuses the push: no tag left on this machine', async () => {
    const source = await simple(
      `${prefix}-refused`,
      'FROM debian:bookworm-slim\nRUN echo refused > /refused\n',
    );
    const run = await devc(['prebuild', source, '--registry', refusingHost, '--push', '--json'], env);
    expect(run.exitCode).toBe(1);
    expect(failure(run)).toMatch(
      new RegExp(`^Can't push the built image to ${refusingHost}: .*(denied|read-only)`, 'i'),
    );
    expect(await localImages(`${refusingHost}/`)).toEqual([]);
  });

  it('a failing build shows its last lines', async () => {
    const source = await simple(
      `${prefix}-badbuild`,
      'FROM debian:bookworm-slim\nRUN echo the-step-that-fails >&2 && exit 3\n',
    );
    const run = await devc(['prebuild', source, '--push', '--json'], env);
    expect(run.exitCode).toBe(1);
    expect(failure(run)).toBe(
      'The image build failed: `echo the-step-that-fails >&2 && exit 3` exited with code 3',
    );
    expect(run.stderr).toContain('the-step-that-fails');
    expect(await localImages(`${registry.host}/${prefix}/local/${prefix}-badbuild`)).toEqual([]);
  });

  it('--push with no registry anywhere is a usage error', async () => {
    const source = await simple(`${prefix}-noregistry`, 'FROM debian:bookworm-slim\n');
    const bare = { ...env };
    delete bare.DEVC_REGISTRY;
    const run = await devc(['prebuild', source, '--push', '--json'], bare);
    expect(run.exitCode).toBe(2);
    expect(failure(run)).toBe('There is no registry to push the prebuild to.');
    expect(await localImages(`devc-prebuild/local/${prefix}-noregistry`)).toEqual([]);
  });

  it('a repository with nothing to build says so and succeeds', async () => {
    const source = await tree(`${prefix}-plain`, {
      '.devcontainer.json': JSON.stringify({ image: 'debian:bookworm-slim' }),
    });
    const run = await devc(['prebuild', source, '--push', '--json'], env);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(json(run)).toEqual({
      outcome: 'nothing-to-build',
      image: 'debian:bookworm-slim',
      digest: null,
      hash: null,
      pushed: false,
      cached: true,
    });
  });
});
