import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { devc, devcEnv, uniquePrefix } from './support/devc.js';
import { dockerOut, removeWorkspaces } from './support/docker.js';
import { startGitServer, type GitServer } from './support/git-server.js';

const prefix = uniquePrefix('bad');
let git: GitServer;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  git = await startGitServer();
  env = await devcEnv({ DEVC_GITHUB_URL: git.baseUrl });
  await git.createRepo(`acme/${prefix}-json`, {
    '.devcontainer/devcontainer.json': '{ "image": "debian:bookworm-slim", oops }',
  });
  await git.createRepo(`acme/${prefix}-noimage`, {
    '.devcontainer.json': JSON.stringify({ image: `devc-test/does-not-exist:${prefix}` }),
  });
  await git.createRepo(`acme/${prefix}-dockerfile`, {
    '.devcontainer/devcontainer.json': JSON.stringify({ build: { dockerfile: 'Dockerfile' } }),
    '.devcontainer/Dockerfile': 'FROM debian:bookworm-slim\nRUN echo about to fail && exit 42\n',
  });
  await git.createRepo(`acme/${prefix}-hook`, {
    '.devcontainer.json': JSON.stringify({
      image: 'debian:bookworm-slim',
      postCreateCommand: 'echo hook-output-before-failing; exit 3',
    }),
  });
  await git.createRepo(`acme/${prefix}-oci`, {
    '.devcontainer.json': JSON.stringify({
      image: 'debian:bookworm-slim',
      features: { 'ghcr.io/devcontainers/features/node:1': {} },
    }),
  });
});

afterAll(async () => {
  await removeWorkspaces(prefix);
  await git?.close();
});

/** Nothing of the workspace is left: no container (running or not), no devc folder. */
async function expectNothingLeft(name: string): Promise<void> {
  expect(await dockerOut(['ps', '-a', '-q', '--filter', `label=dev.devc.workspace=${name}`])).toBe('');
  expect(existsSync(path.join(env.DEVC_HOME!, 'workspaces', name))).toBe(false);
}

describe('bad devcontainer.json configs fail clearly and leave nothing behind', () => {
  it.each([
    ['json', /not valid JSON/, /line 1, column/],
    ['noimage', /image pull step/, /does-not-exist/],
    ['dockerfile', /image build step/, /about to fail|non-zero code: 42/],
    ['hook', /postCreateCommand step/, /hook-output-before-failing/],
    ['oci', /Features step/, /ghcr\.io/],
  ])('%s', async (kind, headline, detail) => {
    const name = `${prefix}-${kind}`;
    const run = await devc(['up', `acme/${name}`], env);
    expect(run.exitCode, run.stderr).toBe(1);
    expect(run.stderr).toMatch(headline);
    expect(run.stderr).toMatch(detail);
    expect(run.stdout).toBe('');
    await expectNothingLeft(name);
    // A log the message points at is still there to read.
    const log = /(?:The whole log is in|Log:) (\S+?)\.?$/m.exec(run.stderr)?.[1];
    if (kind !== 'json') expect(log, run.stderr).toBeDefined();
    if (log) expect(existsSync(log), log).toBe(true);
  });
});
