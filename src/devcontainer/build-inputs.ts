import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { DevcError } from '../errors.js';

/** Whether a config builds an image (a Dockerfile, or Features on top of its image). */
export function buildsImage(configuration: Record<string, unknown>): boolean {
  return dockerfileOf(configuration) !== undefined || localAndRemoteFeatures(configuration).length > 0;
}

/** The Dockerfile and context a config names, relative to the config's folder. */
export function dockerfileOf(
  configuration: Record<string, unknown>,
): { dockerfile: string; context: string } | undefined {
  const build = (configuration.build ?? {}) as Record<string, unknown>;
  const dockerfile = build.dockerfile ?? build.dockerFile ?? configuration.dockerFile;
  if (typeof dockerfile !== 'string') return undefined;
  const context = build.context ?? configuration.context;
  return { dockerfile, context: typeof context === 'string' ? context : '.' };
}

function localAndRemoteFeatures(configuration: Record<string, unknown>): string[] {
  const features = configuration.features;
  return features && typeof features === 'object' ? Object.keys(features) : [];
}

/**
 * Every file the build reads, path (relative to the source folder) → sha256: the Dockerfile, the
 * whole build context less what its .dockerignore leaves out (and `.git`), the Features lockfile and
 * each local Feature's folder. Features from a registry are named (with their version) in the config, which is hashed.
 */
export async function buildFiles(
  sourcePath: string,
  configFile: string,
  configuration: Record<string, unknown>,
): Promise<Record<string, string>> {
  const configDir = path.dirname(path.resolve(sourcePath, configFile));
  const files: Record<string, string> = {};
  const add = async (file: string): Promise<void> => {
    files[path.relative(sourcePath, file)] = createHash('sha256')
      .update(await readFile(file))
      .digest('hex');
  };
  const build = dockerfileOf(configuration);
  if (build) {
    const dockerfile = path.resolve(configDir, build.dockerfile);
    await add(dockerfile).catch(() => {
      throw new DevcError(`${configFile} names the Dockerfile ${build.dockerfile}, which does not exist.`, {
        hint: 'Fix "build.dockerfile" (it is relative to the devcontainer.json).',
      });
    });
    const context = path.resolve(configDir, build.context);
    const skip = await dockerignore(context);
    for (const file of await walk(context, (rel) => rel === '.git' || skip(rel))) await add(file);
  }
  // The Features lockfile pins remote Features' versions (wherever the context is).
  const lockfile = lockfileOf(path.resolve(sourcePath, configFile));
  await add(lockfile).catch(() => undefined);
  for (const feature of localAndRemoteFeatures(configuration).filter((f) => /^\.\.?\//.test(f))) {
    for (const file of await walk(path.resolve(configDir, feature), () => false)) await add(file);
  }
  return files;
}

/** The Features lockfile the Dev Containers CLI reads (and writes) beside a config. */
export function lockfileOf(configFile: string): string {
  const base = path.basename(configFile);
  return path.join(
    path.dirname(configFile),
    base.startsWith('.') ? '.devcontainer-lock.json' : 'devcontainer-lock.json',
  );
}

/**
 * The context's .dockerignore as a test on context-relative paths. Docker anchors its patterns at the
 * context's root, where gitignore (the `ignore` package) matches a bare name at any depth: patterns
 * are anchored with a leading `/` before they are handed over.
 */
async function dockerignore(context: string): Promise<(relative: string) => boolean> {
  const text = await readFile(path.join(context, '.dockerignore'), 'utf8').catch(() => '');
  const patterns = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const negated = line.startsWith('!');
      const body = (negated ? line.slice(1) : line).replace(/^\.?\//, '');
      return `${negated ? '!' : ''}${body.startsWith('**') ? body : `/${body}`}`;
    });
  // `ignore` is CommonJS whose types declare an ES default export, which NodeNext can't call.
  const ignore = createRequire(import.meta.url)('ignore') as () => {
    add(patterns: string[]): { ignores(path: string): boolean };
  };
  const matcher = ignore().add(patterns);
  return (relative) => matcher.ignores(relative);
}

/** The files under `root` (sorted), leaving out what `skip` says (for a folder: all of it). */
async function walk(root: string, skip: (relative: string) => boolean): Promise<string[]> {
  const found: string[] = [];
  const visit = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' && dir === root) return [];
      throw error;
    });
    for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const full = path.join(dir, entry.name);
      const relative = path.relative(root, full).split(path.sep).join('/');
      if (entry.isDirectory()) {
        if (!skip(relative) && !skip(`${relative}/`)) await visit(full);
      } else if (entry.isFile() && !skip(relative)) found.push(full);
    }
  };
  await visit(root);
  return found;
}
