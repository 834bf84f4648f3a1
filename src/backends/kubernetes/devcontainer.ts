import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DevcError } from '../../errors.js';
import { hostRequirements } from '../../devcontainer/requirements.js';
import { readConfiguration } from '../../devcontainer/up.js';
import type { WorkspaceSpec } from '../../workspace/model.js';
import type { DevcontainerSpec } from '../backend.js';
import { buildsImage } from '../../devcontainer/build-inputs.js';
import { configRegistry } from '../../devcontainer/image-tag.js';
import { ensureBuilt } from './build.js';
import { mapConfig } from './config-map.js';
import type { KubeExtras } from './create.js';
import type { KubeTarget } from './client.js';
import { HOOKS } from '../../devcontainer/lifecycle-hooks.js';
import { MERGED_KEYS } from './image-config.js';
import { registryHost } from './registry.js';

/** What the Kubernetes backend refuses in a devcontainer.json (see docs/kubernetes.md). */
const UNSUPPORTED: [string, string, string][] = [
  ['dockerComposeFile', 'Docker Compose', 'Compose configs run on --backend docker only.'],
  [
    'privileged',
    'a privileged container',
    'Remove "privileged" (a privileged pod reaches the whole node), or use --backend docker.',
  ],
];

/**
 * A devcontainer.json as a WorkspaceSpec for the cluster: its image (pushed to DEVC_REGISTRY, or
 * built there first for a Dockerfile or Features), containerEnv, hostRequirements (requests, limits
 * and the PVC's size), mounts, runArgs and capAdd (config-map.ts), and what merges with the image's
 * metadata (users, hooks, environment: see image-config.ts).
 */
export async function fromDevcontainer(
  spec: DevcontainerSpec,
  env: NodeJS.ProcessEnv = {},
  registry: string | undefined = env.DEVC_REGISTRY,
  cluster?: () => Promise<KubeTarget>,
): Promise<{ workspaceSpec: WorkspaceSpec; extras: KubeExtras }> {
  const { sourcePath, devcontainerConfig: config } = spec;
  const { configuration, workspaceFolder } = await readConfiguration(sourcePath, config);
  for (const [key, what, hint] of UNSUPPORTED) {
    if (configuration[key] !== undefined && configuration[key] !== false)
      throw new DevcError(`${config} uses ${what} ("${key}"), which the Kubernetes backend can't run.`, {
        hint,
      });
  }
  // Refusals come before a build: a mount the cluster can't have fails in a second, not after minutes.
  const podConfig = mapConfig(configuration, config, spec.name);
  if (podConfig.warning) spec.warn?.(podConfig.warning);
  // DEVC_REGISTRY, else the repository's own prebuild registry: where every image of the pod comes from.
  const from = registry ?? configRegistry(configuration, config);
  const built = buildsImage(configuration)
    ? await ensureBuilt({ ...spec, configuration }, env, from, cluster)
    : undefined;
  if (built) configuration.image = built.reference;
  if (typeof configuration.image !== 'string') {
    throw new DevcError(`${config} names no "image".`, {
      hint: 'The Kubernetes backend runs image-based configs; add "image".',
    });
  }
  if (!workspaceFolder.startsWith('/workspaces/')) {
    throw new DevcError(
      `${config} sets workspaceFolder to ${workspaceFolder}; on Kubernetes it must be under /workspaces.`,
      {
        hint: 'Remove workspaceFolder (the default is /workspaces/<repo>).',
      },
    );
  }
  const requirements = hostRequirements(configuration);
  // runArgs' --env is the container's environment too (containerEnv wins, as it comes later on Docker).
  const containerEnv = { ...podConfig.env, ...stringRecord(configuration.containerEnv) };
  // SSH sessions don't inherit the pod's environment: the agent gives them remote.env (in the Secret).
  await writeRemoteEnv(spec.configPath, { ...containerEnv, ...stringRecord(configuration.remoteEnv) });
  return {
    workspaceSpec: {
      name: spec.name,
      repository: spec.repository,
      owner: spec.owner,
      home: spec.home,
      sourcePath,
      configPath: spec.configPath,
      env: spec.env,
      image: configuration.image,
      variant: undefined,
      folder: workspaceFolder,
    },
    extras: {
      containerEnv,
      // The image's user, hooks and environment are merged with these once it is in the registry.
      imageConfig: mergedKeys({ ...configuration, containerEnv }, built !== undefined),
      logFile: spec.logFile,
      devcontainerConfig: config,
      imageSource: built ? (built.built ? 'built' : 'prebuild') : 'image',
      ...(from ? { registry: from } : {}),
      podConfig,
      ...(built?.login
        ? { pullSecret: { host: registryHost(built.reference).host, login: built.login } }
        : {}),
      // rebuild --full: the image is asked for again (a new build under the same tag).
      ...(spec.noCache ? { pullAlways: true } : {}),
      ...(requirements.cpus !== undefined ? { cpus: requirements.cpus } : {}),
      ...(requirements.memoryBytes !== undefined ? { memoryBytes: requirements.memoryBytes } : {}),
      ...(requirements.storageBytes !== undefined ? { storageBytes: requirements.storageBytes } : {}),
    },
  };
}

/**
 * The config's keys that merge with the image's metadata. An image devc built from this config
 * carries the config's hooks in its label already (the Dev Containers CLI writes them there), so
 * they are not taken twice.
 */
export function mergedKeys(configuration: Record<string, unknown>, built: boolean): Record<string, unknown> {
  const keys = MERGED_KEYS.filter(
    (k) => k in configuration && !(built && (HOOKS as readonly string[]).includes(k)),
  );
  return Object.fromEntries(keys.map((k) => [k, configuration[k]]));
}

function stringRecord(value: unknown): Record<string, string> {
  if (!value || typeof value !== 'object') return {};
  return Object.fromEntries(
    Object.entries(value).filter((e): e is [string, string] => typeof e[1] === 'string'),
  );
}

/** remote.env as the agent reads it (the same file the Docker backend writes), one KEY=value a line. */
export async function writeRemoteEnv(configDir: string, env: Record<string, string>): Promise<void> {
  const lines = Object.entries(env).map(([k, v]) => `${k}=${v.replace(/\n/g, ' ')}\n`);
  await writeFile(path.join(configDir, 'remote.env'), lines.join(''), { mode: 0o644 });
}
