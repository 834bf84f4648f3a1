import path from 'node:path';
import { SETTINGS } from '../config/keys.js';
import { UsageError } from '../errors.js';
import { buildFiles } from './build-inputs.js';
import { contentHash } from './content-hash.js';

/**
 * The tag a Dockerfile or Features config's image goes by: `<registry>/<repository>:<content hash>`.
 * `devc prebuild`, `up` on Docker (a prebuild hit) and the Kubernetes build all name it through here,
 * so the same config gives the same tag wherever it is built.
 */
export interface ImageTag {
  /** `host[:port]/path/repository:hash`, or `devc-prebuild/repository:hash` with no registry. */
  reference: string;
  /** The registry's host (empty with no registry). */
  host: string;
  /** The repository inside the registry (its path prefix included). */
  repository: string;
  hash: string;
  platform: string;
}

/** Where images go with no registry: this engine only. */
const LOCAL_PREFIX = 'devc-prebuild';

/** The platform images are built for: this machine's (the cluster's nodes must share it). */
export function targetPlatform(arch: string = process.arch): string {
  return `linux/${{ x64: 'amd64', ia32: '386', arm: 'arm' }[arch] ?? arch}`;
}

/** `<owner>/<name>` of a repository URL, `local/<folder>` of a local tree: where its images go. */
export function imageRepository(url: string, sourcePath: string): string {
  const local = url === sourcePath;
  const tail = local
    ? `local/${path.basename(sourcePath)}`
    : url
        .replace(/^[a-z+]+:\/\/[^/]+\//i, '')
        .replace(/^[^@/]+@[^:]+:/, '')
        .replace(/\.git$/, '')
        .replace(/\/+$/, '');
  return (
    tail
      .toLowerCase()
      .replace(/[^a-z0-9._/-]+/g, '-')
      .replace(/^[-./]+/, '') || 'workspace'
  );
}

/** DEVC_REGISTRY (`host[:port][/path]`) as its host and the path images go under. */
export function registryHost(registry: string): { host: string; path: string } {
  const [host = '', ...rest] = registry.replace(/\/+$/, '').split('/');
  return { host, path: rest.join('/') };
}

/**
 * The config's own `customizations.devc.prebuildRegistry`, checked like DEVC_REGISTRY. It comes after
 * the flag and DEVC_REGISTRY: the user's choice wins over the repository's.
 */
export function configRegistry(
  configuration: Record<string, unknown>,
  configFile: string,
): string | undefined {
  const customizations = configuration.customizations as Record<string, unknown> | undefined;
  const devc = customizations?.devc as Record<string, unknown> | undefined;
  const value = devc?.prebuildRegistry;
  if (value === undefined) return undefined;
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  try {
    if (typeof value !== 'string') throw new Error('not a string');
    return SETTINGS.registry.parse(value);
  } catch {
    throw new UsageError(`${configFile}: customizations.devc.prebuildRegistry "${text}" is not a registry.`, {
      hint: `Allowed: ${SETTINGS.registry.allowed}.`,
    });
  }
}

/** The tag of this config's image: its content hash (build-inputs.ts, content-hash.ts) under the registry. */
export async function imageTag(input: {
  sourcePath: string;
  /** The devcontainer.json, relative to the source. */
  configFile: string;
  configuration: Record<string, unknown>;
  /** The repository's URL, or the local tree's path (names the image's repository). */
  url: string;
  registry: string | undefined;
  platform?: string | undefined;
}): Promise<ImageTag> {
  const platform = input.platform ?? targetPlatform();
  const files = await buildFiles(input.sourcePath, input.configFile, input.configuration);
  const hash = contentHash({ configuration: input.configuration, files, platform });
  const { host, path: under } = input.registry
    ? registryHost(input.registry)
    : { host: '', path: LOCAL_PREFIX };
  const repository = [under, imageRepository(input.url, input.sourcePath)].filter(Boolean).join('/');
  return { reference: `${host ? `${host}/` : ''}${repository}:${hash}`, host, repository, hash, platform };
}
