import path from 'node:path';
import { DevcError, EngineError, UsageError } from '../../errors.js';
import { dockerfileOf } from '../../devcontainer/build-inputs.js';
import { buildImage, logLine, pushBuiltImage } from '../../devcontainer/image-build.js';
import { imageTag } from '../../devcontainer/image-tag.js';
import type { DevcontainerSpec } from '../backend.js';
import type { KubeTarget } from './client.js';
import { completeCheckout } from './planning-tree.js';
import { manifestExists, registryLogin, type RegistryLogin } from './registry.js';

/** The image a Dockerfile or Features config runs as on the cluster, and how devc got it. */
export interface BuiltImage {
  /** DEVC_REGISTRY/<repository>:<content hash>. */
  reference: string;
  hash: string;
  /** false: the registry had the tag (this machine or another built it before). */
  built: boolean;
  /** The user's login for DEVC_REGISTRY, for the namespace's pull Secret. */
  login: RegistryLogin | undefined;
}

export { imageRepository, targetPlatform } from '../../devcontainer/image-tag.js';

/**
 * Dockerfile and Features configs on Kubernetes: the image is tagged with the content hash of
 * everything that goes into it. A registry that has the tag is used as it is; otherwise the pinned
 * Dev Containers CLI builds it on this machine's Docker engine and `docker push` sends it, or, with no
 * engine here (or `--builder cluster`), BuildKit in the cluster builds and pushes it (cluster-build.ts).
 */
export async function ensureBuilt(
  spec: DevcontainerSpec,
  env: NodeJS.ProcessEnv,
  setting: string | undefined = env.DEVC_REGISTRY,
  cluster?: () => Promise<KubeTarget>,
): Promise<BuiltImage> {
  const registry = setting?.replace(/\/+$/, '');
  if (!registry)
    throw new UsageError('Kubernetes workspaces need a registry the cluster pulls from.', {
      hint: 'Set DEVC_REGISTRY (e.g. DEVC_REGISTRY=registry.example.com/team) and run `devc up` again.',
    });
  if (contextBeyondPlanning(spec)) await completeCheckout(env, spec.sourcePath, spec.configPath, spec.signal);
  const tag = await imageTag({
    sourcePath: spec.sourcePath,
    configFile: spec.devcontainerConfig,
    configuration: spec.configuration,
    url: spec.repository.url,
    registry,
  });
  const { reference, hash, host } = tag;
  const login = await registryLogin(env, host);
  if (!spec.noCache && (await manifestExists(host, tag.repository, hash, login))) {
    await logLine(spec.logFile, `devc: ${reference} is in the registry: not built.`);
    return { reference, hash, built: false, login };
  }
  const log = (line: string): Promise<void> => logLine(spec.logFile, line);
  if (await inCluster(spec.builder, tag.platform, cluster !== undefined)) {
    const { buildInCluster } = await import('./cluster-build.js');
    await buildInCluster({
      spec,
      env,
      cluster: await (cluster as () => Promise<KubeTarget>)(),
      reference,
      cacheRef: `${host}/${tag.repository}:${CACHE_TAG}`,
      platform: tag.platform,
      login,
      log,
    });
    return { reference, hash, built: true, login };
  }
  await buildImage({
    sourcePath: spec.sourcePath,
    configFile: spec.devcontainerConfig,
    reference,
    platform: tag.platform,
    logFile: spec.logFile,
    noCache: spec.noCache,
    onLog: spec.onLog,
    signal: spec.signal,
    next: 'run `devc up` again',
  });
  await pushBuiltImage(reference, host, spec.logFile);
  return { reference, hash, built: true, login };
}

/** A remote repository's build context beyond .devcontainer/, which its planning clone lacks. */
function contextBeyondPlanning(spec: DevcontainerSpec): boolean {
  const build = dockerfileOf(spec.configuration);
  if (!build || spec.repository.url === spec.sourcePath) return false;
  const context = path.resolve(
    path.dirname(path.resolve(spec.sourcePath, spec.devcontainerConfig)),
    build.context,
  );
  const planned = path.join(spec.sourcePath, '.devcontainer');
  return context !== planned && !context.startsWith(`${planned}${path.sep}`);
}

/** The tag under each image repository that holds its BuildKit layer cache (builds in the cluster). */
export const CACHE_TAG = 'devc-buildcache';

/**
 * Whether to build with the cluster's BuildKit: `--builder cluster` says so, `--builder local` says
 * not; unset, the cluster builds when this machine has no Docker engine.
 */
async function inCluster(
  builder: DevcontainerSpec['builder'],
  platform: string,
  hasCluster: boolean,
): Promise<boolean> {
  if (builder === 'cluster') {
    if (!hasCluster) throw new UsageError('`--builder cluster` works with `--backend kubernetes` only.');
    return true;
  }
  const problem = await engineProblem(platform);
  if (!problem) return false;
  if (builder === undefined && hasCluster && problem.absent) return true;
  throw problem.error;
}

/** What stops the local engine building for `platform` (absent: none answers); undefined: nothing. */
async function engineProblem(platform: string): Promise<{ absent: boolean; error: DevcError } | undefined> {
  const { docker } = await import('../docker/engine.js');
  const version = await docker(['version', '--format', '{{.Server.Os}}/{{.Server.Arch}}'], {
    allowFailure: true,
  }).catch((error: unknown) => {
    if (error instanceof EngineError) return { exitCode: 1, stdout: '', stderr: error.message };
    throw error;
  });
  if (version.exitCode !== 0)
    return {
      absent: true,
      error: new DevcError(
        "Building this devcontainer.json's image with `--builder local` needs a Docker engine on this machine, and none answers.",
        {
          hint: 'Start Docker (or set DOCKER_HOST), or build in the cluster with `--builder cluster`.',
          details: version.stderr.trim(),
        },
      ),
    };
  if (version.stdout.trim() !== platform)
    return {
      absent: false,
      error: new DevcError(
        `The Docker engine builds ${version.stdout.trim()} images; the cluster needs ${platform}.`,
        {
          hint: 'Use an engine of the same platform (DOCKER_HOST), or build in the cluster with `--builder cluster`.',
        },
      ),
    };
  return undefined;
}
