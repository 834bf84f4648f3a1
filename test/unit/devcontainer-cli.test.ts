import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDevcontainer } from '../../src/devcontainer/cli.js';

describe('runDevcontainer without a result', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'devc-cli-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('gives the line the CLI ended its usage text with, not its help', async () => {
    const { result, tail } = await runDevcontainer(
      ['up', '--workspace-folder', dir, '--id-label', 'dev.devc.branch='],
      {},
    );
    expect(result).toEqual({
      outcome: 'error',
      message: 'Unmatched argument format: id-label must match <name>=<value>',
      noResult: true,
    });
    expect(tail.join('\n')).not.toContain('--skip-post-attach');
  });
});
