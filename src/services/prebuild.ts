import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parsed, setting } from '../config/settings.js';
import type { Context } from '../context.js';
import { resolveToken } from '../credentials/token.js';
import { UsageError } from '../errors.js';
import { buildsImage } from '../devcontainer/build-inputs.js';
import { chooseConfig } from '../devcontainer/find.js';
import { buildImage, pushBuiltImage } from '../devcontainer/image-build.js';
import { configRegistry, imageTag, type ImageTag } from '../devcontainer/image-tag.js';
import { readConfiguration } from '../devcontainer/up.js';
import type { Progress } from '../ui/progress.js';
import { parseReference } from '../workspace/reference.js';
import { checkLocalTree } from '../workspace/local-tree.js';
import { detectVariant } from '../workspace/variants.js';
import { imageRef } from './images.js';

export interface PrebuildOptions {
  /** Any `up` reference; a local tree is hashed as it is. */
  reference: string;
  /** --registry; default DEVC_REGISTRY (or `devc config`), then the config's prebuildRegistry. */
  registry?: string | undefined;
  push: boolean;
  devcontainerPath?: string | undefined;
  /** e.g. linux/arm64; default this machine's. */
  platform?: string | undefined;
  /** Yes, in advance, to what the config asks of this machine (--trust, DEVC_TRUST), as for `up`. */
  trust?: boolean | undefined;
}

/** `prebuild --json`: these fields, exactly (docs/prebuilds.md). */
export interface PrebuildResult {
  /** success; nothing-to-build: the repository runs an image as it is named (no devcontainer.json build). */
  outcome: 'success' | 'nothing-to-build';
  image: string;
  /** The registry's manifest digest when the image is there, else the local image id; null when nothing was built. */
  digest: string | null;
  hash: string | null;
  pushed: boolean;
  /** Nothing was built: the tag was in the registry or on this engine already. */
  cached: boolean;
}

const PLATFORM = /^linux\/[a-z0-9]+(\/v[0-9]+)?$/;

/**
 * Builds a repository's devcontainer image under the content hash `up` computes (and pushes it with
 * `push`), unless the tag is in the registry or on this engine already: then it does nothing, and says so.
 */
export async function prebuild(
  ctx: Context,
  options: PrebuildOptions,
  progress: Progress,
): Promise<PrebuildResult> {
  if (options.platform !== undefined && !PLATFORM.test(options.platform))
    throw new UsageError(`--platform ${options.platform} is not a platform.`, {
      hint: 'Name one as os/arch, e.g. linux/amd64 or linux/arm64.',
    });
  const flagRegistry =
    options.registry === undefined ? undefined : parsed('registry', options.registry, '--registry');
  const ref = parseReference(options.reference, ctx.env, ctx.cwd);
  let clone: string | undefined;
  try {
    let sourcePath: string;
    if (ref.kind === 'remote') {
      clone = await mkdtemp(path.join(os.tmpdir(), 'devc-prebuild-'));
      sourcePath = path.join(clone, ref.name);
      const token = (await resolveToken(ctx))?.token;
      const { cloneRepository } = await import('../git/clone.js');
      await progress.phase(`Cloning ${ref.display}`, `Cloned ${ref.display}`, () =>
        cloneRepository({ url: ref.url, branch: ref.branch, dest: sourcePath, token, signal: ctx.signal }),
      );
    } else {
      await checkLocalTree(ref.path, ctx.env.HOME || os.homedir());
      sourcePath = ref.path;
    }
    const config = await chooseConfig(
      sourcePath,
      options.devcontainerPath,
      ctx.io.interactive ? (c) => ctx.prompter.pick('Which devcontainer.json:', c) : undefined,
    );
    if (!config) {
      // A dev8 variant is one image for every such repository (`devc images build --push` publishes it).
      const variant = detectVariant(await readdir(sourcePath));
      return nothing(imageRef(variant, ctx.version, await setting(ctx, 'registry')));
    }
    const { configuration } = await readConfiguration(sourcePath, config);
    if (!buildsImage(configuration))
      return nothing(typeof configuration.image === 'string' ? configuration.image : '');
    // The build runs on this machine's engine: a context outside the tree needs the same yes as for `up`.
    const { confirmHostAccess } = await import('./trust.js');
    await confirmHostAccess(
      ctx,
      { kind: 'docker' },
      {
        repository: ref.kind === 'remote' ? ref.url : ref.path,
        sourcePath,
        configFile: config,
        configuration,
        policy: { given: options.trust ?? false, own: ref.kind === 'local' },
      },
    );
    const registry =
      flagRegistry ?? (await setting(ctx, 'registry')) ?? configRegistry(configuration, config);
    if (options.push && !registry)
      throw new UsageError('There is no registry to push the prebuild to.', {
        hint: 'Name one with --registry, DEVC_REGISTRY or "customizations": {"devc": {"prebuildRegistry": …}}.',
      });
    const tag = await imageTag({
      sourcePath,
      configFile: config,
      configuration,
      url: ref.kind === 'remote' ? ref.url : ref.path,
      registry,
      platform: options.platform,
    });
    return await buildOrReuse(ctx, { sourcePath, config, configuration, tag, push: options.push }, progress);
  } finally {
    if (clone) await rm(clone, { recursive: true, force: true });
  }
}

/** The tag's image: in the registry already, on this engine already (pushed if asked), or built now. */
async function buildOrReuse(
  ctx: Context,
  build: {
    sourcePath: string;
    config: string;
    configuration: Record<string, unknown>;
    tag: ImageTag;
    push: boolean;
  },
  progress: Progress,
): Promise<PrebuildResult> {
  const { tag } = build;
  const { inspectImage } = await import('../backends/docker/api.js');
  const found = (digest: string | null, pushed: boolean, cached: boolean): PrebuildResult => ({
    outcome: 'success',
    image: tag.reference,
    digest,
    hash: tag.hash,
    pushed,
    cached,
  });
  if (tag.host) {
    const { manifestDigest, registryLogin } = await import('../backends/kubernetes/registry.js');
    const login = await registryLogin(ctx.env, tag.host);
    const digest = await manifestDigest(tag.host, tag.repository, tag.hash, login);
    if (digest !== undefined) {
      progress.note(`${tag.reference} is in the registry already: nothing to build.`);
      return found(digest || null, false, true);
    }
  }
  const logFile = path.join(ctx.paths.logsDir, `prebuild-${tag.hash}.log`);
  const local = await inspectImage(tag.reference);
  if (local) progress.note(`${tag.reference} is on this engine already: nothing to build.`);
  else
    await progress.phase(`Building ${tag.reference}`, `Built ${tag.reference}`, (update) =>
      buildImage({
        sourcePath: build.sourcePath,
        configFile: build.config,
        reference: tag.reference,
        platform: tag.platform,
        logFile,
        onLog: (log) => {
          if (log.type === 'start' && log.text) update(log.text.split('\n')[0] ?? '');
        },
        signal: ctx.signal,
        next: 'run `devc prebuild` again',
      }),
    );
  if (build.push)
    await progress.phase(`Pushing ${tag.reference}`, `Pushed ${tag.reference}`, () =>
      pushBuiltImage(tag.reference, tag.host, logFile),
    );
  const image = await inspectImage(tag.reference);
  const pushed = image?.RepoDigests?.find((d) => d.startsWith(`${tag.host}/${tag.repository}@`));
  return found(
    (build.push ? pushed?.split('@')[1] : undefined) ?? image?.Id ?? null,
    build.push,
    Boolean(local),
  );
}

function nothing(image: string): PrebuildResult {
  return { outcome: 'nothing-to-build', image, digest: null, hash: null, pushed: false, cached: true };
}
