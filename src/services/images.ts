import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import type { Context } from '../context.js';
import { DevcError } from '../errors.js';
import type { Variant } from '../workspace/variants.js';
import { docker } from '../backends/docker/engine.js';
import type { Progress } from '../ui/progress.js';
import { packageRoot } from '../version.js';

export { VARIANTS, parseVariant, type Variant } from '../workspace/variants.js';

/** The image reference of a dev8 variant for this devc version, in DEVC_REGISTRY when set. */
export function imageRef(variant: Variant, version: string, registry: string | undefined): string {
  const repo = `devc/dev8-${variant}:${version}`;
  return registry ? `${registry.replace(/\/+$/, '')}/${repo}` : repo;
}

/** Makes sure the variant's image is in the engine: present, else pulled from DEVC_REGISTRY, else built. */
export async function ensureImage(ctx: Context, variant: Variant, progress: Progress): Promise<string> {
  const ref = imageRef(variant, ctx.version, ctx.env.DEVC_REGISTRY);
  if ((await docker(['image', 'inspect', '--format', '{{.Id}}', ref], { allowFailure: true })).exitCode === 0)
    return ref;
  if (ctx.env.DEVC_REGISTRY) {
    const pulled = await progress.phase(`Pulling ${ref}`, `Pulled ${ref}`, async () => {
      const result = await docker(['pull', '--quiet', ref], { allowFailure: true });
      return result.exitCode === 0;
    });
    if (pulled) return ref;
    progress.note(`Couldn't pull ${ref}; building it here instead.`);
  }
  await buildImage(ctx, variant, ref, progress);
  return ref;
}

/** Builds one variant from the Dockerfiles shipped in the package, logging to DEVC_HOME/logs. */
export async function buildImage(
  ctx: Context,
  variant: Variant,
  ref: string,
  progress: Progress,
  noCache = false,
): Promise<void> {
  const contextDir = path.join(packageRoot, 'images');
  const dockerfile = path.join(contextDir, `dev8-${variant}`, 'Dockerfile');
  await mkdir(ctx.paths.logsDir, { recursive: true });
  const logFile = path.join(ctx.paths.logsDir, `image-${variant}.log`);
  await progress.phase(
    `Building image ${ref} (first time only; a few minutes)`,
    `Built image ${ref}`,
    async (update) => {
      const log = createWriteStream(logFile);
      const child = execa(
        'docker',
        [
          'build',
          ...(noCache ? ['--no-cache'] : []),
          '--build-arg',
          `DEVC_VERSION=${ctx.version}`,
          '-t',
          ref,
          '-f',
          dockerfile,
          contextDir,
        ],
        {
          reject: false,
          all: true,
          cancelSignal: ctx.signal,
        },
      );
      let tail: string[] = [];
      child.all?.on('data', (chunk: Buffer) => {
        log.write(chunk);
        const lines = chunk
          .toString()
          .split('\n')
          .filter((l) => l.trim());
        tail = [...tail, ...lines].slice(-15);
        const step = lines.reverse().find((l) => l.startsWith('Step '));
        if (step) update(step);
      });
      const result = await child;
      log.end();
      if (result.exitCode !== 0) {
        throw new DevcError(`Building image ${ref} failed.`, {
          hint: `The whole log is in ${logFile}.`,
          details: tail.join('\n'),
        });
      }
    },
  );
}
