import { Label, type WorkspaceSpec } from '../../workspace/model.js';
import { workspaceLabels } from '../../workspace/labels.js';
import { volumeExists } from './api.js';
import { createContainerOf } from './containers.js';
import { docker } from './engine.js';
import { giveVolumeToUser } from './lifecycle.js';
import { ensureWorkspaceNetwork } from './network.js';
import { CONFIG_COPY_LABEL, copiedMounts, copyFolderIn, refreshConfigCopy } from './remote.js';

/** Names of the engine objects a workspace owns. */
export const containerName = (name: string): string => `devc-${name}`;
export const homeVolume = (name: string): string => `devc-${name}-home`;
export const sharedVolume = (owner: string): string =>
  `devc-shared-${owner.replace(/[^a-z0-9_.-]/gi, '-').toLowerCase()}`;

/**
 * Creates a dev8 workspace's container (not started): its home and shared volumes, devc's network,
 * loopback-published sshd and code-server. On a local engine the source and DEVC_HOME's config folder
 * are bind mounts; on a remote one (`remote`) they are volumes devc fills through the engine's
 * connection, so edits live in the engine's volume (`devc cp` gets them out).
 */
export async function createContainer(spec: WorkspaceSpec, remote: boolean): Promise<void> {
  const labels = workspaceLabels(spec, { [Label.variant]: spec.variant ?? '' });
  // All of the workspace's labels: a home volume that outlives its container still says whose it is.
  await ensureVolume(homeVolume(spec.name), labels);
  const shared = sharedVolume(spec.owner);
  if (await ensureVolume(shared, { [Label.owner]: spec.owner, 'dev.devc.shared': 'true' }))
    await giveVolumeToUser(shared, spec.image).catch(async (error: unknown) => {
      await docker(['volume', 'rm', shared], { allowFailure: true }); // made anew, and given, next time
      throw error;
    });
  const copied = remote ? copiedMounts(spec.name, spec.folder, labels) : undefined;
  for (const volume of copied?.volumes ?? []) await ensureVolume(volume.name, volume.labels);
  const hostMounts = copied?.args ?? [
    '--mount',
    `type=bind,source=${spec.sourcePath},target=${spec.folder}`,
    '--mount',
    `type=bind,source=${spec.configPath},target=/etc/devc,readonly`,
  ];
  const allLabels = { ...labels, ...(copied ? { [CONFIG_COPY_LABEL]: spec.configPath } : {}) };
  const labelArgs = Object.entries(allLabels).flatMap(([k, v]) => ['--label', `${k}=${v}`]);
  const envArgs = Object.entries(spec.env).flatMap(([k, v]) => ['--env', `${k}=${v}`]);
  const container = containerName(spec.name);
  const options = [
    '--name',
    container,
    '--hostname',
    spec.name,
    // devc's network: workspaces can't reach each other's ports (network.ts).
    '--network',
    await ensureWorkspaceNetwork(),
    ...labelArgs,
    '--publish',
    '127.0.0.1::2222',
    '--publish',
    '127.0.0.1::8080',
    ...hostMounts,
    '--mount',
    `type=volume,source=${homeVolume(spec.name)},target=/home/dev`,
    '--mount',
    `type=volume,source=${shared},target=/shared`,
    '--env',
    `DEVC_WORKSPACE=${spec.name}`,
    '--env',
    `DEVC_WORKSPACE_FOLDER=${spec.folder}`,
    ...envArgs,
    '--workdir',
    spec.folder,
  ];
  await createContainerOf(options, spec.image, [], true);
  if (copied) {
    // The clone (or the user's tree) is copied once; the config again before every start (backend.ts).
    await copyFolderIn(spec.sourcePath, container, spec.folder, 'workspace');
    await refreshConfigCopy(container, spec.configPath);
  }
}

/** Creates the volume unless it exists; true when it made it. */
export async function ensureVolume(name: string, labels: Record<string, string>): Promise<boolean> {
  if (await volumeExists(name)) return false;
  await docker([
    'volume',
    'create',
    ...Object.entries(labels).flatMap(([k, v]) => ['--label', `${k}=${v}`]),
    name,
  ]);
  return true;
}
