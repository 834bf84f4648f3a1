import { describe, expect, it } from 'vitest';
import { CancelledError } from '../../src/errors.js';
import { confirm } from '../../src/ui/confirm.js';
import { testIO } from './support/io.js';

describe('the yes/no prompt', () => {
  it.each([
    ['y\n', true],
    ['Yes\n', true],
    ['n\n', false],
    ['\n', false],
    ['yep\n', false],
  ])('%j is %s', async (typed, expected) => {
    const t = testIO();
    const answer = confirm(t.io, 'Trust it? [y/N]:', new AbortController().signal);
    t.io.stdin.push(typed);
    expect(await answer).toBe(expected);
    expect(t.stderr()).toContain('Trust it? [y/N]: ');
  });

  it('the end of input is a no', async () => {
    const t = testIO();
    const answer = confirm(t.io, 'Trust it? [y/N]:', new AbortController().signal);
    t.io.stdin.push(null);
    expect(await answer).toBe(false);
  });

  it('Ctrl-C cancels', async () => {
    const t = testIO();
    const abort = new AbortController();
    const answer = confirm(t.io, 'Trust it? [y/N]:', abort.signal);
    abort.abort();
    await expect(answer).rejects.toBeInstanceOf(CancelledError);
  });
});
