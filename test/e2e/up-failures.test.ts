import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bin, devc, devcEnv, devcProcess, json, uniquePrefix } from './support/devc.js';
import { dockerOut, removeWorkspaces, workspaceContainers } from './support/docker.js';
import { startGitServer, type GitServer } from './support/git-server.js';

const prefix = uniquePrefix('in');
let git: GitServer;
let env: NodeJS.ProcessEnv;
let fullDisk: string | undefined;

beforeAll(async () => {
  git = await startGitServer();
  env = await devcEnv({ DEVC_GITHUB_URL: git.baseUrl });
  for (const name of ['twice', 'sigint', 'ctrlc'])
    await git.createRepo(`acme/${prefix}-${name}`, { 'README.md': `# ${name}\n` });
  // Big enough that the clone is still running when the signal comes.
  await git.createRepo(`acme/${prefix}-full`, {
    'README.md': '# full\n',
    'data.bin': randomBytes(6 * 1024 * 1024).toString('hex'),
  });
  await git.createRepo(`acme/${prefix}-big`, {
    'README.md': '# big\n',
    'blob.bin': randomBytes(48 * 1024 * 1024).toString('base64'),
  });
});

afterAll(async () => {
  if (fullDisk) await execa('umount', [fullDisk], { reject: false });
  await removeWorkspaces(prefix);
  await git?.close();
});

/** Nothing of the workspace is left: no container, no home volume, no folder in DEVC_HOME. */
async function expectNothingLeft(name: string): Promise<void> {
  expect(await workspaceContainers(name)).toEqual([]);
  expect(await dockerOut(['volume', 'ls', '-q', '--filter', `name=devc-${name}-home`])).toBe('');
  expect(existsSync(path.join(env.DEVC_HOME!, 'workspaces', name))).toBe(false);
}

/** Resolves once `text` appears on the child's stderr. */
function stderrSays(child: ReturnType<typeof devcProcess>, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.includes(text)) resolve();
    });
    void child.then(() => reject(new Error(`exited before printing "${text}":\n${seen}`)));
  });
}

describe('concurrency and interruption', () => {
  it('two concurrent `up` of the same repository give one workspace', async () => {
    const name = `${prefix}-twice`;
    const [a, b] = await Promise.all([
      devc(['up', `acme/${name}`, '--idle-timeout', '0', '--json'], env),
      devc(['up', `acme/${name}`, '--idle-timeout', '0', '--json'], env),
    ]);
    expect(a.exitCode, a.stderr).toBe(0);
    expect(b.exitCode, b.stderr).toBe(0);
    expect(json<{ name: string }>(a).name).toBe(name);
    expect(json<{ name: string }>(b).name).toBe(name);
    expect(await workspaceContainers(prefix)).toEqual([name]);
  });

  it('SIGINT to devc during `up` (while starting) exits 130 and leaves nothing', async () => {
    const name = `${prefix}-sigint`;
    const child = devcProcess(['up', `acme/${name}`], env);
    await stderrSays(child, 'Starting workspace');
    child.kill('SIGINT');
    const run = await child;
    expect(run.exitCode, String(run.stderr)).toBe(130);
    expect(String(run.stderr)).toContain('Cancelled');
    await expectNothingLeft(name);
  });

  it('SIGINT while cloning exits 130 and leaves no folder', async () => {
    const name = `${prefix}-big`;
    const child = devcProcess(['up', `acme/${name}`], env);
    await stderrSays(child, 'Cloning');
    child.kill('SIGINT');
    const run = await child;
    expect(run.exitCode, String(run.stderr)).toBe(130);
    expect(String(run.stderr)).not.toContain('Cloned'); // the signal came mid-clone
    await expectNothingLeft(name);
  });

  it('Ctrl-C in a terminal (SIGINT to the whole process group) exits 130 and leaves nothing', async () => {
    const name = `${prefix}-ctrlc`;
    // Its own process group, as a shell gives a foreground job: the docker and git children get it too.
    const child = execa(bin, ['up', `acme/${name}`], {
      env,
      extendEnv: false,
      reject: false,
      detached: true,
      stdin: 'ignore',
      timeout: 600_000,
    });
    await stderrSays(child, 'Starting workspace');
    process.kill(-child.pid!, 'SIGINT');
    const run = await child;
    expect(run.exitCode, String(run.stderr)).toBe(130);
    await expectNothingLeft(name);
  });
});

describe('a full disk during up', () => {
  it('fails with the disk named, and leaves no folder and no container', async () => {
    // DEVC_HOME on a 4 MB tmpfs: room for keys and config, not for the clone.
    fullDisk = mkdtempSync(path.join(os.tmpdir(), 'devc-full-'));
    await execa('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', fullDisk]);
    const small = { ...env, DEVC_HOME: fullDisk };
    const name = `${prefix}-full`;
    const run = await devc(['up', `acme/${name}`], small);
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toMatch(/No space left on device/i);
    expect(await workspaceContainers(name)).toEqual([]);
    expect(existsSync(path.join(fullDisk, 'workspaces', name))).toBe(false);
  });
});
