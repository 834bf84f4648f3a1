import { describe, expect, it } from 'vitest';
import { hasStartHooks, planDirect, type ImageFacts } from '../../src/devcontainer/direct.js';

const image: ImageFacts = { labels: {}, env: ['PATH=/usr/bin:/bin', 'LANG=C.UTF-8'], user: '' };
const options = { sourcePath: '/src/shop', image, hostUid: 0 };

function plan(config: Record<string, unknown>, overrides: Partial<typeof options> = {}) {
  const decision = planDirect(config, { ...options, ...overrides });
  if (!('plan' in decision)) throw new Error(`expected a direct plan, got: ${decision.reason}`);
  return decision.plan;
}

function reason(config: Record<string, unknown>, overrides: Partial<typeof options> = {}): string {
  const decision = planDirect(config, { ...options, ...overrides });
  return 'reason' in decision ? decision.reason : 'direct';
}

describe('planDirect', () => {
  it('runs a plain image config itself, with the CLI defaults', () => {
    const p = plan({ image: 'debian:bookworm-slim' });
    expect(p).toMatchObject({
      image: 'debian:bookworm-slim',
      workspaceFolder: '/workspaces/shop',
      workspaceMount: 'type=bind,source=/src/shop,target=/workspaces/shop,consistency=cached',
      remoteUser: 'root',
      containerUser: undefined,
      hooks: false,
    });
    expect(p.metadata).toEqual([{}]);
  });

  it('sends builds, Features, Compose and host hooks to the CLI', () => {
    expect(reason({ build: { dockerfile: 'Dockerfile' } })).toBe('no image');
    expect(reason({ image: 'x', build: {} })).toBe('build');
    expect(reason({ image: 'x', features: { './f': {} } })).toBe('features');
    expect(reason({ image: 'x', features: {} })).toBe('direct');
    expect(reason({ dockerComposeFile: 'c.yml', service: 'app' })).toBe('no image');
    expect(reason({ image: 'x', initializeCommand: 'true' })).toBe('initializeCommand');
    expect(reason({ image: 'x', overrideCommand: false })).toBe('overrideCommand');
    expect(reason({ image: 'x' }, { image: undefined })).toBe('image not local');
  });

  it('substitutes local variables and resolves containerEnv references', () => {
    const p = plan({
      image: 'x',
      workspaceFolder: '/work/${localWorkspaceFolderBasename}',
      workspaceMount: 'type=bind,source=${localWorkspaceFolder},target=/work/${localWorkspaceFolderBasename}',
      containerEnv: { WS: '${containerWorkspaceFolder}', LANG_COPY: '${containerEnv:LANG}' },
      remoteEnv: { PATH: '${containerEnv:PATH}:/extra' },
      postCreateCommand: 'touch ${containerWorkspaceFolder}/made',
    });
    expect(p.workspaceFolder).toBe('/work/shop');
    expect(p.workspaceMount).toBe('type=bind,source=/src/shop,target=/work/shop');
    expect(p.containerEnv).toEqual({ WS: '/work/shop', LANG_COPY: 'C.UTF-8' });
    expect(p.remoteEnv).toEqual({ PATH: '/usr/bin:/bin:/extra' });
    expect(p.hooks).toBe(true);
    expect(p.metadata.at(-1)?.postCreateCommand).toBe('touch /work/shop/made');
  });

  it('leaves a config with variables it cannot resolve to the CLI', () => {
    expect(reason({ image: 'x', runArgs: ['--label', 'id=${devcontainerId}'] })).toMatch(/^variable in/);
  });

  it('turns mounts, runArgs and security settings into docker run arguments', () => {
    const p = plan({
      image: 'x',
      mounts: [
        'type=volume,source=cache,target=/cache',
        { type: 'bind', source: '/tmp', target: '/host-tmp' },
      ],
      runArgs: ['--cap-add=SYS_PTRACE'],
      init: true,
      capAdd: ['NET_ADMIN'],
      securityOpt: ['seccomp=unconfined'],
    });
    expect(p.runArgs).toEqual([
      '--mount',
      'type=volume,source=cache,target=/cache',
      '--mount',
      'type=bind,source=/tmp,target=/host-tmp',
      '--init',
      '--cap-add',
      'NET_ADMIN',
      '--security-opt',
      'seccomp=unconfined',
      '--cap-add=SYS_PTRACE',
    ]);
    expect(reason({ image: 'x', mounts: [{ type: 'tmpfs', target: '/t' }] })).toBe('mounts');
  });

  it('merges simple image metadata, the config winning', () => {
    const labels = {
      'devcontainer.metadata': JSON.stringify([
        { id: 'ghcr.io/devcontainers/features/common-utils:2' },
        { remoteUser: 'vscode', containerEnv: { A: 'image', B: 'image' }, postStartCommand: 'echo hi' },
      ]),
    };
    const p = plan({ image: 'x', containerEnv: { B: 'config' } }, { image: { ...image, labels } });
    expect(p.remoteUser).toBe('vscode');
    expect(p.containerEnv).toEqual({ A: 'image', B: 'config' });
    expect(p.hooks).toBe(true);
    expect(p.metadata).toHaveLength(3);
    const mounts = { 'devcontainer.metadata': JSON.stringify([{ mounts: ['type=volume,target=/x'] }]) };
    expect(reason({ image: 'x' }, { image: { ...image, labels: mounts } })).toBe('image metadata mounts');
    expect(reason({ image: 'x' }, { image: { ...image, labels: { 'devcontainer.metadata': '{' } } })).toBe(
      'image metadata',
    );
  });

  it("takes the user from the config, then the image's metadata, then the image", () => {
    expect(plan({ image: 'x', containerUser: 'app' }).remoteUser).toBe('app');
    expect(plan({ image: 'x' }, { image: { ...image, user: 'node' } }).remoteUser).toBe('node');
    expect(plan({ image: 'x', remoteUser: 'app' }, { hostUid: 1000 }).remoteUser).toBe('app');
    // Another host UID needs the CLI's UID-update image for a non-root user.
    expect(reason({ image: 'x', remoteUser: 'app' }, { hostUid: 1234 })).toBe('remote user UID update');
    expect(reason({ image: 'x' }, { hostUid: 1234 })).toBe('direct');
  });
});

describe('hasStartHooks', () => {
  it('is true when any metadata entry has postStartCommand or postAttachCommand', () => {
    expect(hasStartHooks(undefined)).toBe(false);
    expect(hasStartHooks(JSON.stringify([{ onCreateCommand: 'x' }]))).toBe(false);
    expect(hasStartHooks(JSON.stringify([{}, { postStartCommand: 'x' }]))).toBe(true);
    expect(hasStartHooks('not json')).toBe(false);
  });
});
