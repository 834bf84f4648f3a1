import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { checkLocalTree, refusedLocalTree } from '../../src/workspace/local-tree.js';

const home = '/home/u';

describe('refusedLocalTree', () => {
  it.each([
    ['/', 'it is the root folder'],
    ['/etc', 'it is a system folder'],
    ['/etc/', 'it is a system folder'],
    ['/etc/nginx', 'it is inside the system folder /etc'],
    ['/usr', 'it is a system folder'],
    ['/usr/lib/x86_64-linux-gnu', 'it is inside the system folder /usr/lib'],
    ['/bin', 'it is a system folder'],
    ['/lib64', 'it is a system folder'],
    ['/var', 'it is a system folder'],
    ['/var/lib', 'it is a system folder'],
    ['/proc/1', 'it is inside the system folder /proc'],
    ['/tmp', 'it is a system folder'],
    ['/home', 'it is a system folder'],
    ['/opt', 'it is a system folder'],
    ['/home/u', 'it is your home folder'],
    ['/home/u/', 'it is your home folder'],
    ['/System/Library', 'it is inside the system folder /System'],
    ['/private/etc', 'it is a system folder'],
  ])('refuses %s: %s', (dir, reason) => {
    expect(refusedLocalTree(dir, home, 'linux')).toBe(reason);
  });

  it.each([
    '/home/u/code/app',
    '/home/other',
    '/tmp/checkout',
    '/opt/project',
    '/srv/site',
    '/usr/local/src/app',
    '/usr/src/linux',
    '/var/www/site',
    '/var/lib/jenkins/workspace/app',
    '/workspaces/app',
    '/etcetera',
  ])('accepts %s', (dir) => {
    expect(refusedLocalTree(dir, home, 'linux')).toBeUndefined();
  });

  it('accepts anything inside home, even when home is under a system folder', () => {
    expect(refusedLocalTree('/var/lib/ci/work/app', '/var/lib/ci', 'linux')).toBeUndefined();
    expect(refusedLocalTree('/var/lib/ci', '/var/lib/ci', 'linux')).toBe('it is your home folder');
    expect(refusedLocalTree('/var/lib/docker', '/var/lib/ci', 'linux')).toBeUndefined();
    expect(refusedLocalTree('/etc/app', '/var/lib/ci', 'linux')).toBe('it is inside the system folder /etc');
  });

  it('ignores case on macOS only', () => {
    expect(refusedLocalTree('/system/library', home, 'darwin')).toBe(
      'it is inside the system folder /system',
    );
    expect(refusedLocalTree('/Users/U', '/Users/u', 'darwin')).toBe('it is your home folder');
    expect(refusedLocalTree('/system/library', home, 'linux')).toBeUndefined();
  });

  it('has no home check when home is unknown', () => {
    expect(refusedLocalTree('/home/u', '', 'linux')).toBeUndefined();
  });
});

describe('checkLocalTree', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'devc-local-tree-'));
    await mkdir(path.join(dir, 'home', 'project'), { recursive: true });
    await symlink('/etc', path.join(dir, 'to-etc'));
    await symlink(path.join(dir, 'home'), path.join(dir, 'to-home'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('resolves links before it decides, and names the real folder', async () => {
    const error = await checkLocalTree(path.join(dir, 'to-etc'), path.join(dir, 'home')).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).message).toBe(
      'Refusing to use /etc as a workspace: it is a system folder. Run devc up in a project folder.',
    );
  });

  it('refuses the home folder reached through a link to it', async () => {
    const home = path.join(dir, 'home');
    await expect(checkLocalTree(path.join(dir, 'to-home'), home)).rejects.toThrow(
      `Refusing to use ${home} as a workspace: it is your home folder.`,
    );
  });

  it('accepts a project folder', async () => {
    await expect(
      checkLocalTree(path.join(dir, 'home', 'project'), path.join(dir, 'home')),
    ).resolves.toBeUndefined();
  });

  it('refuses a folder that does not exist, and a file, saying what to give instead', async () => {
    const missing = path.join(dir, 'missing');
    await expect(checkLocalTree(missing, path.join(dir, 'home'))).rejects.toThrow(
      `There is no folder ${missing}. Give a project folder, or a repository such as github/OWNER/REPO.`,
    );
    const file = path.join(dir, 'file.txt');
    await writeFile(file, 'x');
    await expect(checkLocalTree(file, path.join(dir, 'home'))).rejects.toThrow(
      `${file} is not a folder. Give the project folder that holds it.`,
    );
  });
});
