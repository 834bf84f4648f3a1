// The content hash that tags Kubernetes builds (and prebuilds): what changes it, what does not.
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildFiles, buildsImage } from '../../src/devcontainer/build-inputs.js';
import { canonical, contentHash } from '../../src/devcontainer/content-hash.js';
import { parseJsonc } from '../../src/devcontainer/jsonc.js';
import { imageRepository, targetPlatform } from '../../src/backends/kubernetes/build.js';

const config = {
  build: { dockerfile: 'Dockerfile', context: '.' },
  features: { './feat': { color: 'blue' } },
  remoteUser: 'dev',
  postCreateCommand: 'make',
};

let tree: string;
beforeEach(async () => {
  tree = await mkdtemp(path.join(os.tmpdir(), 'devc-hash-'));
  const files: Record<string, string> = {
    '.devcontainer/devcontainer.json': JSON.stringify(config),
    '.devcontainer/Dockerfile': 'FROM base\nRUN echo one\n',
    '.devcontainer/setup.sh': 'echo setup\n',
    '.devcontainer/notes/big.log': 'ignored\n',
    '.devcontainer/.dockerignore': '# logs\nnotes\n*.tmp\n',
    '.devcontainer/scratch.tmp': 'ignored too\n',
    '.devcontainer/feat/devcontainer-feature.json': '{"id":"feat","options":{"color":{"type":"string"}}}',
    '.devcontainer/feat/install.sh': 'echo $COLOR\n',
    'README.md': 'outside the context\n',
  };
  for (const [file, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(tree, file)), { recursive: true });
    await writeFile(path.join(tree, file), text);
  }
});
afterEach(() => rm(tree, { recursive: true, force: true }));

const CONFIG = '.devcontainer/devcontainer.json';
async function hashOf(
  configuration: Record<string, unknown> = config,
  platform = 'linux/amd64',
): Promise<string> {
  return contentHash({ configuration, files: await buildFiles(tree, CONFIG, configuration), platform });
}

describe('content hash', () => {
  it('reads the Dockerfile, the context less .dockerignore, and local Features', async () => {
    expect(Object.keys(await buildFiles(tree, CONFIG, config)).sort()).toEqual([
      '.devcontainer/.dockerignore',
      '.devcontainer/Dockerfile',
      '.devcontainer/devcontainer.json',
      '.devcontainer/feat/devcontainer-feature.json',
      '.devcontainer/feat/install.sh',
      '.devcontainer/setup.sh',
    ]);
  });

  it('is a stable 32-hex tag', async () => {
    const hash = await hashOf();
    expect(hash).toMatch(/^[0-9a-f]{32}$/);
    expect(await hashOf()).toBe(hash);
  });

  it.each([
    ['a Dockerfile line', '.devcontainer/Dockerfile', 'FROM base\nRUN echo two\n'],
    ['a context file', '.devcontainer/setup.sh', 'echo changed\n'],
    ['a new context file', '.devcontainer/new.txt', 'new\n'],
    ["a local Feature's script", '.devcontainer/feat/install.sh', 'echo $COLOR!\n'],
    ['the Features lockfile', '.devcontainer/devcontainer-lock.json', '{"features":{}}'],
  ])('changes with %s', async (_what, file, text) => {
    const before = await hashOf();
    await writeFile(path.join(tree, file), text);
    expect(await hashOf()).not.toBe(before);
  });

  it.each([
    ['a file .dockerignore leaves out', '.devcontainer/notes/big.log'],
    ['a *.tmp file .dockerignore leaves out', '.devcontainer/scratch.tmp'],
    ['a file outside the context', 'README.md'],
  ])('does not change with %s', async (_what, file) => {
    const before = await hashOf();
    await writeFile(path.join(tree, file), 'changed\n');
    expect(await hashOf()).toBe(before);
  });

  it.each<[string, Record<string, unknown>]>([
    ['a Feature option', { ...config, features: { './feat': { color: 'red' } } }],
    ['a build arg', { ...config, build: { ...config.build, args: { V: '2' } } }],
    ['a lifecycle hook (written into the image label)', { ...config, postCreateCommand: 'make all' }],
    ['remoteUser', { ...config, remoteUser: 'root' }],
  ])('changes with %s', async (_what, changed) => {
    expect(await hashOf(changed)).not.toBe(await hashOf());
  });

  it('changes with the platform', async () => {
    expect(await hashOf(config, 'linux/arm64')).not.toBe(await hashOf(config, 'linux/amd64'));
  });

  it.each<[string, Record<string, unknown>]>([
    ['the name', { ...config, name: 'renamed' }],
    ['workspaceFolder', { ...config, workspaceFolder: '/workspaces/x' }],
    ['runArgs', { ...config, runArgs: ['--cap-add', 'SYS_PTRACE'] }],
    ['initializeCommand (runs on the host)', { ...config, initializeCommand: 'true' }],
    ['build.cacheFrom', { ...config, build: { ...config.build, cacheFrom: 'r/x:cache' } }],
    ['key order', Object.fromEntries(Object.entries(config).reverse())],
  ])('does not change with %s', async (_what, changed) => {
    expect(await hashOf(changed)).toBe(await hashOf());
  });

  it('does not change with comments and formatting in devcontainer.json (the parsed value is hashed)', () => {
    const plain = parseJsonc('{"image":"x","features":{"a":{}}}') as Record<string, unknown>;
    const commented = parseJsonc(
      '{\n  // the image\n  "features": { "a": {}, },\n  "image": "x", /* trailing */\n}',
    ) as Record<string, unknown>;
    const hash = (c: Record<string, unknown>): string =>
      contentHash({ configuration: c, files: {}, platform: 'p' });
    expect(hash(commented)).toBe(hash(plain));
  });

  it('canonical JSON sorts keys at every level', () => {
    expect(canonical({ b: [{ d: 1, c: 2 }], a: null })).toBe('{"a":null,"b":[{"c":2,"d":1}]}');
  });

  it('names the missing Dockerfile', async () => {
    await expect(buildFiles(tree, CONFIG, { build: { dockerfile: 'Nope' } })).rejects.toThrow(
      /names the Dockerfile Nope, which does not exist/,
    );
  });
});

describe('what builds an image on Kubernetes', () => {
  it.each<[Record<string, unknown>, boolean]>([
    [{ image: 'x' }, false],
    [{ image: 'x', features: {} }, false],
    [{ image: 'x', features: { 'ghcr.io/a/b:1': {} } }, true],
    [{ build: { dockerfile: 'Dockerfile' } }, true],
    [{ dockerFile: 'Dockerfile' }, true],
  ])('%j → %s', (configuration, builds) => {
    expect(buildsImage(configuration)).toBe(builds);
  });

  it.each([
    ['http://10.0.0.1:8080/acme/Shop.git', '/tmp/src/shop', 'acme/shop'],
    ['https://github.com/acme/shop', '/tmp/src/shop', 'acme/shop'],
    ['git@github.com:acme/shop.git', '/tmp/src/shop', 'acme/shop'],
    ['/home/me/My Project', '/home/me/My Project', 'local/my-project'],
  ])('images of %s go to %s', (url, source, repository) => {
    expect(imageRepository(url, source)).toBe(repository);
  });

  it('targets linux on this machine’s architecture', () => {
    expect(targetPlatform('x64')).toBe('linux/amd64');
    expect(targetPlatform('arm64')).toBe('linux/arm64');
  });
});
