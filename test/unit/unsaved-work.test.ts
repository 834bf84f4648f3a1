import { describe, expect, it } from 'vitest';
import { unsavedWorkIn } from '../../src/backends/unsaved-work.js';
import type { Workspace } from '../../src/workspace/model.js';

const workspace = { folder: '/workspaces/shop' } as Workspace;

describe('unsavedWorkIn', () => {
  // The docker CLI's captured output loses its last newline; Kubernetes' exec keeps it.
  it.each([
    ['kept', '?? new\n@@devc@@\nabc1234 init\n@@devc@@\nstash@{0} wip\n'],
    ['trimmed', '?? new\n@@devc@@\nabc1234 init\n@@devc@@\nstash@{0} wip'],
  ])('reads the three answers with the final newline %s', async (_what, stdout) => {
    const work = await unsavedWorkIn(workspace, () => Promise.resolve({ exitCode: 0, stdout, stderr: '' }));
    expect(work).toEqual({ uncommitted: ['new'], unpushed: ['abc1234 init'], stashed: ['stash@{0} wip'] });
  });

  it('reads an empty stash list at the end of trimmed output', async () => {
    const stdout = '@@devc@@\nabc1234 init\n@@devc@@';
    const work = await unsavedWorkIn(workspace, () => Promise.resolve({ exitCode: 0, stdout, stderr: '' }));
    expect(work).toEqual({ uncommitted: [], unpushed: ['abc1234 init'], stashed: [] });
  });

  it('says the folder is no git repository when git fails there', async () => {
    const work = await unsavedWorkIn(workspace, () =>
      Promise.resolve({ exitCode: 128, stdout: '', stderr: 'fatal' }),
    );
    expect(work.uncommitted).toEqual(['/workspaces/shop (not a git repository)']);
  });
});
