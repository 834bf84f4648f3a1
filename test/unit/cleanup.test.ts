import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import { findUnsavedWork, hasUnsavedWork } from '../../src/git/safety.js';
import { pickForCleanup } from '../../src/services/cleanup.js';
import type { Workspace } from '../../src/workspace/model.js';
import { testIO } from './support/io.js';

const now = Date.parse('2026-06-15T12:00:00Z');
const hoursAgo = (h: number) => new Date(now - h * 3600_000).toISOString();

function ws(
  name: string,
  state: Workspace['state'],
  stoppedHoursAgo?: number,
  createdHoursAgo = 1000,
): Workspace {
  return {
    name,
    backend: 'docker',
    state,
    stateReason: undefined,
    repository: { url: 'u', branch: undefined },
    image: 'i',
    variant: undefined,
    folder: '/workspaces/x',
    user: 'dev',
    sourcePath: undefined,
    createdAt: hoursAgo(createdHoursAgo),
    id: name,
    stoppedAt: stoppedHoursAgo === undefined ? undefined : hoursAgo(stoppedHoursAgo),
  };
}

describe('delete --older-than picks', () => {
  const all = [
    ws('running-old', 'running', undefined, 1000),
    ws('stopped-long-ago', 'stopped', 200),
    ws('stopped-recently', 'stopped', 2),
    ws('exited-long-ago', 'exited', 100),
    ws('never-started-old', 'stopped', undefined, 500),
    ws('never-started-new', 'stopped', undefined, 1),
  ].map((workspace) => ({ workspace }));

  it.each([
    [undefined, all.map((s) => s.workspace.name)],
    [7 * 86400, ['stopped-long-ago', 'never-started-old']],
    [3600, ['stopped-long-ago', 'stopped-recently', 'exited-long-ago', 'never-started-old']],
    [10_000 * 3600, []],
  ])('older than %s s → %j', (seconds, names) => {
    expect(pickForCleanup(all, seconds, now).map((s) => s.workspace.name)).toEqual(names);
  });
});

describe('delete flags', () => {
  it.each([[['delete', '--all', '-w', 'shop']], [['delete', '--older-than', 'soon']]])(
    '%j exits 2',
    async (argv) => {
      const t = testIO();
      const code = await main(argv, { io: t.io, env: { DEVC_HOME: '/nonexistent/devc-unit' } });
      expect(code).toBe(2);
    },
  );
});

describe('unsaved work in a clone (real git)', () => {
  it('finds uncommitted files, unpushed commits (detached HEAD too) and stashes; none once pushed', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'devc-safety-'));
    const g = (dir: string, ...args: string[]) =>
      execa('git', ['-c', 'user.name=T', '-c', 'user.email=t@example.invalid', '-C', dir, ...args]);
    await execa('git', ['init', '-q', '--bare', '-b', 'main', path.join(root, 'origin.git')]);
    const clone = path.join(root, 'clone');
    await execa('git', ['clone', '-q', path.join(root, 'origin.git'), clone]);
    await writeFile(path.join(clone, 'a.txt'), 'a\n');
    await g(clone, 'add', '.');
    await g(clone, 'commit', '-qm', 'first');
    await g(clone, 'push', '-q', 'origin', 'HEAD:main');
    expect(hasUnsavedWork(await findUnsavedWork(clone))).toBe(false);

    await writeFile(path.join(clone, 'new.txt'), 'new\n');
    expect((await findUnsavedWork(clone)).uncommitted).toEqual(['new.txt']);
    await g(clone, 'add', '.');
    await g(clone, 'commit', '-qm', 'second');
    expect((await findUnsavedWork(clone)).unpushed).toEqual([expect.stringMatching(/^[0-9a-f]+ second$/)]);
    await g(clone, 'push', '-q', 'origin', 'HEAD:main');
    expect(hasUnsavedWork(await findUnsavedWork(clone))).toBe(false);

    await g(clone, 'checkout', '-q', '--detach');
    await writeFile(path.join(clone, 'b.txt'), 'b\n');
    await g(clone, 'add', '.');
    await g(clone, 'commit', '-qm', 'detached work');
    expect((await findUnsavedWork(clone)).unpushed).toEqual([expect.stringMatching(/detached work$/)]);
    await g(clone, 'checkout', '-q', 'main');

    await writeFile(path.join(clone, 'a.txt'), 'changed\n');
    await g(clone, 'stash', '-q');
    const stashed = await findUnsavedWork(clone);
    expect(stashed.uncommitted).toEqual([]);
    expect(stashed.stashed).toEqual([expect.stringMatching(/^stash@\{0\} /)]);
    expect(hasUnsavedWork(stashed)).toBe(true);
  }, 60_000);

  it('a folder that is not a repository counts as unsaved', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'devc-safety-'));
    expect(hasUnsavedWork(await findUnsavedWork(dir))).toBe(true);
  });
});
