import { describe, expect, it } from 'vitest';
import { checkWorkspaceMount, workspaceMountTarget } from '../../src/devcontainer/workspace-mount.js';
import { DevcError } from '../../src/errors.js';

describe('workspaceMountTarget', () => {
  it.each([
    [{}, '/workspaces/app', '/workspaces/app'],
    [{ workspaceMount: 'type=bind,source=/src,target=/etc' }, '/etc', '/etc'],
    [{ workspaceMount: 'source=/src,dst=/code,type=bind' }, '/x', '/code'],
    [{ workspaceMount: 'type=bind,source=/src,destination=/usr/ ' }, '/x', '/usr/'],
    [{ workspaceMount: 'type=volume,source=v' }, '/w', '/w'],
  ])('%j with workspaceFolder %s → %s', (config, folder, target) =>
    expect(workspaceMountTarget(config, folder)).toBe(target),
  );
});

describe('checkWorkspaceMount', () => {
  it.each([
    [{}, '/etc'],
    [{ workspaceMount: 'type=bind,source=/src,target=/etc' }, '/etc'],
    [{ workspaceMount: 'type=bind,source=/src,target=/usr/' }, '/workspaces/x'],
    [{}, '/'],
    [{}, '/opt/devc'],
    [{}, '/proc'],
  ])('refuses %j with workspaceFolder %s', (config, folder) =>
    expect(() => checkWorkspaceMount(config, folder)).toThrow(DevcError),
  );

  it.each([
    [{}, '/workspaces/app'],
    [{}, '/opt/elsewhere'],
    [{}, '/usr/src/app'],
    [{}, '/var/www'],
    [{ workspaceMount: 'type=bind,source=/src,target=/code' }, '/etc'],
  ])('accepts %j with workspaceFolder %s', (config, folder) =>
    expect(() => checkWorkspaceMount(config, folder)).not.toThrow(),
  );

  it('names the folder and a place that works', () => {
    expect(() => checkWorkspaceMount({ workspaceMount: 'type=bind,source=/s,target=/etc' }, '/etc')).toThrow(
      "The devcontainer.json mounts the source over /etc, hiding the image's own /etc: the workspace can't start.",
    );
  });
});
