// `up --dotfiles`: a dotfiles repository from the local git server goes into a new workspace once,
// installed by its script or linked into the home; a failing script warns; a missing repository fails
// before anything is made.
import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { devc, devcEnv, uniquePrefix } from './support/devc.js';
import { dockerOut, removeWorkspaces } from './support/docker.js';
import { startGitServer, type GitServer } from './support/git-server.js';
import { leftovers } from './support/leftovers.js';

const prefix = uniquePrefix('dot');
const app = `github/acme/${prefix}-app`;
const exe = (content: string) => ({ content, mode: 0o755 });
let git: GitServer;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  git = await startGitServer();
  env = await devcEnv({ DEVC_GITHUB_URL: git.baseUrl });
  await git.createRepo(`acme/${prefix}-app`, { 'README.md': 'no devcontainer.json: a dev8 image\n' });
  await git.createRepo(`acme/${prefix}-script`, {
    // bootstrap.sh comes after install.sh: only install.sh runs.
    'install.sh': exe(
      '#!/bin/sh\necho "ran in $PWD as $(id -un)" >> "$HOME/installed"\necho "script saw $MYSECRET"\n',
    ),
    'bootstrap.sh': exe('#!/bin/sh\ntouch "$HOME/bootstrapped"\n'),
    '.not-linked-rc': 'x\n',
  });
  await git.createRepo(`acme/${prefix}-links`, {
    '.mydotrc': 'export FROM_DOTFILES=yes\n',
    '.config-extra': 'extra\n',
    'README.md': 'not a dotfile\n',
  });
  await git.createRepo(`acme/${prefix}-failing`, { setup: exe('#!/bin/sh\necho "setup broke"\nexit 3\n') });
  await git.createRepo(
    `acme/${prefix}-private`,
    { install: exe('#!/bin/sh\ntouch "$HOME/private-ok"\n') },
    {
      private: true,
    },
  );
}, 300_000);

afterAll(async () => {
  await removeWorkspaces(prefix);
  await git?.close();
});

const inWorkspace = (name: string, script: string) =>
  dockerOut(['exec', '--user', 'dev', `devc-${name}`, 'sh', '-c', script]);

describe('dotfiles on Docker', () => {
  it('runs the first install script once, as the user, with the secrets; a resume does not redo it', async () => {
    const name = `${prefix}-script`;
    const secrets = `${env.DEVC_HOME ?? os.tmpdir()}/secrets.env`;
    const { writeFile } = await import('node:fs/promises');
    await writeFile(secrets, `MYSECRET=dot-secret-${prefix}\n`);
    const up = await devc(
      ['up', app, '--name', name, '--dotfiles', `acme/${prefix}-script`, '--secrets-file', secrets],
      env,
    );
    expect(up.exitCode, up.stderr).toBe(0);
    expect(await inWorkspace(name, 'cat ~/installed; ls ~/bootstrapped ~/.not-linked-rc 2>&1 | wc -l')).toBe(
      'ran in /home/dev/dotfiles as dev\n2',
    );
    expect(await inWorkspace(name, 'git -C ~/dotfiles log --format=%s -1')).not.toBe('');
    const build = await devc(['logs', '--build', '-w', name], env);
    expect(build.stdout).toContain('script saw ***');
    expect(build.stdout).not.toContain(`dot-secret-${prefix}`);
    expect((await devc(['stop', '-w', name], env)).exitCode).toBe(0);
    const again = await devc(['up', app, '--name', name, '--dotfiles', `acme/${prefix}-script`], env);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(await inWorkspace(name, 'wc -l < ~/installed')).toBe('1');
  });

  it('without a script, links its dotfiles (not .git, not other files) into the home; DEVC_DOTFILES', async () => {
    const name = `${prefix}-links`;
    const up = await devc(['up', app, '--name', name], { ...env, DEVC_DOTFILES: `acme/${prefix}-links` });
    expect(up.exitCode, up.stderr).toBe(0);
    expect(
      await inWorkspace(name, 'readlink ~/.mydotrc ~/.config-extra; ls -d ~/.git ~/README.md 2>&1 | wc -l'),
    ).toBe('/home/dev/dotfiles/.mydotrc\n/home/dev/dotfiles/.config-extra\n2');
  });

  it('a failing install script warns (stderr and the build log); up succeeds', async () => {
    const name = `${prefix}-failing`;
    const up = await devc(['up', app, '--name', name, '--dotfiles', `acme/${prefix}-failing`], env);
    expect(up.exitCode, up.stderr).toBe(0);
    expect(up.stderr).toContain("The dotfiles' install script failed (exit 3); the workspace is up.");
    const build = await devc(['logs', '--build', '-w', name], env);
    expect(build.stdout).toContain('setup broke');
    expect(build.stdout).toContain("devc: warning: The dotfiles' install script failed (exit 3)");
  });

  it('a private dotfiles repository comes through the same token', async () => {
    const name = `${prefix}-private`;
    const up = await devc(['up', app, '--name', name, '--dotfiles', `acme/${prefix}-private`], {
      ...env,
      GITHUB_TOKEN: git.token,
    });
    expect(up.exitCode, up.stderr).toBe(0);
    expect(await inWorkspace(name, 'ls ~/private-ok')).toBe('/home/dev/private-ok');
  });

  it('a dotfiles repository that does not exist: a clear error, nothing made', async () => {
    const home = env.DEVC_HOME ?? '';
    const before = await leftovers(home, prefix);
    const up = await devc(['up', app, '--name', `${prefix}-none`, '--dotfiles', `acme/${prefix}-nope`], env);
    expect(up.exitCode).toBe(4);
    expect(up.stderr).toMatch(
      /Dotfiles: Repository \S+-nope\S* was not found, or you have no access to it\./,
    );
    expect(await leftovers(home, prefix)).toEqual(before);
    const local = await devc(['up', app, '--name', `${prefix}-none`, '--dotfiles', './dots'], env);
    expect(local.exitCode).toBe(2);
    expect(local.stderr).toContain('--dotfiles takes a repository, not a local folder');
    expect(await leftovers(home, prefix)).toEqual(before);
  });
});
