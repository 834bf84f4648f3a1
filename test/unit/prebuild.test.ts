import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { prebuiltConfiguration } from '../../src/backends/docker/prebuild.js';
import { configRegistry, imageTag } from '../../src/devcontainer/image-tag.js';
import { UsageError } from '../../src/errors.js';
import { readLabels } from '../../src/workspace/labels.js';
import { Label } from '../../src/workspace/model.js';

async function source(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'devc-unit-prebuild-'));
  for (const [file, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
    await writeFile(path.join(dir, file), content);
  }
  return dir;
}

const configuration = { build: { dockerfile: 'Dockerfile' }, features: { './feat': { color: 'green' } } };

describe('the prebuild tag', () => {
  it('is the content hash under the registry, the same for any registry; no registry: this engine only', async () => {
    const dir = await source({
      '.devcontainer/Dockerfile': 'FROM debian\n',
      '.devcontainer/feat/install.sh': 'true\n',
    });
    const input = {
      sourcePath: dir,
      configFile: '.devcontainer/devcontainer.json',
      configuration,
      url: 'https://git.example/acme/Shop.git',
    };
    const team = await imageTag({ ...input, registry: 'registry.example.com:5000/team' });
    const none = await imageTag({ ...input, registry: undefined });
    expect(team).toMatchObject({
      host: 'registry.example.com:5000',
      repository: 'team/acme/shop',
      platform: 'linux/amd64',
    });
    expect(team.reference).toBe(`registry.example.com:5000/team/acme/shop:${team.hash}`);
    expect(none.reference).toBe(`devc-prebuild/acme/shop:${team.hash}`);
    expect(none.host).toBe('');
    // Another platform, a Feature option, a context file: another tag.
    const arm = await imageTag({ ...input, registry: undefined, platform: 'linux/arm64' });
    const blue = await imageTag({
      ...input,
      registry: undefined,
      configuration: { ...configuration, features: { './feat': { color: 'blue' } } },
    });
    await writeFile(path.join(dir, '.devcontainer/feat/install.sh'), 'false\n');
    const changedFeature = await imageTag({ ...input, registry: undefined });
    expect(new Set([team.hash, arm.hash, blue.hash, changedFeature.hash]).size).toBe(4);
  });

  it.each([
    [{}, undefined],
    [{ customizations: { devc: { prebuildRegistry: 'ghcr.io/acme' } } }, 'ghcr.io/acme'],
    [{ customizations: { vscode: {} } }, undefined],
  ])('customizations.devc.prebuildRegistry of %j is %s', (config, expected) => {
    expect(configRegistry(config, 'devcontainer.json')).toBe(expected);
  });

  it.each([['not a registry!'], [42]])(
    'a prebuildRegistry of %j is a usage error naming the file',
    (value) => {
      const call = () =>
        configRegistry({ customizations: { devc: { prebuildRegistry: value } } }, '.devcontainer.json');
      expect(call).toThrow(UsageError);
      expect(call).toThrow(/^\.devcontainer\.json: customizations\.devc\.prebuildRegistry/);
    },
  );
});

describe('a prebuild hit on Docker', () => {
  it('runs the image: the build, Features and hooks (in its label) are gone, the rest is kept', () => {
    const config = {
      build: { dockerfile: 'Dockerfile', context: '..' },
      features: { './feat': {} },
      postCreateCommand: 'make',
      postStartCommand: ['echo', 'hi'],
      remoteUser: 'dev',
      containerEnv: { A: 'b' },
      runArgs: ['--cap-add', 'SYS_PTRACE'],
    };
    expect(prebuiltConfiguration(config, 'r/x:1')).toEqual({
      image: 'r/x:1',
      remoteUser: 'dev',
      containerEnv: { A: 'b' },
      runArgs: ['--cap-add', 'SYS_PTRACE'],
    });
  });

  it.each([
    ['prebuild', 'prebuild'],
    ['built', 'built'],
    ['image', 'image'],
    ['garbage', undefined],
    ['', undefined],
  ])('the image-source label %j reads as %s', (value, expected) => {
    expect(readLabels({ [Label.imageSource]: value }, '').imageSource).toBe(expected);
  });
});
