import { describe, expect, it } from 'vitest';
import { untimed } from '../../src/io.js';
import { testIO } from './support/io.js';

describe('IO.span (DEVC_DEBUG=timing)', () => {
  it('says when a step started and ended, on stderr only, when DEVC_DEBUG names timing', async () => {
    const t = testIO({ env: { DEVC_DEBUG: 'other,timing' } });
    expect(await t.io.span('kubernetes: create the objects', () => Promise.resolve(42))).toBe(42);
    expect(t.stderr()).toMatch(/^devc timing: \d+–\d+ ms kubernetes: create the objects \(\d+ ms\)\n$/);
    expect(t.stdout()).toBe('');
  });

  it('prints nothing otherwise, and a failing step still fails', async () => {
    const t = testIO({ env: { DEVC_DEBUG: 'timings' } });
    await expect(t.io.span('up', () => Promise.reject(new Error('no')))).rejects.toThrow('no');
    expect(t.stderr()).toBe('');
  });

  it('times a failing step too, and `untimed` only runs the step', async () => {
    const t = testIO({ env: { DEVC_DEBUG: 'timing' } });
    await expect(t.io.span('up', () => Promise.reject(new Error('no')))).rejects.toThrow('no');
    expect(t.stderr()).toMatch(/ms up \(\d+ ms\)/);
    expect(await untimed.span('x', () => Promise.resolve('y'))).toBe('y');
  });
});
