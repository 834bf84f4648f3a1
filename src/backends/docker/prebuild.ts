import { buildsImage } from '../../devcontainer/build-inputs.js';
import { logLine } from '../../devcontainer/image-build.js';
import { configRegistry, imageTag } from '../../devcontainer/image-tag.js';
import { HOOKS } from '../../devcontainer/lifecycle-hooks.js';
import type { ImageSource } from '../../workspace/model.js';
import type { DevcontainerSpec } from '../backend.js';
import { inspectImage } from './api.js';
import { docker } from './engine.js';

/** Keys that build an image: a prebuild has done all of it. */
const BUILD_KEYS = [
  'build',
  'dockerFile',
  'dockerfile',
  'context',
  'features',
  'overrideFeatureInstallOrder',
];

/**
 * With a registry (DEVC_REGISTRY, else the config's customizations.devc.prebuildRegistry), a
 * Dockerfile or Features config whose content-hash tag is on this engine or in the registry (pulled) runs that
 * image instead of being built: the config given to the engine names it and drops what built it. Its
 * hooks are in the image's label already (the CLI wrote them there), so they are dropped too, or they
 * would run twice. A registry that can't be asked is a warning: the image is built as before.
 */
export async function withPrebuild(
  spec: DevcontainerSpec,
): Promise<{ configuration: Record<string, unknown>; source: ImageSource }> {
  const { configuration } = spec;
  if (!buildsImage(configuration)) return { configuration, source: 'image' };
  if (spec.noCache) return { configuration, source: 'built' };
  const registry = spec.registry ?? configRegistry(configuration, spec.devcontainerConfig);
  // No registry, no prebuilds: the hash reads the whole build context, which only a lookup should cost.
  if (!registry) return { configuration, source: 'built' };
  const tag = await imageTag({
    sourcePath: spec.sourcePath,
    configFile: spec.devcontainerConfig,
    configuration,
    url: spec.repository.url,
    registry,
  });
  const hit = (): { configuration: Record<string, unknown>; source: ImageSource } => ({
    configuration: prebuiltConfiguration(configuration, tag.reference),
    source: 'prebuild',
  });
  if (await inspectImage(tag.reference)) {
    await logLine(spec.logFile, `devc: using the prebuild ${tag.reference} on this engine: not built.`);
    return hit();
  }
  const { manifestExists, registryLogin } = await import('../kubernetes/registry.js');
  // The login `docker pull` uses: the docker config of the environment the docker CLI runs in.
  const there = await registryLogin(process.env, tag.host)
    .then((login) => manifestExists(tag.host, tag.repository, tag.hash, login))
    .catch((error: unknown) => {
      spec.warn?.(
        `No prebuild looked for: ${(error as Error).message.replace(/\.$/, '')}. Building the image.`,
      );
      return false;
    });
  if (!there) return { configuration, source: 'built' };
  await logLine(spec.logFile, `devc: pulling the prebuild ${tag.reference}: not built.`);
  const pulled = await docker(['pull', '--quiet', tag.reference], { allowFailure: true });
  if (pulled.exitCode === 0) return hit();
  spec.warn?.(
    `Can't pull the prebuild ${tag.reference}: ${pulled.stderr.trim().split('\n').at(-1)}. Building the image.`,
  );
  return { configuration, source: 'built' };
}

/** The config as it runs a prebuild: the image named, what built it and its hooks (in the image's label) gone. */
export function prebuiltConfiguration(
  configuration: Record<string, unknown>,
  reference: string,
): Record<string, unknown> {
  const dropped = [...BUILD_KEYS, ...HOOKS];
  return {
    ...Object.fromEntries(Object.entries(configuration).filter(([key]) => !dropped.includes(key))),
    image: reference,
  };
}
