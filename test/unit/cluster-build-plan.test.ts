// The Dev Containers CLI's `buildx build` read back (build-plan.ts) and replayed as buildctl in the
// cluster: every part of the CLI's build reaches buildctl, the cache goes to the registry, and a flag
// devc can't replay is refused by name.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { pushRefusal, shimScript } from '../../src/backends/kubernetes/cluster-build.js';
import { buildStep, buildctlArgs, parseBuildx, shellWord } from '../../src/backends/kubernetes/build-plan.js';
import { DevcError } from '../../src/errors.js';

/** What @devcontainers/cli 0.89 ran for a Dockerfile + local Feature config (captured by the shim). */
const FEATURES = [
  '--load',
  '--build-arg',
  'BUILDKIT_INLINE_CACHE=1',
  '-f',
  '/tmp/x/container-features/0.89.0-1/Dockerfile-with-features',
  '-t',
  'reg:5000/local/app:abc',
  '--target',
  'dev_containers_target_stage',
  '--build-context',
  'dev_containers_feature_content_source=/tmp/x/container-features/0.89.0-1',
  '--build-arg',
  '_DEV_CONTAINERS_BASE_IMAGE=dev_container_auto_added_stage_label',
  '--build-arg',
  '_DEV_CONTAINERS_IMAGE_USER=dev',
  '/src/app/.devcontainer',
];

const execFileP = promisify(execFile);

const FOLDERS = { context: '/w/context', dockerfile: '/w/dockerfile', contexts: '/w/contexts' };

describe('parseBuildx', () => {
  it("reads the CLI's Features build", () => {
    expect(parseBuildx(FEATURES)).toEqual({
      dockerfile: '/tmp/x/container-features/0.89.0-1/Dockerfile-with-features',
      context: '/src/app/.devcontainer',
      target: 'dev_containers_target_stage',
      buildArgs: [
        ['BUILDKIT_INLINE_CACHE', '1'],
        ['_DEV_CONTAINERS_BASE_IMAGE', 'dev_container_auto_added_stage_label'],
        ['_DEV_CONTAINERS_IMAGE_USER', 'dev'],
      ],
      contexts: [['dev_containers_feature_content_source', '/tmp/x/container-features/0.89.0-1']],
      labels: [],
      cacheFrom: [],
      noCache: false,
      platform: undefined,
    });
  });

  it.each([
    [['--file=D', '--target=t', 'ctx'], { dockerfile: 'D', target: 't', context: 'ctx' }],
    [['-f', 'D', '--no-cache', '--pull', 'ctx'], { noCache: true }],
    [['-f', 'D', '--cache-from', 'reg/app:cache', 'ctx'], { cacheFrom: ['reg/app:cache'] }],
    [['-f', 'D', '--label', 'a=b=c', 'ctx'], { labels: [['a', 'b=c']] }],
    [['-f', 'D', '--platform', 'linux/arm64', '--progress', 'plain', 'ctx'], { platform: 'linux/arm64' }],
    [['-f', 'D', '--build-arg', 'EMPTY', 'ctx'], { buildArgs: [['EMPTY', '']] }],
  ])('reads %j', (args, expected) => {
    expect(parseBuildx(args)).toMatchObject(expected);
  });

  it.each([
    [['-f', 'D', '--network', 'host', 'ctx'], '--network'],
    [['-f', 'D', '--secret', 'id=x', 'ctx'], '--secret'],
    [['-f', 'D', '--add-host=a:1.2.3.4', 'ctx'], '--add-host'],
  ])('refuses %j by name', (args, flag) => {
    expect(() => parseBuildx(args)).toThrow(new RegExp(`uses ${flag}, which devc can't pass to BuildKit`));
  });

  it.each([
    [['-f', 'D', '--build-context', 'x=docker-image://alpine', 'ctx'], 'x=docker-image://alpine'],
    [['-f', 'D', '--build-context', 'y=https://e.com/a.git', 'ctx'], 'y=https://e.com/a.git'],
  ])('refuses a named context that is not a folder: %j', (args, named) => {
    expect(() => parseBuildx(args)).toThrow(`The build context ${named} is not a folder`);
  });

  it('refuses a build with no Dockerfile or no context', () => {
    expect(() => parseBuildx(['ctx'])).toThrow(DevcError);
    expect(() => parseBuildx(['-f', 'D'])).toThrow(DevcError);
    expect(() => parseBuildx(['-f'])).toThrow('ends after -f');
  });
});

describe('buildctlArgs', () => {
  it('replays the Features build, pushes under the tag and keeps the cache in the registry', () => {
    expect(
      buildctlArgs(
        parseBuildx(FEATURES),
        FOLDERS,
        'reg:5000/local/app:abc',
        'reg:5000/local/app:devc-buildcache',
        'linux/amd64',
      ),
    ).toEqual([
      'build',
      '--progress=plain',
      '--frontend=dockerfile.v0',
      '--local=context=/w/context',
      '--local=dockerfile=/w/dockerfile',
      '--opt=filename=Dockerfile',
      '--opt=platform=linux/amd64',
      '--opt=target=dev_containers_target_stage',
      '--opt=build-arg:BUILDKIT_INLINE_CACHE=1',
      '--opt=build-arg:_DEV_CONTAINERS_BASE_IMAGE=dev_container_auto_added_stage_label',
      '--opt=build-arg:_DEV_CONTAINERS_IMAGE_USER=dev',
      '--local=dev_containers_feature_content_source=/w/contexts/dev_containers_feature_content_source',
      '--opt=context:dev_containers_feature_content_source=local:dev_containers_feature_content_source',
      '--import-cache=type=registry,ref=reg:5000/local/app:devc-buildcache',
      '--export-cache=type=registry,ref=reg:5000/local/app:devc-buildcache,mode=max',
      '--output=type=image,name=reg:5000/local/app:abc,push=true',
    ]);
  });

  it('imports no cache without cache (rebuild --full), but still exports it; cacheFrom is imported too', () => {
    const fresh = buildctlArgs(
      parseBuildx(['-f', 'D', '--no-cache', 'c']),
      FOLDERS,
      'r/a:1',
      'r/a:c',
      'linux/amd64',
    );
    expect(fresh).toContain('--no-cache');
    expect(fresh.filter((a) => a.startsWith('--import-cache'))).toEqual([]);
    expect(fresh).toContain('--export-cache=type=registry,ref=r/a:c,mode=max');
    const from = buildctlArgs(
      parseBuildx(['-f', 'D', '--cache-from', 'r/a:old', 'c']),
      FOLDERS,
      'r/a:1',
      'r/a:c',
      'linux/amd64',
    );
    expect(from.filter((a) => a.startsWith('--import-cache'))).toEqual([
      '--import-cache=type=registry,ref=r/a:c',
      '--import-cache=type=registry,ref=r/a:old',
    ]);
  });

  it("uses the config's platform over the cluster's", () => {
    const args = buildctlArgs(
      parseBuildx(['-f', 'D', '--platform', 'linux/arm64', 'c']),
      FOLDERS,
      'r/a:1',
      'r/a:c',
      'linux/amd64',
    );
    expect(args).toContain('--opt=platform=linux/arm64');
  });
});

describe('shellWord', () => {
  it.each([
    ['plain', "'plain'"],
    ["it's", `'it'\\''s'`],
    ['$HOME `x` "q"', `'$HOME \`x\` "q"'`],
  ])('quotes %j', (word, quoted) => {
    expect(shellWord(word)).toBe(quoted);
  });
});

describe('buildStep: what the progress display shows while BuildKit builds', () => {
  it.each([
    ['#7 [dev_containers_target_stage 3/4] RUN echo x', '[dev_containers_target_stage 3/4] RUN echo x'],
    ['#5 [1/2] FROM reg/base:1', '[1/2] FROM reg/base:1'],
    ['#7 0.104 Feature       : ./greet', undefined],
    ['#7 DONE 0.1s', undefined],
    ['#12 exporting to image', undefined],
    ['[1/2] not a progress line', undefined],
  ])('%j', (line, step) => {
    expect(buildStep(line)).toBe(step);
  });
});

describe('shimScript: the docker the Dev Containers CLI plans a build with', () => {
  async function shim(args: string[]): Promise<{ stdout: string; plan: string[] | undefined }> {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'devc-shim-'));
    try {
      const script = path.join(dir, 'docker');
      // `node` stands for Node: only the base image's facts would reach it.
      await writeFile(script, shimScript('/nonexistent/node'), { mode: 0o755 });
      const planFile = path.join(dir, 'plan');
      const { stdout } = await execFileP(script, args, {
        env: { ...process.env, DEVC_BUILDX_PLAN: planFile },
      });
      const plan = await readFile(planFile, 'utf8').then(
        (t) => t.split('\0').slice(0, -1),
        () => undefined,
      );
      return { stdout, plan };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  it.each([
    [['buildx', 'version'], 'github.com/docker/buildx v0.20.0 devc-cluster-build\n'],
    [['-v'], 'Docker version 29.0.0, build devc\n'],
    [['version', '--format', '{{.Server.Version}}'], '29.0.0\n'],
    [['tag', 'a', 'b'], ''],
  ])('answers %j without Node', async (args, stdout) => {
    expect(await shim(args)).toEqual({ stdout, plan: undefined });
  });

  it('records `buildx build` instead of building, every argument intact', async () => {
    const args = ['--build-arg', "A=it's a b", '-f', '/x/Dockerfile', '/ctx dir'];
    expect(await shim(['buildx', 'build', ...args])).toEqual({ stdout: '', plan: args });
  });

  it('hands anything else to Node (here a missing one: the call fails)', async () => {
    await expect(shim(['inspect', '--type', 'image', 'r/i:1'])).rejects.toThrow();
  });
});

describe('pushRefusal: a refused push told apart from other build failures', () => {
  it.each([
    [
      'error: failed to solve: error writing layer blob: denied: this registry is read-only',
      'denied: this registry is read-only',
    ],
    [
      'ERROR: failed to push r.example/a:1: unexpected status from PUT request to https://r.example/v2/a/manifests/1: 401 Unauthorized',
      '401 Unauthorized',
    ],
    [
      'error: failed to solve: error writing manifest blob: unauthorized: authentication required',
      'unauthorized: authentication required',
    ],
    [
      'error: failed to solve: process "/bin/sh -c exit 3" did not complete successfully: exit code: 3',
      undefined,
    ],
    [
      'error: failed to solve: r.example/base:1: failed to resolve source metadata: denied: no pull',
      undefined,
    ],
  ])('%s', (line, said) => {
    expect(pushRefusal(line)).toBe(said);
  });
});
