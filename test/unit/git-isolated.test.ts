import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findUnsavedWork } from '../../src/git/safety.js';
import { headOf } from '../../src/git/trusted.js';
import { gitFileTarget, isolatedConfig, isolatedEnv } from '../../src/git/isolation.js';

const PLAIN = '[core]\n\trepositoryformatversion = 0\n\tbare = false\n';

describe('the config devc writes for a workspace repository', () => {
  it.each([
    ['', { config: PLAIN }],
    [
      'extensions.objectformat sha256',
      {
        config:
          '[core]\n\trepositoryformatversion = 1\n\tbare = false\n[extensions]\n\tobjectformat = sha256\n',
      },
    ],
    [
      'core.ignorecase true\ncore.filemode false\ncore.symlinks maybe',
      { config: `${PLAIN}\tignorecase = true\n\tfilemode = false\n` },
    ],
    [
      'extensions.partialclone origin\nextensions.worktreeconfig true\nextensions.refstorage files',
      { config: PLAIN },
    ],
    ['extensions.objectformat sha3', { config: PLAIN }],
    [
      'extensions.refstorage reftable',
      { refused: expect.stringContaining('extensions.refstorage=reftable') },
    ],
    ['extensions.somethingnew yes', { refused: expect.stringContaining('extensions.somethingnew') }],
  ])('%j → %j', (lines, expected) => {
    expect(isolatedConfig(lines)).toEqual(expected);
  });

  it.each([
    'core.fsmonitor /x',
    'core.hookspath /x',
    'core.pager /x',
    'include.path /x',
    'filter.a.clean /x',
  ])('never carries %s, even when asked', (line) => {
    expect(isolatedConfig(line)).toEqual({ config: PLAIN });
  });
});

describe('the environment of that git', () => {
  it('drops every GIT_* and PAGER of the caller and sets its own', () => {
    const env = isolatedEnv(
      {
        PATH: '/bin',
        HOME: '/home/u',
        GIT_DIR: '/elsewhere',
        GIT_CONFIG_PARAMETERS: "'core.fsmonitor'='evil'",
        GIT_EXTERNAL_DIFF: 'evil',
        GIT_CONFIG_GLOBAL: '/home/u/.gitconfig',
        PAGER: 'evil',
      },
      '/tmp/g',
      '/tree',
    );
    expect(env).toEqual({
      PATH: '/bin',
      HOME: '/home/u',
      GIT_DIR: '/tmp/g',
      GIT_WORK_TREE: '/tree',
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_ATTR_NOSYSTEM: '1',
      GIT_TERMINAL_PROMPT: '0',
      GIT_OPTIONAL_LOCKS: '0',
      GIT_NO_REPLACE_OBJECTS: '1',
      GIT_NO_LAZY_FETCH: '1',
      GIT_PAGER: 'cat',
      PAGER: 'cat',
    });
  });

  it.each([
    ['gitdir: ../.git/modules/sub\n', '/r/sub', '/r/.git/modules/sub'],
    ['gitdir: /abs/wt\n', '/r', '/abs/wt'],
    ['gitdir:nospace', '/r', undefined],
    ['', '/r', undefined],
    ['[core]\ngitdir: /x', '/r', undefined],
  ])('gitdir file %j in %s → %s', (content, holder, expected) => {
    expect(gitFileTarget(content, holder)).toBe(expected);
  });
});

// Real git on real folders: the repository plays a hostile workspace, every program its config names
// leaves a marker, and the marker folder must stay empty.
describe('reading a hostile repository (real git)', () => {
  let root: string;
  let markers: string;
  const git = (dir: string, ...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=T', '-c', 'user.email=t@example.invalid', '-C', dir, ...args], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: root, GIT_CONFIG_NOSYSTEM: '1' },
    });
  const evil = (dir: string, key: string) => {
    const file = path.join(dir, `.evil-${key}`);
    writeFileSync(file, `#!/bin/sh\nid > ${path.join(markers, key)}\nexit 0\n`);
    chmodSync(file, 0o755);
    return file;
  };
  /** A clone of a pushed repository with one committed file. */
  const clone = (name: string) => {
    const origin = path.join(root, `${name}.git`);
    git(root, 'init', '-q', '--bare', '-b', 'main', origin);
    const dir = path.join(root, name);
    git(root, 'clone', '-q', origin, dir);
    writeFileSync(path.join(dir, 'a.txt'), 'a\n');
    git(dir, 'add', '.');
    git(dir, 'commit', '-qm', 'first');
    git(dir, 'push', '-q', 'origin', 'HEAD:main');
    return dir;
  };
  /** Makes a.txt's stat differ from the index, so git must read it through any filter. */
  const touch = (dir: string) => {
    const when = new Date(Date.now() + 5_000);
    execFileSync('touch', ['-d', when.toISOString(), path.join(dir, 'a.txt')]);
  };

  beforeAll(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'devc-hostile-git-'));
    markers = path.join(root, 'markers');
    mkdirSync(markers);
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('runs nothing the repository names and writes nothing into it', async () => {
    const dir = clone('configured');
    writeFileSync(path.join(dir, 'x.p'), 'p\n');
    writeFileSync(path.join(dir, 'x.i'), 'i\n');
    git(dir, 'add', 'x.p', 'x.i');
    const set = (key: string, value: string) => git(dir, 'config', key, value);
    set('filter.evil.clean', evil(dir, 'clean'));
    set('filter.evil.smudge', evil(dir, 'smudge'));
    set('filter.proc.process', evil(dir, 'process'));
    set('core.fsmonitor', evil(dir, 'fsmonitor'));
    set('core.pager', evil(dir, 'pager'));
    set('diff.external', evil(dir, 'diff'));
    set('log.showSignature', 'true');
    set('gpg.program', evil(dir, 'gpg'));
    mkdirSync(path.join(dir, 'hooks'));
    writeFileSync(path.join(dir, 'hooks', 'post-index-change'), readFileSync(evil(dir, 'hook')));
    chmodSync(path.join(dir, 'hooks', 'post-index-change'), 0o755);
    set('core.hooksPath', path.join(dir, 'hooks'));
    writeFileSync(path.join(dir, '.git', 'included'), `[filter "inc"]\n\tclean = ${evil(dir, 'included')}\n`);
    set('include.path', 'included');
    writeFileSync(path.join(dir, '.gitattributes'), 'a.txt filter=evil\n*.p filter=proc\n*.i filter=inc\n');
    touch(dir);
    const index = readFileSync(path.join(dir, '.git', 'index'));

    const work = await findUnsavedWork(dir);
    expect(work.uncommitted).toEqual(
      expect.arrayContaining(['.gitattributes', 'x.i', 'x.p', 'hooks/post-index-change']),
    );
    expect(work.unpushed).toEqual([]);
    expect(await headOf(dir)).toEqual({ branch: 'main', commit: git(dir, 'rev-parse', 'HEAD').trim() });
    expect(readdirSync(markers)).toEqual([]);
    expect(readFileSync(path.join(dir, '.git', 'index'))).toEqual(index);
  });

  it('refuses a .git that is a symbolic link, or a gitdir: file, in a clone', async () => {
    const linked = clone('linked');
    execFileSync('mv', [path.join(linked, '.git'), path.join(linked, 'real-git')]);
    symlinkSync('real-git', path.join(linked, '.git'));
    expect(await findUnsavedWork(linked)).toEqual({
      uncommitted: [`${linked}/.git is a symbolic link, not a folder, so devc can't check this clone`],
      unpushed: [],
      stashed: [],
    });
    expect(await headOf(linked)).toBeUndefined();

    const filed = clone('filed');
    execFileSync('mv', [path.join(filed, '.git'), path.join(filed, 'real-git')]);
    writeFileSync(path.join(filed, '.git'), 'gitdir: real-git\n');
    expect((await findUnsavedWork(filed)).uncommitted).toEqual([
      `${filed}/.git is a file, not a folder, so devc can't check this clone`,
    ]);
  });

  it("follows a linked worktree's .git file for the head of a user's own tree", async () => {
    const main = clone('main-tree');
    const worktree = path.join(root, 'worktree');
    git(main, 'worktree', 'add', '-q', '-b', 'topic', worktree);
    expect(await headOf(worktree)).toEqual({
      branch: 'topic',
      commit: git(main, 'rev-parse', 'HEAD').trim(),
    });
    mkdirSync(path.join(worktree, 'deeper'));
    expect((await headOf(path.join(worktree, 'deeper')))?.branch).toBe('topic');
    expect(await headOf(path.join(root, 'does-not-exist'))).toBeUndefined();
  });

  it("reads a submodule's files without its config: its filter does not run", async () => {
    const sub = clone('subrepo');
    const dir = clone('super');
    git(dir, '-c', 'protocol.file.allow=always', 'submodule', 'add', '-q', sub, 'sub');
    git(dir, 'commit', '-qm', 'add sub');
    git(dir, 'push', '-q', 'origin', 'HEAD:main');
    const inner = path.join(dir, 'sub');
    git(inner, 'config', 'filter.evil.clean', evil(root, 'sub-clean'));
    writeFileSync(path.join(inner, '.gitattributes'), '* filter=evil\n');
    writeFileSync(path.join(inner, 'new.txt'), 'n\n');
    touch(inner);
    const work = await findUnsavedWork(dir);
    expect(work.uncommitted).toEqual(['sub/.gitattributes', 'sub/new.txt']);
    expect(readdirSync(markers)).toEqual([]);
    git(inner, 'config', '--unset', 'filter.evil.clean');
    git(inner, 'add', '.');
    git(inner, 'commit', '-qm', 'inner work');
    const committed = await findUnsavedWork(dir);
    expect(committed.uncommitted).toEqual(['sub']);
    expect(committed.unpushed).toEqual([expect.stringMatching(/^sub: [0-9a-f]+ inner work$/)]);
  });

  it('a FIFO or a link where git keeps a file: refused at once, nothing read through it', async () => {
    const dir = clone('fifo');
    rmSync(path.join(dir, '.git', 'packed-refs'), { force: true });
    execFileSync('mkfifo', [path.join(dir, '.git', 'packed-refs')]);
    expect((await findUnsavedWork(dir)).uncommitted).toEqual([
      expect.stringContaining('packed-refs is not a plain file'),
    ]);
    rmSync(path.join(dir, '.git', 'packed-refs'));
    rmSync(path.join(dir, '.git', 'index'));
    symlinkSync('/etc/hostname', path.join(dir, '.git', 'index'));
    expect((await findUnsavedWork(dir)).uncommitted).toEqual([
      expect.stringContaining('index is a symbolic link'),
    ]);
  });

  it('reads a sha256 repository', async () => {
    const dir = path.join(root, 'sha256');
    git(root, 'init', '-q', '--object-format=sha256', '-b', 'main', dir);
    writeFileSync(path.join(dir, 'a.txt'), 'a\n');
    git(dir, 'add', '.');
    git(dir, 'commit', '-qm', 'first');
    expect((await headOf(dir))?.commit).toMatch(/^[0-9a-f]{64}$/);
    expect((await findUnsavedWork(dir)).unpushed).toEqual([expect.stringMatching(/ first$/)]);
  });
});
