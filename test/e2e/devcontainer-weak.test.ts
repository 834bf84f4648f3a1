// The weak devcontainer.json cases of the adversarial report (research/adversarial-turn2.md: D01, D01b,
// D03c, D04, D06c, D07, D09, D10): each gives a true one-line message and leaves nothing behind but the
// build log, which DEVC_HOME/logs keeps by design.
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { literal, message, settled } from './support/cases.js';
import { bin, devc, devcEnv, uniquePrefix } from './support/devc.js';
import { dockerOut, removeWorkspaces } from './support/docker.js';
import { startGitServer, type GitServer } from './support/git-server.js';
import { leftovers, nothing } from './support/leftovers.js';

const prefix = uniquePrefix('weak');
const IMAGE = 'debian:bookworm-slim';
let git: GitServer;
let env: NodeJS.ProcessEnv;
let registry: ResultPromise | undefined;
let registryDir: string;
let registryPort: number;
let deadPort: number;

/** A loopback port nothing listens on (for a moment: long enough for these tests). */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

const repo = (id: string, files: Record<string, string>) => git.createRepo(`acme/${prefix}-${id}`, files);
const config = (value: unknown) => ({ '.devcontainer/devcontainer.json': JSON.stringify(value, null, 2) });

beforeAll(async () => {
  git = await startGitServer();
  env = await devcEnv({ DEVC_GITHUB_URL: git.baseUrl });
  // A real registry (Debian's docker-registry), empty, on a free loopback port: it answers "manifest unknown".
  registryPort = await freePort();
  deadPort = await freePort();
  registryDir = await mkdtemp(path.join(os.tmpdir(), 'devc-registry-'));
  await writeFile(
    path.join(registryDir, 'config.yml'),
    `version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: ${registryDir}/data\nhttp:\n  addr: 127.0.0.1:${registryPort}\n`,
  );
  registry = execa('docker-registry', ['serve', path.join(registryDir, 'config.yml')], { reject: false });
  let answers = false;
  for (let i = 0; i < 80 && !answers; i++) {
    answers = (await fetch(`http://127.0.0.1:${registryPort}/v2/`).catch(() => undefined))?.ok ?? false;
    if (!answers) await new Promise((r) => setTimeout(r, 250));
  }
  expect(answers, 'docker-registry (apt-get install docker-registry) did not start').toBe(true);

  await repo('d01', { '.devcontainer/devcontainer.json': 'this is { not json at all\n' });
  await repo('d01b', {
    '.devcontainer/devcontainer.json': [
      '{',
      `  "image": "${IMAGE}",`,
      '  "forwardPorts": [3000,, 3001],',
      '  "remoteEnv": {',
      '    "A": "1"',
      '  }',
      '}',
    ].join('\n'),
  });
  await repo('d03c', config({ image: `127.0.0.1:${registryPort}/${prefix}/nosuch:1.0` }));
  await repo('d03', config({ image: `127.0.0.1:${deadPort}/${prefix}/nosuch:1.0` }));
  await repo('d04', {
    ...config({ build: { dockerfile: 'Dockerfile' } }),
    '.devcontainer/Dockerfile': `FROM ${IMAGE}\nRUN echo ${prefix}-building && exit 7\n`,
  });
  await repo('d06c-devc', config({ image: IMAGE, postCreateCommand: 'sleep 100000' }));
  await repo('d06c-group', config({ image: IMAGE, postCreateCommand: 'sleep 100000' }));
  await repo(
    'd07',
    config({ image: IMAGE, forwardPorts: [0, 70000, 'abc', -1, 3.5, 'localhost:99999', 3000] }),
  );
  await repo(
    'd09',
    config({
      image: IMAGE,
      workspaceFolder: '/etc',
      workspaceMount: 'type=bind,source=${localWorkspaceFolder},target=/etc',
    }),
  );
  // An image whose SSH server can't start: devc finds out from the workspace's output, not a timeout.
  await repo('d09-sshd', {
    ...config({ build: { dockerfile: 'Dockerfile' } }),
    '.devcontainer/Dockerfile': `FROM ${IMAGE}\nRUN printf '#!/bin/sh\\necho "sshd: broken on purpose" >&2\\nexit 1\\n' >/usr/sbin/sshd && chmod +x /usr/sbin/sshd\n`,
  });
  await repo('d10', config({ image: IMAGE, remoteUser: 'nosuchuser' }));
  // With a hook, the Dev Containers CLI meets the missing user first (`docker exec -u`).
  await repo('d10-hook', config({ image: IMAGE, remoteUser: 'nosuchuser', postCreateCommand: 'true' }));
}, 120_000);

afterAll(async () => {
  await removeWorkspaces(prefix);
  registry?.kill();
  await registry;
  await rm(registryDir, { recursive: true, force: true });
  await git?.close();
});

/** The log the error's hint names (DEVC_HOME/logs/…), which outlives the removed workspace. */
function keptLog(stderr: string): string | undefined {
  return /(?:The whole log is in|is at the end of) (\S+?)\.?$/m.exec(stderr)?.[1];
}

describe('a bad devcontainer.json fails with a true message and leaves nothing behind', () => {
  const name = (id: string) => `${prefix}-${id}`;
  const config = '.devcontainer/devcontainer.json';
  it.each([
    ['D01', 'd01', `error: ${config} is not valid JSON: unexpected 'this' at line 1, column 1.`],
    ['D01b', 'd01b', `error: ${config} is not valid JSON: unexpected ',' at line 3, column 25.`],
    [
      'D03c',
      'd03c',
      () =>
        `error: The dev container failed at the image pull step: the registry at 127.0.0.1:${registryPort} has no image ${prefix}/nosuch:1.0`,
    ],
    [
      'D03 (a registry nobody answers on is still "can\'t reach")',
      'd03',
      () => `error: The dev container failed at the image pull step: can't reach 127.0.0.1:${deadPort}`,
    ],
    [
      'D04',
      'd04',
      `error: The dev container failed at the image build step: \`echo ${prefix}-building && exit 7\` exited with code 7`,
    ],
    [
      'D09',
      'd09',
      "error: The devcontainer.json mounts the source over /etc, hiding the image's own /etc: the workspace can't start.",
    ],
    [
      'D09 (an SSH server that keeps exiting)',
      'd09-sshd',
      () =>
        `error: Workspace ${name('d09-sshd')} can't start: its SSH server keeps exiting (sshd: broken on purpose).`,
    ],
    [
      'D10',
      'd10',
      () =>
        `error: Workspace ${name('d10')} can't start: the image has no user nosuchuser (remoteUser or containerUser in devcontainer.json).`,
    ],
    [
      'D10 (with a hook)',
      'd10-hook',
      'error: The dev container failed at the lifecycle hook step: the image has no user nosuchuser (remoteUser or containerUser in devcontainer.json)',
    ],
  ])('%s', async (_, id, expected) => {
    const run = await devc(['up', `acme/${name(id)}`], env);
    expect(run.exitCode, run.stderr).toBe(1);
    expect(message(run)).toBe(typeof expected === 'function' ? expected() : expected);
    expect(run.stdout).toBe('');
    expect(await leftovers(env.DEVC_HOME!, prefix)).toEqual(nothing);
    const log = keptLog(run.stderr);
    if (log) expect(readFileSync(log, 'utf8').length).toBeGreaterThan(0);
    if (id === 'd09-sshd') expect(readFileSync(log ?? '', 'utf8')).toContain('sshd: broken on purpose');
    if (id === 'd10')
      expect(log, run.stderr).toBe(path.join(env.DEVC_HOME!, 'logs', `build-${name(id)}.log`));
    // The classic builder keeps the container of a failed step unless it is removed (BuildKit makes none).
    if (id === 'd04') {
      const commands = await dockerOut(['ps', '-a', '--no-trunc', '--format', '{{.Command}}']);
      expect(commands).not.toContain(`${prefix}-building`);
    }
  });
});

describe('D06c: Ctrl-C twice while a hook hangs', () => {
  it.each([
    ['to devc', 'd06c-devc', false],
    ['to its process group, as a terminal sends it', 'd06c-group', true],
  ])('two SIGINTs 50 ms apart %s: exit 130, "Cancelled.", nothing left', async (_, id, group) => {
    const name = `${prefix}-${id}`;
    const child = execa(bin, ['up', `acme/${name}`], {
      env,
      extendEnv: false,
      reject: false,
      detached: true,
      stdin: 'ignore',
      timeout: 600_000,
    });
    // The postCreateCommand runs: the workspace's container is up and half-made.
    let hanging = false;
    for (let i = 0; i < 600 && !hanging && child.exitCode === null; i++) {
      hanging = (await dockerOut(['top', `devc-${name}`])).includes('sleep 100000');
      if (!hanging) await new Promise((r) => setTimeout(r, 200));
    }
    expect(hanging, 'the postCreateCommand never ran').toBe(true);
    const interrupt = () => (group ? process.kill(-child.pid!, 'SIGINT') : child.kill('SIGINT'));
    interrupt();
    await new Promise((r) => setTimeout(r, 50));
    interrupt();
    const run = await child;
    const stderr = String(run.stderr);
    expect(run.exitCode, stderr).toBe(130);
    expect(stderr.trim().split('\n').at(-1)).toBe('Cancelled.');
    expect(stderr).toMatch(new RegExp(`^! ${literal('Cancelling: removing what was made.')}`, 'm'));
    expect(await leftovers(env.DEVC_HOME!, prefix)).toEqual(nothing);
    expect(existsSync(path.join(env.DEVC_HOME!, 'workspaces', name))).toBe(false);
  });
});

describe('D07: invalid forwardPorts entries', () => {
  it('are named, once each, and the valid one is kept', async () => {
    const name = `${prefix}-d07`;
    const run = await devc(['up', `acme/${name}`, '--json'], env);
    try {
      expect(run.exitCode, run.stderr).toBe(0);
      const warnings = run.stderr.split('\n').filter((l) => l.startsWith('! forwardPorts entry'));
      expect(warnings).toEqual(
        ['0', '70000', '"abc"', '-1', '3.5', '"localhost:99999"'].map(
          (e) => `! forwardPorts entry ${e} is not a port (1-65535) or HOST:PORT; devc skips it.`,
        ),
      );
      const ports = readFileSync(path.join(env.DEVC_HOME!, 'workspaces', name, 'ports.json'), 'utf8');
      expect(JSON.parse(ports)).toMatchObject({ forwardPorts: expect.arrayContaining([3000]) });
    } finally {
      const deleted = await devc(['delete', '-w', name, '--force'], env);
      expect(deleted.exitCode, deleted.stderr).toBe(0);
    }
    // Its forwarder exits on its own within seconds.
    expect(await settled(env.DEVC_HOME!, prefix, (now) => now.processes.length === 0)).toEqual(nothing);
  });
});
