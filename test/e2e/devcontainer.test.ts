import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { devc, devcEnv, json, uniquePrefix } from './support/devc.js';
import { removeWorkspaces, workspaceContainers } from './support/docker.js';
import { startGitServer, type GitServer } from './support/git-server.js';

const prefix = uniquePrefix('dc');
const userImage = `devc-test/with-user:${prefix}`;
let git: GitServer;
let env: NodeJS.ProcessEnv;

const exe = (content: string) => ({ content, mode: 0o755 });

beforeAll(async () => {
  git = await startGitServer();
  env = await devcEnv({ DEVC_GITHUB_URL: git.baseUrl });
  // A stand-in for a published image with a non-root user (Docker Hub is out of reach here).
  await execa('docker', ['build', '-q', '-t', userImage, '-'], {
    input: 'FROM debian:bookworm-slim\nRUN useradd -m -u 1000 -s /bin/bash app\n',
  });
  await git.createRepo(`acme/${prefix}-dockerfile`, {
    '.devcontainer/devcontainer.json': `// JSON with comments, as VS Code allows
{
  "build": { "dockerfile": "Dockerfile", "context": "..", "args": { "GREETING": "hello-arg" }, "target": "dev" },
  "features": { "./myfeat": { "color": "green" } },
  "remoteUser": "dev",
  "initializeCommand": "touch .initialized-on-host",
  "onCreateCommand": "echo on-create > /tmp/on-create",
  "updateContentCommand": "echo update-content > /tmp/update-content",
  "postCreateCommand": "echo post-create > \${containerWorkspaceFolder}/post-create.txt",
  "postStartCommand": "echo post-start > /tmp/post-start",
  "postAttachCommand": "echo post-attach > /tmp/post-attach",
  "waitFor": "postCreateCommand",
  "hostRequirements": { "cpus": 512 },
  "customizations": { "vscode": { "extensions": ["esbenp.prettier-vscode"] } },
}`,
    '.devcontainer/Dockerfile':
      'FROM debian:bookworm-slim AS dev\nARG GREETING\nRUN useradd -m -u 1000 dev && echo "$GREETING" > /greeting\nFROM dev AS other\nRUN echo not-the-target > /greeting\n',
    '.devcontainer/myfeat/devcontainer-feature.json': JSON.stringify({
      id: 'myfeat',
      version: '1.0.0',
      options: { color: { type: 'string', default: 'red' } },
    }),
    '.devcontainer/myfeat/install.sh': exe('#!/bin/sh\necho "feature:$COLOR" > /feature-marker\n'),
    'README.md': 'dockerfile repo\n',
  });
  await git.createRepo(`acme/${prefix}-compose`, {
    '.devcontainer/devcontainer.json': JSON.stringify({
      dockerComposeFile: 'compose.yml',
      service: 'app',
      runServices: ['app', 'db'],
      workspaceFolder: '/workspaces/${localWorkspaceFolderBasename}',
      remoteUser: 'app',
    }),
    '.devcontainer/compose.yml': `version: '3'
services:
  app:
    image: ${userImage}
    command: sleep infinity
    volumes:
      - ..:/workspaces/${prefix}-compose:cached
  db:
    image: debian:bookworm-slim
    command: ["perl", "-MIO::Socket::INET", "-e", "$$s=IO::Socket::INET->new(LocalPort=>7000,Listen=>5,ReuseAddr=>1) or die; while($$c=$$s->accept){print $$c qq(db-says-hello\\\\n); close $$c}"]
`,
  });
  await git.createRepo(`acme/${prefix}-image`, {
    '.devcontainer.json': JSON.stringify({
      image: userImage,
      remoteUser: 'app',
      containerEnv: { FROM_CONTAINER_ENV: 'container-env-value' },
      remoteEnv: { FROM_REMOTE_ENV: 'remote-env-value' },
    }),
  });
  await git.createRepo(`acme/${prefix}-direct`, {
    '.devcontainer/devcontainer.json': JSON.stringify({
      image: userImage,
      remoteUser: 'app',
      workspaceFolder: '/src/${localWorkspaceFolderBasename}',
      workspaceMount: 'type=bind,source=${localWorkspaceFolder},target=/src/${localWorkspaceFolderBasename}',
      mounts: [`type=volume,source=${prefix}-cache,target=/cache`],
      runArgs: ['--hostname', 'direct-host'],
      containerEnv: { WHERE: '${containerWorkspaceFolder}' },
      onCreateCommand: 'echo on-create > /tmp/on-create',
      postCreateCommand: 'echo post-create > ${containerWorkspaceFolder}/post-create.txt',
      postStartCommand: 'echo started >> /tmp/starts',
    }),
  });
  await git.createRepo(`acme/${prefix}-two`, {
    '.devcontainer/one/devcontainer.json': JSON.stringify({
      image: userImage,
      remoteUser: 'app',
      containerEnv: { WHICH: 'one' },
    }),
    '.devcontainer/two/devcontainer.json': JSON.stringify({
      image: userImage,
      remoteUser: 'app',
      containerEnv: { WHICH: 'two' },
    }),
  });
});

afterAll(async () => {
  await removeWorkspaces(prefix);
  await execa('docker', ['rmi', '-f', userImage], { reject: false });
  await git?.close();
});

const ssh = (name: string, script: string) => devc(['ssh', '-w', name, '--', 'sh', '-c', script], env);

describe('devcontainer.json through @devcontainers/cli', () => {
  it('Dockerfile + build args/target + local Feature + every lifecycle hook', async () => {
    const run = await devc(['up', `github/acme/${prefix}-dockerfile`, '--json', '--trust'], env);
    expect(run.exitCode, run.stderr).toBe(0);
    const ws = json<{ name: string; state: string }>(run);
    expect(ws.state).toBe('running');
    const inside = await ssh(
      ws.name,
      'id -un; cat /greeting /feature-marker /tmp/on-create /tmp/update-content /tmp/post-start /tmp/post-attach post-create.txt; ls -a | grep initialized',
    );
    expect(inside.exitCode, inside.stderr).toBe(0);
    expect(inside.stdout.split('\n')).toEqual([
      'dev',
      'hello-arg',
      'feature:green',
      'on-create',
      'update-content',
      'post-start',
      'post-attach',
      'post-create',
      '.initialized-on-host',
      '',
    ]);
    // hostRequirements bigger than the host: a warning, not a failure.
    expect(run.stderr).toMatch(/asks for 512 CPUs/);
    // No marketplace here: the extension install warns and names the extension.
    expect(run.stderr).toMatch(/Couldn't install editor extensions \(esbenp\.prettier-vscode\)/);
    // The CLI's log is kept as the workspace's build log.
    const buildLog = readFileSync(path.join(env.DEVC_HOME!, 'workspaces', ws.name, 'build.log'), 'utf8');
    expect(buildLog).toMatch(/myfeat/);
    expect(buildLog).toMatch(/post-create/);
    // The image the CLI built for the workspace goes with it.
    const built = ['images', '-q', '--filter', `reference=vsc-${prefix}-dockerfile-*`];
    expect((await execa('docker', built)).stdout.trim()).not.toBe('');
    expect((await devc(['delete', '-w', ws.name, '--force'], env)).exitCode).toBe(0);
    expect((await execa('docker', built)).stdout.trim()).toBe('');
  });

  it('Compose: the workspace reaches a second service by name', async () => {
    const run = await devc(['up', `github/acme/${prefix}-compose`, '--json', '--trust'], env);
    expect(run.exitCode, run.stderr).toBe(0);
    const { name } = json<{ name: string }>(run);
    const reply = await devc(
      [
        'ssh',
        '-w',
        name,
        '--',
        'perl',
        '-MIO::Socket::INET',
        '-e',
        '$c=IO::Socket::INET->new("db:7000") or die "no db: $!"; print <$c>',
      ],
      env,
    );
    expect(reply.exitCode, reply.stderr).toBe(0);
    expect(reply.stdout).toBe('db-says-hello\n');
    expect((await ssh(name, 'id -un')).stdout).toBe('app\n');
    // Deleting the workspace takes the other service and the network with it.
    expect((await devc(['delete', '-w', name, '--force'], env)).exitCode).toBe(0);
    const left = await execa('docker', [
      'ps',
      '-a',
      '-q',
      '--filter',
      `label=com.docker.compose.project=${prefix}-compose_devcontainer`,
    ]);
    expect(left.stdout.trim()).toBe('');
  });

  it('image config: non-root remoteUser, containerEnv and remoteEnv in SSH and exec; rebuild keeps files', async () => {
    const run = await devc(['up', `github/acme/${prefix}-image`, '--json'], env);
    expect(run.exitCode, run.stderr).toBe(0);
    const { name } = json<{ name: string }>(run);
    const shell = await ssh(name, 'echo "$(id -un) $(id -u) $FROM_CONTAINER_ENV $FROM_REMOTE_ENV"');
    expect(shell.stdout).toBe('app 1000 container-env-value remote-env-value\n');
    const exec = await devc(
      ['exec', '-w', name, '--', 'sh', '-c', 'echo "$(id -un) $FROM_CONTAINER_ENV"'],
      env,
    );
    expect(exec.stdout).toBe('app container-env-value\n');

    // rebuild: the container is made again from the changed config; source and home are kept.
    expect((await ssh(name, 'echo kept > ~/home-file && echo kept > source-file')).exitCode).toBe(0);
    const config = path.join(
      env.DEVC_HOME!,
      'workspaces',
      name,
      'src',
      `${prefix}-image`,
      '.devcontainer.json',
    );
    await writeFile(
      config,
      JSON.stringify({
        image: userImage,
        remoteUser: 'app',
        containerEnv: { FROM_CONTAINER_ENV: 'rebuilt' },
      }),
    );
    const rebuilt = await devc(['rebuild', '-w', name], env);
    expect(rebuilt.exitCode, rebuilt.stderr).toBe(0);
    expect((await ssh(name, 'echo $FROM_CONTAINER_ENV; cat ~/home-file source-file')).stdout).toBe(
      'rebuilt\nkept\nkept\n',
    );
    expect(await workspaceContainers(name)).toEqual([name]);
  });

  it('a plain image config runs without the CLI start-up: mounts, runArgs, variables and every hook', async () => {
    const run = await devc(['up', `github/acme/${prefix}-direct`, '--json'], env);
    expect(run.exitCode, run.stderr).toBe(0);
    const { name } = json<{ name: string }>(run);
    const buildLog = path.join(env.DEVC_HOME!, 'workspaces', name, 'build.log');
    expect(readFileSync(buildLog, 'utf8')).toContain('names a local image: running it directly');
    const inside = await ssh(
      name,
      'echo "$(id -un) $(hostname) $PWD $WHERE"; cat /tmp/on-create post-create.txt /tmp/starts; test -d /cache && echo cache',
    );
    expect(inside.exitCode, inside.stderr).toBe(0);
    expect(inside.stdout).toBe(
      `app direct-host /src/${prefix}-direct /src/${prefix}-direct\non-create\npost-create\nstarted\ncache\n`,
    );
    // postStartCommand runs again on every start; the create-time hooks don't.
    expect((await devc(['stop', '-w', name], env)).exitCode).toBe(0);
    expect((await devc(['start', '-w', name], env)).exitCode).toBe(0);
    await expect
      .poll(async () => (await ssh(name, 'cat /tmp/starts /tmp/on-create')).stdout, { timeout: 60_000 })
      .toBe('started\nstarted\non-create\n');
    expect((await devc(['delete', '-w', name, '--force'], env)).exitCode).toBe(0);
    await execa('docker', ['volume', 'rm', '-f', `${prefix}-cache`], { reject: false });
  });

  it('two configs: CI without --devcontainer-path lists them; with it, that one runs', async () => {
    const ambiguous = await devc(['up', `github/acme/${prefix}-two`], env);
    expect(ambiguous.exitCode).toBe(2);
    expect(ambiguous.stderr).toContain('--devcontainer-path');
    expect(ambiguous.stderr).toContain('.devcontainer/one/devcontainer.json');
    expect(ambiguous.stderr).toContain('.devcontainer/two/devcontainer.json');
    expect(await workspaceContainers(`${prefix}-two`)).toEqual([]);
    const run = await devc(
      ['up', `github/acme/${prefix}-two`, '--devcontainer-path', '.devcontainer/two', '--json'],
      env,
    );
    expect(run.exitCode, run.stderr).toBe(0);
    expect((await ssh(json<{ name: string }>(run).name, 'echo $WHICH')).stdout).toBe('two\n');
  });

  it('devc up ./dir uses the working tree as it is, uncommitted devcontainer.json included', async () => {
    const dir = path.join(await mkdtemp(path.join(os.tmpdir(), 'devc-local-')), `${prefix}-local`);
    await execa('git', ['init', '-q', '-b', 'main', dir]);
    await writeFile(
      path.join(dir, '.devcontainer.json'),
      JSON.stringify({ image: userImage, remoteUser: 'app', containerEnv: { STATE: 'committed' } }),
    );
    await execa('git', [
      '-C',
      dir,
      '-c',
      'user.name=t',
      '-c',
      'user.email=t@t',
      'commit',
      '-qam',
      'x',
      '--allow-empty',
    ]);
    await execa('git', ['-C', dir, 'add', '.']);
    await execa('git', ['-C', dir, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'config']);
    await writeFile(
      path.join(dir, '.devcontainer.json'),
      JSON.stringify({ image: userImage, remoteUser: 'app', containerEnv: { STATE: 'uncommitted' } }),
    );
    const run = await devc(['up', './', '--json'], env, { cwd: dir });
    expect(run.exitCode, run.stderr).toBe(0);
    const { name } = json<{ name: string }>(run);
    expect((await ssh(name, 'echo $STATE')).stdout).toBe('uncommitted\n');
    // The user's tree stays theirs: delete leaves it in place.
    expect((await devc(['delete', '-w', name], env)).exitCode).toBe(0);
    expect(existsSync(path.join(dir, '.devcontainer.json'))).toBe(true);
  });
});
