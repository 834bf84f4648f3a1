import type * as k8s from '@kubernetes/client-node';
import type { PodConfig } from './config-map.js';
import { DATA_VOLUME } from './prepare.js';

/** Where the config's named volumes live in the workspace's volume. */
const VOLUMES = 'volumes';

/**
 * The pod with what the config's mounts, runArgs and capAdd ask (config-map.ts; runArgs' --env goes
 * with containerEnv) and the registry's pull Secret. `first`: the pod of a first start, which makes
 * the named volumes' folders for `owner`, the pod's user (the kubelet would make a missing subPath as
 * root, where the workspace user can't write).
 */
export function withPodConfig(
  pod: k8s.V1Pod,
  config: PodConfig | undefined,
  pullSecret: string | undefined,
  first: boolean,
  owner: { uid: number; gid: number },
): k8s.V1Pod {
  const spec = pod.spec;
  const [workspace, ...others] = spec?.containers ?? [];
  if (!spec || !workspace) return pod;
  const volumes: k8s.V1Volume[] = [];
  const mounts: k8s.V1VolumeMount[] = [];
  // Folders of the workspace volume the first start makes for the user (named volumes, mount points).
  const folders: string[] = [];
  config?.mounts.forEach((mount, i) => {
    folders.push(...mountPoints(mount.target));
    if (mount.kind === 'workspace') {
      folders.push(`${VOLUMES}/${mount.source ?? ''}`);
      mounts.push({
        name: DATA_VOLUME,
        mountPath: mount.target,
        subPath: `${VOLUMES}/${mount.source ?? ''}`,
        readOnly: mount.readOnly,
      });
      return;
    }
    const name = `devc-mount-${i}`;
    volumes.push({ name, emptyDir: mount.kind === 'memory' ? { medium: 'Memory' } : {} });
    mounts.push({ name, mountPath: mount.target, readOnly: mount.readOnly });
  });
  if (config?.shmBytes !== undefined) {
    volumes.push({ name: 'devc-shm', emptyDir: { medium: 'Memory', sizeLimit: String(config.shmBytes) } });
    mounts.push({ name: 'devc-shm', mountPath: '/dev/shm' });
  }
  const capabilities = config?.capabilities ?? [];
  const security = workspace.securityContext ?? {};
  const container: k8s.V1Container = {
    ...workspace,
    volumeMounts: [...(workspace.volumeMounts ?? []), ...mounts],
    ...(capabilities.length > 0
      ? {
          securityContext: {
            ...security,
            capabilities: {
              ...security.capabilities,
              add: [...(security.capabilities?.add ?? []), ...capabilities],
            },
          },
        }
      : {}),
  };
  return {
    ...pod,
    spec: {
      ...spec,
      containers: [container, ...others],
      volumes: [...(spec.volumes ?? []), ...volumes],
      initContainers: [
        ...(spec.initContainers ?? []),
        ...(first && folders.length > 0 ? [volumeFolders(workspace, [...new Set(folders)], owner)] : []),
      ],
      ...(pullSecret ? { imagePullSecrets: [{ name: pullSecret }] } : {}),
    },
  };
}

/**
 * The folders of the workspace volume a mount inside /home or /workspaces goes through (`home/dev`,
 * `home/dev/.cache` for /home/dev/.cache): the runtime would make a missing one as root, and the
 * user could not write there (nor seed the home the folder is in).
 */
function mountPoints(target: string): string[] {
  const parts = target.replace(/\/+$/, '').split('/').filter(Boolean);
  if (!['home', 'workspaces'].includes(parts[0] ?? '')) return [];
  return parts.slice(1).map((_, i) => parts.slice(0, i + 2).join('/'));
}

/** Makes the named volumes' folders (and mount points in the volume) for the workspace user: root, with only CHOWN and DAC_OVERRIDE. */
function volumeFolders(
  workspace: k8s.V1Container,
  folders: string[],
  owner: { uid: number; gid: number },
): k8s.V1Container {
  return {
    name: 'volumes',
    image: workspace.image ?? '',
    ...(workspace.imagePullPolicy ? { imagePullPolicy: workspace.imagePullPolicy } : {}),
    command: [
      'sh',
      '-c',
      `cd /data && mkdir -p "$@" && chown ${owner.uid}:${owner.gid} "$@"`,
      'devc-volumes',
      ...folders,
    ],
    securityContext: {
      runAsUser: 0,
      runAsNonRoot: false,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'], add: ['CHOWN', 'DAC_OVERRIDE'] },
    },
    volumeMounts: [{ name: DATA_VOLUME, mountPath: '/data' }],
  };
}
