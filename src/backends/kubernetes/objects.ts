import type * as k8s from '@kubernetes/client-node';
import { AGENT_MOUNT, preparingContainers, RUN_AGENT, type AnyImagePlan } from './any-image.js';
import {
  CLONE,
  CLONE_FAILED_EXIT,
  DATA_VOLUME,
  envList,
  HOMES,
  NEEDS_ROOT_EXIT,
  PREPARED_MARK,
  rootPrepare,
  SECRET_VOLUME,
  SELF_PREPARE,
  WORKSPACE_UID,
} from './prepare.js';

/** Every object of a workspace is named `devc-<name>` (different kinds may share a name). */
export const objectName = (name: string): string => `devc-${name}`;

/** Annotation on the PVC holding the pod's manifest, so `start` can make the pod again exactly. */
export const POD_TEMPLATE = 'dev.devc.pod-template';
/**
 * Annotation on the pod: when an exec of devc first reached its workspace container. The kubelet
 * reports a started container only at its next relist, up to a second later; this lets every process
 * that reads the pod know it runs meanwhile.
 */
export const REACHED = 'dev.devc.reached';
/** On the PVC: when `devc stop` deleted the pod (ISO time); only read while there is no pod. */
export const STOPPED_AT = 'dev.devc.stopped-at';
export const DEFAULT_STORAGE = '10Gi';

export interface Meta {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface PodPlan extends Meta {
  workspace: string;
  image: string;
  /** An image with git, for the in-cluster clone (the workspace image when it is a dev8 one). */
  toolsImage: string;
  folder: string;
  /** The workspace user's home (the PVC's home folder is mounted there). */
  home: string;
  env: Record<string, string>;
  clone: { url: string; branch: string | undefined } | undefined;
  cpus: number | undefined;
  memoryBytes: number | undefined;
  /** Ask the registry on every start: the tag now names another build than a node may have cached. */
  pullAlways?: boolean;
  /**
   * Who prepares the volume (and clones) on the first start: `self`, the workspace container as the
   * workspace user before the agent starts (dev8 images); `root`, an init container.
   */
  prepare: 'self' | 'root';
  /** The workspace user's uid and gid (default 1000, dev8's `dev`). */
  uid?: number;
  gid?: number;
  /** Any image (not a dev8 one): devc's agent comes from the agent image (see any-image.ts). */
  anyImage?: AnyImagePlan;
}

function metadata(meta: Meta): k8s.V1ObjectMeta {
  return { name: meta.name, namespace: meta.namespace, labels: meta.labels, annotations: meta.annotations };
}

/** The workspace's volume: the cluster's default StorageClass unless `storageClass` (DEVC_STORAGE_CLASS) names one. */
export function pvcManifest(
  meta: Meta,
  storageBytes: number | undefined,
  storageClass?: string,
): k8s.V1PersistentVolumeClaim {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: metadata(meta),
    spec: {
      ...(storageClass ? { storageClassName: storageClass } : {}),
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: storageBytes ? String(Math.ceil(storageBytes)) : DEFAULT_STORAGE } },
    },
  };
}

export function secretManifest(meta: Meta, files: Record<string, string>): k8s.V1Secret {
  return { apiVersion: 'v1', kind: 'Secret', metadata: metadata(meta), type: 'Opaque', stringData: files };
}

/** Denies all ingress to the workspace's pod: everything goes through the API server. */
export function networkPolicyManifest(meta: Meta, workspace: string, label: string): k8s.V1NetworkPolicy {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: metadata(meta),
    spec: { podSelector: { matchLabels: { [label]: workspace } }, policyTypes: ['Ingress'], ingress: [] },
  };
}

/** The workspace's pod: non-root, restartPolicy Never (an idle agent exit ends it), PVC and Secret mounted. */
export function podManifest(plan: PodPlan, pvc: string, secret: string): k8s.V1Pod {
  const resources = resourcesOf(plan);
  const pull: Partial<k8s.V1Container> = plan.pullAlways ? { imagePullPolicy: 'Always' } : {};
  const self = plan.prepare === 'self';
  const any = plan.anyImage;
  const uid = plan.uid ?? WORKSPACE_UID;
  const gid = plan.gid ?? WORKSPACE_UID;
  const user: k8s.V1SecurityContext = { runAsUser: uid, runAsGroup: gid, runAsNonRoot: uid !== 0 };
  const clone = plan.clone
    ? { DEVC_CLONE_URL: plan.clone.url, DEVC_CLONE_BRANCH: plan.clone.branch ?? '' }
    : undefined;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: metadata(plan),
    spec: {
      hostname: plan.workspace,
      restartPolicy: 'Never',
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      terminationGracePeriodSeconds: 10,
      // Root needs no group to own the volume, and with fsGroup its host key becomes group-readable.
      securityContext: uid === 0 ? {} : { fsGroup: gid },
      initContainers: self ? [] : rootPrepare(plan, pull, any ? undefined : clone),
      containers: [
        {
          name: 'workspace',
          image: plan.image,
          ...pull,
          // A self-preparing pod makes its folder first: the runtime would make a missing working
          // directory itself, as root.
          ...(any
            ? {
                command: [
                  'sh',
                  '-c',
                  RUN_AGENT,
                  'devc-run',
                  String(NEEDS_ROOT_EXIT),
                  String(CLONE_FAILED_EXIT),
                  PREPARED_MARK,
                ],
                workingDir: '/workspaces',
              }
            : self
              ? { command: ['sh', '-c', SELF_PREPARE, 'devc-prepare', CLONE], workingDir: '/workspaces' }
              : { workingDir: plan.folder }),
          env: envList({
            ...plan.env,
            DEVC_WORKSPACE: plan.workspace,
            DEVC_WORKSPACE_FOLDER: plan.folder,
            ...(self && !any ? { DEVC_HOME_DIR: plan.home, ...clone } : {}),
            ...(any ? { DEVC_AGENT_INJECTED: '1', DEVC_SEED_HOME: any.seedHome ? '1' : '' } : {}),
          }),
          ports: [
            { name: 'ssh', containerPort: 2222 },
            { name: 'code-server', containerPort: 8080 },
          ],
          securityContext: user,
          ...(resources ? { resources } : {}),
          volumeMounts: [
            { name: DATA_VOLUME, mountPath: '/home', subPath: HOMES },
            { name: DATA_VOLUME, mountPath: '/workspaces', subPath: 'workspaces' },
            { name: SECRET_VOLUME, mountPath: '/etc/devc', readOnly: true },
            { name: 'run', mountPath: '/run/devc' },
            ...(any
              ? [{ name: DATA_VOLUME, mountPath: AGENT_MOUNT, subPath: 'devc-agent', readOnly: true }]
              : []),
            // devc made the host key and pinned it before the pod existed; it survives stop (a new pod).
            ...['ssh_host_ed25519_key', 'ssh_host_ed25519_key.pub'].map((key) => ({
              name: SECRET_VOLUME,
              mountPath: `/etc/ssh/${key}`,
              subPath: key,
              readOnly: true,
            })),
            {
              name: SECRET_VOLUME,
              mountPath: '/etc/ssh/.devc-host-key',
              subPath: 'devc-host-key',
              readOnly: true,
            },
          ],
        },
        ...(any
          ? preparingContainers(plan, any, {
              securityContext: { ...user, allowPrivilegeEscalation: false },
              pull,
              clone,
              cloneScript: CLONE,
              volume: DATA_VOLUME,
              secretVolume: SECRET_VOLUME,
            })
          : []),
      ],
      volumes: [
        { name: DATA_VOLUME, persistentVolumeClaim: { claimName: pvc } },
        // Root's sshd refuses a host key its group may read (for others, root owns the file).
        { name: SECRET_VOLUME, secret: { secretName: secret, defaultMode: uid === 0 ? 0o400 : 0o440 } },
        { name: 'run', emptyDir: { medium: 'Memory', sizeLimit: '16Mi' } },
      ],
    },
  };
}

/** The pod of later starts (stop deletes the pod; `start` makes this one): the volume is prepared and cloned. */
export function restartManifest(plan: PodPlan, pvc: string, secret: string): k8s.V1Pod {
  const pod = podManifest({ ...plan, clone: undefined }, pvc, secret);
  return { ...pod, spec: { ...pod.spec, containers: pod.spec?.containers ?? [], initContainers: [] } };
}

/** hostRequirements as requests and limits (the same, so the workspace gets what it asked for). */
function resourcesOf(plan: PodPlan): k8s.V1ResourceRequirements | undefined {
  const amounts: Record<string, string> = {};
  if (plan.cpus !== undefined) amounts.cpu = String(plan.cpus);
  if (plan.memoryBytes !== undefined) amounts.memory = String(Math.ceil(plan.memoryBytes));
  if (Object.keys(amounts).length === 0) return undefined;
  return { requests: amounts, limits: amounts };
}
