import { createWriteStream, existsSync, readdirSync } from 'node:fs';
import { copyFile, cp, mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setting } from '../config/settings.js';
import type { Context } from '../context.js';
import { DevcError, EngineError, UsageError } from '../errors.js';
import { docker } from '../backends/docker/engine.js';
import type { Progress } from '../ui/progress.js';
import { packageRoot } from '../version.js';
import { withImageLock } from './image-lock.js';
import { CONTEXT_LABEL, imageCurrent, imagesDigest } from './image-digest.js';

import { VARIANTS, type Variant } from '../workspace/variants.js';
export { VARIANTS, parseVariant, type Variant } from '../workspace/variants.js';

/** Each variant builds FROM its parent (passed as the BASE build arg); base builds FROM the OS image. */
export const PARENT: Record<Variant, Variant | undefined> = {
  base: undefined,
  node: 'base',
  python: 'base',
  fullstack: 'node',
};

/** The image reference of a dev8 variant for this devc version, in DEVC_REGISTRY when set. */
export function imageRef(variant: Variant, version: string, registry: string | undefined): string {
  const repo = `devc/dev8-${variant}:${version}`;
  return registry ? `${registry.replace(/\/+$/, '')}/${repo}` : repo;
}

/** The code-server builder stage of dev8-base, tagged so `docker image prune` keeps it (local only). */
export function builderRef(version: string): string {
  return `devc/code-server-build:${version}`;
}

/** The variant and its ancestors, root first: fullstack → [base, node, fullstack]. */
export function lineage(variant: Variant): Variant[] {
  const chain: Variant[] = [];
  for (let v: Variant | undefined = variant; v; v = PARENT[v]) chain.unshift(v);
  return chain;
}

/** Makes sure the variant's image is in the engine: present, else pulled from DEVC_REGISTRY, else built
 * (its parent images first, each the same way). */
export async function ensureImage(ctx: Context, variant: Variant, progress: Progress): Promise<string> {
  const registry = await setting(ctx, 'registry');
  const ref = imageRef(variant, ctx.version, registry);
  const digest = await imagesDigest();
  const current = await imageCurrent(ref, digest).catch((error: unknown) => {
    // No Docker engine here (the gateway in a cluster): the cluster pulls the registry's copy itself.
    if (registry && error instanceof EngineError) return 'no engine';
    throw error;
  });
  if (current === 'no engine')
    progress.note(`No Docker engine here: the cluster pulls ${ref} from the registry as it is.`);
  if (current) return ref;
  // Two devc processes on one engine (two terminals, the gateway's users, any DEVC_HOME) build an
  // image once: the second waits for the first, then finds it current.
  return withImageLock(ref, progress, async () => {
    if (await imageCurrent(ref, digest)) return ref;
    if (registry) {
      const pulled = await progress.phase(`Pulling ${ref}`, `Pulled ${ref}`, async () => {
        const result = await docker(['pull', '--quiet', ref], { allowFailure: true });
        return result.exitCode === 0;
      });
      // A copy built from other image files (another build of this version, with another agent) would
      // run that agent: it is used only when it matches these files.
      if (pulled && (await imageCurrent(ref, digest))) return ref;
      progress.note(
        pulled
          ? `${ref} in the registry was built from other image files; building it here instead.`
          : `Couldn't pull ${ref}; building it here instead.`,
      );
    }
    const parent = PARENT[variant];
    if (parent) await ensureImage(ctx, parent, progress);
    await buildImage(ctx, variant, ref, progress);
    return ref;
  });
}

/** Builds the variant and, first, its parents (Docker's layer cache makes unchanged ones quick).
 * Returns the refs built, root first. */
export async function buildWithParents(
  ctx: Context,
  variant: Variant,
  progress: Progress,
  options: { noCache?: boolean; built?: Set<Variant> } = {},
): Promise<string[]> {
  const refs: string[] = [];
  const registry = await setting(ctx, 'registry');
  for (const v of lineage(variant)) {
    const ref = imageRef(v, ctx.version, registry);
    if (!options.built?.has(v)) {
      await buildImage(ctx, v, ref, progress, options.noCache ?? false);
      options.built?.add(v);
    }
    refs.push(ref);
  }
  return refs;
}

/** The registry `--push` pushes to (the `registry` setting), or a usage error when none is set. */
export async function checkPushRegistry(ctx: Context): Promise<string> {
  const registry = await setting(ctx, 'registry');
  if (registry) return registry;
  throw new UsageError('--push needs a registry.', {
    hint: 'Set DEVC_REGISTRY, e.g. DEVC_REGISTRY=localhost:5000, or `devc config set registry localhost:5000`.',
  });
}

/** Pushes a built image to DEVC_REGISTRY. */
export async function pushImage(ctx: Context, ref: string, progress: Progress): Promise<void> {
  const registry = await checkPushRegistry(ctx);
  await progress.phase(`Pushing ${ref}`, `Pushed ${ref}`, async () => {
    const result = await docker(['push', ref], { allowFailure: true, signal: ctx.signal });
    if (result.exitCode !== 0) {
      throw new DevcError(`Pushing ${ref} failed.`, {
        hint: `Check that ${registry} is reachable and that you are logged in (docker login).`,
        details: result.stderr.trim(),
      });
    }
  });
}

/** Builds one variant (its parent image must exist) from the Dockerfiles shipped in the package,
 * logging to DEVC_HOME/logs. Building base also tags its code-server builder stage. */
export async function buildImage(
  ctx: Context,
  variant: Variant,
  ref: string,
  progress: Progress,
  noCache = false,
): Promise<void> {
  await mkdir(ctx.paths.logsDir, { recursive: true, mode: 0o700 });
  const contextDir = await prepareContext(ctx.env);
  try {
    const dockerfile = path.join(contextDir, `dev8-${variant}`, 'Dockerfile');
    const common = ['--build-arg', `DEVC_VERSION=${ctx.version}`];
    const parent = PARENT[variant];
    if (parent)
      common.push('--build-arg', `BASE=${imageRef(parent, ctx.version, await setting(ctx, 'registry'))}`);
    let fresh = noCache ? ['--no-cache'] : [];
    if (variant === 'base') {
      const builder = builderRef(ctx.version);
      await dockerBuild(
        ctx,
        progress,
        `Building ${builder} (code-server; several minutes the first time)`,
        `Built ${builder}`,
        path.join(ctx.paths.logsDir, 'image-code-server-build.log'),
        [...fresh, ...common, '--target', 'code-server', '-t', builder, '-f', dockerfile, contextDir],
      );
      // The classic builder runs every stage: --no-cache again would compile code-server twice. A new
      // DEVC_CACHE_BUST (declared in the final stage only) rebuilds that stage and reuses the one above.
      if (noCache) fresh = ['--build-arg', `DEVC_CACHE_BUST=${Date.now()}`];
    }
    await dockerBuild(
      ctx,
      progress,
      `Building image ${ref} (a few minutes the first time)`,
      `Built image ${ref}`,
      path.join(ctx.paths.logsDir, `image-${variant}.log`),
      [
        ...fresh,
        ...common,
        '--label',
        `${CONTEXT_LABEL}=${await imagesDigest()}`,
        '-t',
        ref,
        '-f',
        dockerfile,
        contextDir,
      ],
    );
  } finally {
    await rm(contextDir, { recursive: true, force: true });
  }
}

async function dockerBuild(
  ctx: Context,
  progress: Progress,
  label: string,
  done: string,
  logFile: string,
  args: string[],
): Promise<void> {
  await progress.phase(label, done, async (update) => {
    const log = createWriteStream(logFile);
    // Loaded when needed: execa takes ~100 ms to import, which every `up` would pay.
    const { execa } = await import('execa');
    const child = execa('docker', ['build', ...args], { reject: false, all: true, cancelSignal: ctx.signal });
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
    await new Promise<void>((resolve) => log.end(resolve));
    if (result.isCanceled) throw new DevcError('Cancelled.');
    if (result.exitCode !== 0) {
      throw new DevcError(`${label.replace(/ \(.*\)$/, '')} failed.`, {
        hint: `The whole log is in ${logFile}.`,
        details: tail.join('\n'),
      });
    }
  });
}

/**
 * The build context: a temporary copy of the package's images/ folder, plus the extra CA certificates
 * (DEVC_EXTRA_CA_CERTS: files separated by ':'; unset means every *.crt an administrator added under
 * /usr/local/share/ca-certificates, e.g. a TLS-inspecting proxy's) in extra-ca/, which the images trust.
 */
async function prepareContext(env: NodeJS.ProcessEnv): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'devc-images-'));
  await cp(path.join(packageRoot, 'images'), dir, { recursive: true });
  await mkdir(path.join(dir, 'extra-ca'), { recursive: true });
  for (const [i, file] of extraCaFiles(env).entries()) {
    if (!existsSync(file)) throw new UsageError(`DEVC_EXTRA_CA_CERTS names ${file}, which does not exist.`);
    await copyFile(
      file,
      path.join(dir, 'extra-ca', `${i}-${path.basename(file).replace(/\.(crt|pem)$/, '')}.crt`),
    );
  }
  return dir;
}

export function extraCaFiles(env: NodeJS.ProcessEnv): string[] {
  if (env.DEVC_EXTRA_CA_CERTS !== undefined) return env.DEVC_EXTRA_CA_CERTS.split(':').filter(Boolean);
  const local = '/usr/local/share/ca-certificates';
  if (process.platform !== 'linux' || !existsSync(local)) return [];
  return readdirSync(local)
    .filter((f) => f.endsWith('.crt'))
    .sort()
    .map((f) => path.join(local, f));
}

export interface ImageInfo {
  variant: Variant;
  image: string;
  tag: string;
  id: string;
  size: number;
  createdAt: string;
}

/** The dev8 images in the engine (local tags and DEVC_REGISTRY ones), newest first. */
export async function listImages(_ctx: Context): Promise<ImageInfo[]> {
  const ls = await docker(['image', 'ls', '--format', '{{.Repository}}\t{{.Tag}}']);
  const refs: { variant: Variant; repo: string; tag: string }[] = [];
  for (const line of ls.stdout.split('\n')) {
    const [repo = '', tag = ''] = line.split('\t');
    const match = /(?:^|\/)devc\/dev8-([a-z]+)$/.exec(repo);
    if (!match || tag === '<none>' || !(VARIANTS as readonly string[]).includes(match[1]!)) continue;
    refs.push({ variant: match[1] as Variant, repo, tag });
  }
  if (refs.length === 0) return [];
  const inspect = await docker([
    'image',
    'inspect',
    '--format',
    '{{.Id}}\t{{.Size}}\t{{.Created}}',
    ...refs.map((r) => `${r.repo}:${r.tag}`),
  ]);
  const rows = inspect.stdout.split('\n').filter(Boolean);
  return refs
    .map((r, i) => {
      const [id = '', size = '0', created = ''] = (rows[i] ?? '').split('\t');
      return {
        variant: r.variant,
        image: `${r.repo}:${r.tag}`,
        tag: r.tag,
        id,
        size: Number(size),
        createdAt: Number.isNaN(Date.parse(created)) ? created : new Date(created).toISOString(),
      };
    })
    .sort(
      (a, b) =>
        b.createdAt.localeCompare(a.createdAt) || VARIANTS.indexOf(a.variant) - VARIANTS.indexOf(b.variant),
    );
}

/** Sizes the way `docker image ls` prints them (decimal units). */
