import type * as k8s from '@kubernetes/client-node';

/** Every object of a workspace is named `devc-<name>` (different kinds may share a name). */
export const objectName = (name: string): string => `devc-${name}`;

/** Annotation on the PVC holding the pod's manifest, so `start` can make the pod again exactly. */
export const POD_TEMPLATE = 'dev.devc.pod-template';
/** uid and gid of the workspace user (dev in dev8 images). */
export const WORKSPACE_UID = 1000;
export const DEFAULT_STORAGE = '10Gi';
const SECRET_VOLUME = 'devc-config';
const DATA_VOLUME = 'data';

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
}

function metadata(meta: Meta): k8s.V1ObjectMeta {
  return { name: meta.name, namespace: meta.namespace, labels: meta.labels, annotations: meta.annotations };
}

export function pvcManifest(meta: Meta, storageBytes: number | undefined): k8s.V1PersistentVolumeClaim {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: metadata(meta),
    spec: {
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

// Hands the volume to the workspace user and seeds an empty home from the image's, once. Root with
// only these capabilities: storage such as hostPath ignores fsGroup.
const PREPARE = `set -e
mkdir -p /data/home /data/workspaces
if [ ! -e /data/home/.devc-home ]; then
  if [ -d "$DEVC_HOME_DIR" ]; then cp -a "$DEVC_HOME_DIR/." /data/home/; fi
  : > /data/home/.devc-home
fi
# The runtime would make the working directory itself, as root.
folder="/data/workspaces/\${DEVC_WORKSPACE_FOLDER#/workspaces/}"
mkdir -p "$folder"
chown ${WORKSPACE_UID}:${WORKSPACE_UID} /data /data/home /data/workspaces /data/home/.devc-home "$folder"`;

// Clones once, atomically; the token (if any) comes from the mounted Secret through git's store helper.
const CLONE = `set -e
[ -d "$DEVC_WORKSPACE_FOLDER/.git" ] && exit 0
tmp="$(dirname "$DEVC_WORKSPACE_FOLDER")/.devc-clone-$$"
rm -rf "$tmp"
set -- clone --quiet
[ -n "$DEVC_CLONE_BRANCH" ] && set -- "$@" --branch "$DEVC_CLONE_BRANCH"
git -c credential.helper= -c "credential.helper=store --file=/etc/devc/git-credentials" "$@" -- "$DEVC_CLONE_URL" "$tmp"
rm -rf "$DEVC_WORKSPACE_FOLDER"
mv "$tmp" "$DEVC_WORKSPACE_FOLDER"`;

// PREPARE, then the clone ($1) as the workspace user.
const PREPARE_THEN_CLONE = `${PREPARE}
exec setpriv --reuid=${WORKSPACE_UID} --regid=${WORKSPACE_UID} --clear-groups sh -c "$1"`;

const envList = (env: Record<string, string>): k8s.V1EnvVar[] =>
  Object.entries(env).map(([name, value]) => ({ name, value }));

/** The workspace's pod: non-root, restartPolicy Never (an idle agent exit ends it), PVC and Secret mounted. */
export function podManifest(plan: PodPlan, pvc: string, secret: string): k8s.V1Pod {
  const resources = resourcesOf(plan);
  const pull: Partial<k8s.V1Container> = plan.pullAlways ? { imagePullPolicy: 'Always' } : {};
  const dataMounts: k8s.V1VolumeMount[] = [
    { name: DATA_VOLUME, mountPath: plan.home, subPath: 'home' },
    { name: DATA_VOLUME, mountPath: '/workspaces', subPath: 'workspaces' },
  ];
  const nonRoot: k8s.V1SecurityContext = {
    runAsUser: WORKSPACE_UID,
    runAsGroup: WORKSPACE_UID,
    runAsNonRoot: true,
  };
  const prepare: k8s.V1Container = {
    name: 'prepare',
    image: plan.image,
    ...pull,
    command: ['sh', '-c', PREPARE],
    env: envList({ DEVC_HOME_DIR: plan.home, DEVC_WORKSPACE_FOLDER: plan.folder }),
    securityContext: {
      runAsUser: 0,
      runAsNonRoot: false,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'], add: ['CHOWN', 'DAC_OVERRIDE', 'FOWNER'] },
    },
    volumeMounts: [{ name: DATA_VOLUME, mountPath: '/data' }],
  };
  // One container, not two: each container the kubelet starts after another ends costs up to a
  // second here (it notices the end at its next relist). The clone itself runs as uid 1000 with no
  // capabilities left (setpriv drops them with root).
  const initContainers: k8s.V1Container[] = plan.clone
    ? [
        {
          ...prepare,
          name: 'clone',
          image: plan.toolsImage,
          command: ['sh', '-c', PREPARE_THEN_CLONE, 'devc-clone', CLONE],
          env: envList({
            DEVC_HOME_DIR: plan.home,
            DEVC_WORKSPACE_FOLDER: plan.folder,
            DEVC_CLONE_URL: plan.clone.url,
            DEVC_CLONE_BRANCH: plan.clone.branch ?? '',
            HOME: '/tmp',
            GIT_TERMINAL_PROMPT: '0',
          }),
          securityContext: {
            ...prepare.securityContext,
            capabilities: { drop: ['ALL'], add: ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'SETUID', 'SETGID'] },
          },
          volumeMounts: [
            { name: DATA_VOLUME, mountPath: '/data' },
            { name: DATA_VOLUME, mountPath: '/workspaces', subPath: 'workspaces' },
            { name: SECRET_VOLUME, mountPath: '/etc/devc', readOnly: true },
          ],
        },
      ]
    : [prepare];
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
      securityContext: { fsGroup: WORKSPACE_UID },
      initContainers,
      containers: [
        {
          name: 'workspace',
          image: plan.image,
          ...pull,
          workingDir: plan.folder,
          env: envList({ ...plan.env, DEVC_WORKSPACE: plan.workspace, DEVC_WORKSPACE_FOLDER: plan.folder }),
          ports: [
            { name: 'ssh', containerPort: 2222 },
            { name: 'code-server', containerPort: 8080 },
          ],
          securityContext: nonRoot,
          ...(resources ? { resources } : {}),
          volumeMounts: [
            ...dataMounts,
            { name: SECRET_VOLUME, mountPath: '/etc/devc', readOnly: true },
            { name: 'run', mountPath: '/run/devc' },
            // devc made the host key and pinned it before the pod existed; it survives stop (a new pod).
            {
              name: SECRET_VOLUME,
              mountPath: '/etc/ssh/ssh_host_ed25519_key',
              subPath: 'ssh_host_ed25519_key',
              readOnly: true,
            },
            {
              name: SECRET_VOLUME,
              mountPath: '/etc/ssh/ssh_host_ed25519_key.pub',
              subPath: 'ssh_host_ed25519_key.pub',
              readOnly: true,
            },
            {
              name: SECRET_VOLUME,
              mountPath: '/etc/ssh/.devc-host-key',
              subPath: 'devc-host-key',
              readOnly: true,
            },
          ],
        },
      ],
      volumes: [
        { name: DATA_VOLUME, persistentVolumeClaim: { claimName: pvc } },
        { name: SECRET_VOLUME, secret: { secretName: secret, defaultMode: 0o440 } },
        { name: 'run', emptyDir: { medium: 'Memory', sizeLimit: '16Mi' } },
      ],
    },
  };
}

/** hostRequirements as requests and limits (the same, so the workspace gets what it asked for). */
function resourcesOf(plan: PodPlan): k8s.V1ResourceRequirements | undefined {
  const amounts: Record<string, string> = {};
  if (plan.cpus !== undefined) amounts.cpu = String(plan.cpus);
  if (plan.memoryBytes !== undefined) amounts.memory = String(Math.ceil(plan.memoryBytes));
  if (Object.keys(amounts).length === 0) return undefined;
  return { requests: amounts, limits: amounts };
}
