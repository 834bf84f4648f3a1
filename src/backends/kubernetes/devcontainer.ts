import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DevcError } from '../../errors.js';
import { hostRequirements } from '../../devcontainer/requirements.js';
import { readConfiguration } from '../../devcontainer/up.js';
import type { WorkspaceSpec } from '../../workspace/model.js';
import type { DevcontainerSpec } from '../backend.js';
import type { KubeExtras } from './create.js';

/** What the Kubernetes backend can't do with a devcontainer.json yet (see docs/kubernetes.md). */
const UNSUPPORTED: [string, string][] = [
  ['build', 'a Dockerfile build'],
  ['dockerFile', 'a Dockerfile build'],
  ['dockerComposeFile', 'Docker Compose'],
  ['features', 'Features'],
];

/**
 * An image-based devcontainer.json as a WorkspaceSpec for the cluster: its image (pushed to
 * DEVC_REGISTRY), containerEnv, remoteUser and hostRequirements (requests, limits and the PVC's size).
 */
export async function fromDevcontainer(
  spec: DevcontainerSpec,
): Promise<{ workspaceSpec: WorkspaceSpec; extras: KubeExtras }> {
  const { sourcePath, devcontainerConfig: config } = spec;
  const { configuration, workspaceFolder } = await readConfiguration(sourcePath, config);
  for (const [key, what] of UNSUPPORTED) {
    const value = configuration[key];
    if (value !== undefined && !(key === 'features' && Object.keys(value as object).length === 0)) {
      throw new DevcError(
        `${config} uses ${what} ("${key}"), which the Kubernetes backend can't build yet.`,
        {
          hint: 'Build the image with `devcontainer build`, push it to DEVC_REGISTRY and name it in "image"; or use --backend docker.',
        },
      );
    }
  }
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
  const user =
    [configuration.remoteUser, configuration.containerUser].find((u): u is string => typeof u === 'string') ??
    'dev';
  if (user === 'root' || user === '0') {
    throw new DevcError(`${config} runs as root; Kubernetes workspaces run as a non-root user (uid 1000).`, {
      hint: 'Set remoteUser to the image\'s uid-1000 user (e.g. "dev" in dev8 images).',
    });
  }
  const requirements = hostRequirements(configuration);
  const containerEnv = stringRecord(configuration.containerEnv);
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
      user,
      containerEnv,
      devcontainerConfig: config,
      // rebuild --full: the image is asked for again (a new build under the same tag).
      ...(spec.noCache ? { pullAlways: true } : {}),
      ...(requirements.cpus !== undefined ? { cpus: requirements.cpus } : {}),
      ...(requirements.memoryBytes !== undefined ? { memoryBytes: requirements.memoryBytes } : {}),
      ...(requirements.storageBytes !== undefined ? { storageBytes: requirements.storageBytes } : {}),
    },
  };
}

function stringRecord(value: unknown): Record<string, string> {
  if (!value || typeof value !== 'object') return {};
  return Object.fromEntries(
    Object.entries(value).filter((e): e is [string, string] => typeof e[1] === 'string'),
  );
}

/** remote.env as the agent reads it (the same file the Docker backend writes), one KEY=value a line. */
async function writeRemoteEnv(configDir: string, env: Record<string, string>): Promise<void> {
  const lines = Object.entries(env).map(([k, v]) => `${k}=${v.replace(/\n/g, ' ')}\n`);
  await writeFile(path.join(configDir, 'remote.env'), lines.join(''), { mode: 0o644 });
}
