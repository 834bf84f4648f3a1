import { describe, expect, it } from 'vitest';
import { kind } from './support/engine-kind.js';
import { engineLacks } from '../../src/services/doctor-engine.js';

describe('engineLacks', () => {
  it('nothing on a Docker engine, with or without a podman command', () => {
    expect(engineLacks(kind({}), false)).toEqual([]);
    expect(engineLacks(kind({ rootless: true }), false)).toEqual([]);
  });

  it('Podman does not keep workspaces apart, rootful or rootless', () => {
    expect(engineLacks(kind({ product: 'podman' }), true)).toEqual([
      "workspaces on the devc network aren't kept apart (Podman has no enable_icc)",
    ]);
  });

  it("rootless Podman here needs Podman's own CLI (not a remote one: devc makes nothing with it there)", () => {
    const rootless = kind({ product: 'podman', rootless: true });
    expect(engineLacks(rootless, false)).toContain(
      'the podman command is not on PATH (rootless workspaces need it)',
    );
    expect(engineLacks(rootless, true)).toHaveLength(1);
    expect(engineLacks({ ...rootless, local: false }, false)).toHaveLength(1);
  });
});
