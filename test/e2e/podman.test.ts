import { readFile, stat } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, uniquePrefix, type Run } from './support/devc.js';
import { answers, PERL_SERVER } from './support/servers.js';
import { DEBIAN, DEV8_BASE, makeRepo, startPodman, type Podman } from './support/podman.js';

// Podman 4.3 (Debian) through its Docker-compatible socket, started by this file and stopped after:
// rootless (its own user, slirp4netns: container addresses unreachable from here) runs every step,
// rootful runs up, ssh and delete. docs/engines.md.

const ok = (run: Run): void => expect(run.exitCode, `${run.stdout}\n${run.stderr}`).toBe(0);

/**
 * What host:port says first within `ms` (an SSH server: its banner). Not just "does it connect": a
 * machine whose gateway accepts every TCP connection (this one) connects to any address.
 */
function greeting(host: string, port: number, ms = 3000): Promise<string> {
  return new Promise((resolve) => {
    let said = '';
    const s = net.connect({ host, port });
    const done = (): void => {
      s.destroy();
      resolve(said);
    };
    const timer = setTimeout(done, ms);
    s.on('data', (chunk: Buffer) => {
      said += chunk.toString();
      clearTimeout(timer);
      done();
    });
    s.once('error', () => (clearTimeout(timer), done()));
    s.once('close', () => (clearTimeout(timer), done()));
  });
}

/** What a failed run of this file left on that Podman: containers, volumes and built images of `prefix`. */
async function removeLeftovers(podman: Podman, prefix: string): Promise<void> {
  const ids = async (args: string[]): Promise<string[]> =>
    (await podman.run('docker', args)).stdout.split('\n').filter(Boolean);
  const containers = await ids(['ps', '-a', '-q', '--filter', `name=devc-${prefix}`]);
  if (containers.length) await podman.run('docker', ['rm', '-f', ...containers]);
  const volumes = await ids(['volume', 'ls', '-q', '--filter', `name=devc-${prefix}`]);
  if (volumes.length) await podman.run('docker', ['volume', 'rm', '-f', ...volumes]);
  const images = await ids(['images', '-q', '--filter', `reference=*vsc-${prefix}-*`]);
  if (images.length) await podman.run('docker', ['rmi', '-f', ...images]);
}

describe('rootless Podman', () => {
  const prefix = uniquePrefix('pr');
  let podman: Podman;
  let env: Record<string, string>;
  let repo: string;

  beforeAll(async () => {
    podman = await startPodman(true);
    env = { DEVC_HOME: await podman.tempDir('podman-home') };
    repo = `${await podman.tempDir('podman-src')}/${prefix}-web`;
    await makeRepo(podman, repo, { 'server.pl': PERL_SERVER });
  });

  afterAll(async () => {
    if (!podman) return;
    await removeLeftovers(podman, prefix);
    await podman.stop();
  });

  it('doctor names the engine and what it lacks', async () => {
    const run = await podman.devc(['doctor'], env);
    expect(run.stdout).toMatch(/engine: Podman 4\.\d+\.\d+ \(rootless, local socket\)/);
    expect(run.stdout).toMatch(/ports go through each workspace's sshd, published on 127\.0\.0\.1/);
    expect(run.stdout).not.toMatch(/podman command is not on PATH/);
  });

  it('reads the socket a docker context names (as Docker Desktop, Colima and OrbStack set one)', async () => {
    const config = await podman.tempDir('podman-docker-config');
    const context = { DOCKER_CONFIG: config, DOCKER_HOST: '' };
    const create = ['context', 'create', 'podman-here', '--docker', `host=unix://${podman.socket}`];
    ok(await podman.run('docker', create, { env: context }));
    const run = await podman.devc(['doctor'], { ...env, ...context, DOCKER_CONTEXT: 'podman-here' });
    expect(run.stdout).toMatch(/engine: Podman 4\.\d+\.\d+ \(rootless, local socket\)/);
  });

  it('up, ssh, exec; servers on its loopback and on every address forwarded through its sshd; stop/start; delete', async () => {
    const name = `${prefix}-web`;
    const up = await podman.devc(['up', repo, '--name', name, '--json'], env);
    ok(up);
    expect(json<{ state: string; image: string }>(up)).toMatchObject({ state: 'running', image: DEV8_BASE });
    const ssh = await podman.devc(['ssh', '-w', name, '--', 'sh', '-c', 'id -un; hostname'], env);
    ok(ssh);
    expect(ssh.stdout).toBe(`dev\n${name}\n`);
    const exec = await podman.devc(['exec', '-w', name, '--', 'pwd'], env);
    ok(exec);
    expect(exec.stdout.trim()).toBe(`/workspaces/${name}`);

    // The container's own address is in the rootless network namespace: this machine can't reach it.
    const address = (
      await podman.run('docker', [
        'inspect',
        '--format',
        '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}',
        `devc-${name}`,
      ])
    ).stdout.trim();
    expect(address).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(await greeting(address, 2222)).not.toMatch(/^SSH-/);

    // One server on the workspace's loopback only, one on every address: both through the workspace's
    // sshd, published on this machine's loopback.
    for (const [port, addr] of [
      [7311, '127.0.0.1'],
      [7312, '0.0.0.0'],
    ] as const) {
      const server = [`/workspaces/${name}/server.pl`, String(port), addr];
      ok(await podman.run('docker', ['exec', '-d', '-u', 'dev', `devc-${name}`, 'perl', ...server]));
      ok(await podman.devc(['ports', 'forward', '-w', name, String(port), '--json'], env));
      const rows = json<{ remote: number; local: number }[]>(
        await podman.devc(['ports', '-w', name, '--json'], env),
      );
      const local = rows.find((r) => r.remote === port)?.local;
      expect(local).toBeGreaterThan(0);
      expect(await answers(`http://127.0.0.1:${local}/`, `hello from ${port}\n`)).toBe(
        `hello from ${port}\n`,
      );
    }
    // The forwarder knows the address is no way in: it reports none.
    const state = JSON.parse(
      await readFile(path.join(env.DEVC_HOME!, 'workspaces', name, 'forwarder', 'state.json'), 'utf8'),
    ) as { workspaceState: string; address: string | null };
    expect(state).toMatchObject({ workspaceState: 'running', address: null });

    ok(await podman.devc(['stop', '-w', name], env));
    ok(await podman.devc(['start', '-w', name], env));
    ok(await podman.devc(['ssh', '-w', name, '--', 'true'], env));

    ok(await podman.devc(['delete', '-w', name, '--force'], env));
    expect(
      (await podman.run('docker', ['ps', '-a', '-q', '--filter', `name=devc-${name}`])).stdout.trim(),
    ).toBe('');
    expect(
      (
        await podman.run('docker', ['volume', 'ls', '-q', '--filter', `name=devc-${name}-home`])
      ).stdout.trim(),
    ).toBe('');
  });

  it("runs an image-only devcontainer.json itself; its sshd is published on this machine's loopback", async () => {
    const name = `${prefix}-img`;
    const dir = `${await podman.tempDir('podman-src')}/${name}`;
    await makeRepo(podman, dir, {
      '.devcontainer/devcontainer.json': JSON.stringify({ image: DEBIAN }),
    });
    const up = await podman.devc(['up', dir, '--name', name, '--json'], env);
    ok(up);
    expect(json(up)).toMatchObject({ name, state: 'running' });
    expect((await podman.run('docker', ['port', `devc-${name}`, '2222'])).stdout.trim()).toMatch(
      /^127\.0\.0\.1:\d+$/,
    );
    const inside = await podman.devc(['ssh', '-w', name, '--', 'sh', '-c', 'id -un; ls /workspaces'], env);
    ok(inside);
    expect(inside.stdout).toBe(`root\n${name}\n`);
    ok(await podman.devc(['delete', '-w', name, '--force'], env));
  });

  it('builds a devcontainer.json with a local Feature', async () => {
    const name = `${prefix}-feat`;
    const dir = `${await podman.tempDir('podman-src')}/${name}`;
    await makeRepo(podman, dir, {
      '.devcontainer/devcontainer.json': JSON.stringify({
        build: { dockerfile: 'Dockerfile' },
        features: { './myfeat': { color: 'green' } },
        remoteUser: 'dev',
        postCreateCommand: 'echo post-create > /tmp/post-create',
      }),
      '.devcontainer/Dockerfile': `FROM ${DEBIAN}\nRUN useradd -m -u 1000 dev\n`,
      '.devcontainer/myfeat/devcontainer-feature.json': JSON.stringify({
        id: 'myfeat',
        version: '1.0.0',
        options: { color: { type: 'string', default: 'red' } },
      }),
      '.devcontainer/myfeat/install.sh': {
        content: '#!/bin/sh\necho "feature:$COLOR" > /feature-marker\n',
        mode: 0o755,
      },
    });
    ok(await podman.devc(['up', dir, '--name', name, '--trust', '--json'], env));
    const inside = await podman.devc(
      ['ssh', '-w', name, '--', 'sh', '-c', 'id -un; cat /feature-marker /tmp/post-create'],
      env,
    );
    ok(inside);
    expect(inside.stdout).toBe('dev\nfeature:green\npost-create\n');
    // The repository is the workspace user's inside (the user's uid mapped to it), and what it writes
    // there is the user's here.
    ok(await podman.devc(['ssh', '-w', name, '--', 'touch', `/workspaces/${name}/made-inside`], env));
    const owner = (await stat(path.join(dir, 'made-inside'))).uid;
    expect(owner).toBe((await stat(dir)).uid);
    // sshd and code-server published on 127.0.0.1 as in a dev8 workspace: SSH needs no relay per connection.
    for (const port of ['2222', '8080'])
      expect((await podman.run('docker', ['port', `devc-${name}`, port])).stdout.trim()).toMatch(
        /^127\.0\.0\.1:\d+$/,
      );
    // The image the Dev Containers CLI built goes with the workspace (Podman calls it docker.io/library/vsc-…).
    const built = ['images', '-q', '--filter', `reference=*vsc-${name}-*`];
    expect((await podman.run('docker', built)).stdout.trim()).not.toBe('');
    ok(await podman.devc(['delete', '-w', name, '--force'], env));
    expect((await podman.run('docker', built)).stdout.trim()).toBe('');
  });
});

describe('rootful Podman', () => {
  const prefix = uniquePrefix('pf');
  let podman: Podman;
  let env: Record<string, string>;
  let repo: string;

  beforeAll(async () => {
    podman = await startPodman(false);
    env = { DEVC_HOME: await podman.tempDir('podman-home') };
    repo = `${await podman.tempDir('podman-src')}/${prefix}-one`;
    await makeRepo(podman, repo, { 'README.md': 'rootful\n' });
  });

  afterAll(async () => {
    if (!podman) return;
    await removeLeftovers(podman, prefix);
    await podman.stop();
  });

  it('up, ssh, delete; doctor names it', async () => {
    const name = `${prefix}-one`;
    expect((await podman.devc(['doctor'], env)).stdout).toMatch(
      /engine: Podman 4\.\d+\.\d+ \(rootful, local socket\)/,
    );
    ok(await podman.devc(['up', repo, '--name', name, '--json'], env));
    const ssh = await podman.devc(['ssh', '-w', name, '--', 'id', '-un'], env);
    ok(ssh);
    expect(ssh.stdout).toBe('dev\n');
    ok(await podman.devc(['delete', '-w', name, '--force'], env));
    expect(
      (await podman.run('docker', ['ps', '-a', '-q', '--filter', `name=devc-${name}`])).stdout.trim(),
    ).toBe('');
  });
});
