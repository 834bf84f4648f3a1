import type * as k8s from '@kubernetes/client-node';

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
  /**
   * Who prepares the volume (and clones) on the first start: `self`, the workspace container as the
   * workspace user before the agent starts (dev8 images); `root`, an init container.
   */
  prepare: 'self' | 'root';
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

// The volume's layout: subPath `home` is /home (the user's home is /home/<user> in it), subPath
// `workspaces` is /workspaces.
const HOMES = 'home';

// Root, with only these capabilities, for storage a non-root pod can't write to (hostPath ignores
// fsGroup): hands the volume's folders to the workspace user and seeds an empty home from the image's.
const PREPARE = `set -e
home="/data/${HOMES}/\${DEVC_HOME_DIR#/home/}"
mkdir -p "$home" /data/workspaces
if [ ! -e "$home/.devc-home" ]; then
  if [ -d "$DEVC_HOME_DIR" ]; then cp -a "$DEVC_HOME_DIR/." "$home/"; fi
  : > "$home/.devc-home"
fi
# The runtime would make the working directory itself, as root.
folder="/data/workspaces/\${DEVC_WORKSPACE_FOLDER#/workspaces/}"
mkdir -p "$folder"
chown ${WORKSPACE_UID}:${WORKSPACE_UID} /data /data/${HOMES} "$home" /data/workspaces "$home/.devc-home" "$folder"`;

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

/** The workspace container's exit code when its volume is not writable to it (then devc prepares it as root). */
export const NEEDS_ROOT_EXIT = 75;
/** The workspace container's exit code when its clone (first start) failed. */
export const CLONE_FAILED_EXIT = 76;
/** Made by a pod that prepares itself once its volume is ready (and cloned): the agent starts next. */
export const PREPARED_MARK = '/run/devc/prepared';

// A dev8 pod prepares its own volume, as the workspace user, before the agent starts: no init
// container (the kubelet notices an init container's end only at its next relist, up to a second
// later). Storage that honours fsGroup (cloud disks) or makes world-writable folders (kind, k3s,
// minikube) allows it; anything else ends the container with NEEDS_ROOT_EXIT. A dev8 home is
// /etc/skel's files, so the image's own home is not needed.
const SELF_PREPARE = `set -e
if ! [ -w /home ] || ! [ -w /workspaces ]; then
  echo "devc: uid $(id -u) can't write to the workspace's volume (its storage ignores fsGroup); devc prepares it as root instead." >&2
  exit ${NEEDS_ROOT_EXIT}
fi
if [ ! -e "$DEVC_HOME_DIR/.devc-home" ]; then
  mkdir -p "$DEVC_HOME_DIR"
  cp -a /etc/skel/. "$DEVC_HOME_DIR/" 2>/dev/null || true
  : > "$DEVC_HOME_DIR/.devc-home"
fi
mkdir -p "$DEVC_WORKSPACE_FOLDER"
if [ -n "\${DEVC_CLONE_URL:-}" ]; then
  GIT_TERMINAL_PROMPT=0 sh -c "$1" || { echo "devc: the clone failed." >&2; exit ${CLONE_FAILED_EXIT}; }
fi
: > ${PREPARED_MARK}
cd "$DEVC_WORKSPACE_FOLDER"
exec /usr/local/bin/devc-agent`;

const envList = (env: Record<string, string>): k8s.V1EnvVar[] =>
  Object.entries(env).map(([name, value]) => ({ name, value }));

/** The workspace's pod: non-root, restartPolicy Never (an idle agent exit ends it), PVC and Secret mounted. */
export function podManifest(plan: PodPlan, pvc: string, secret: string): k8s.V1Pod {
  const resources = resourcesOf(plan);
  const pull: Partial<k8s.V1Container> = plan.pullAlways ? { imagePullPolicy: 'Always' } : {};
  const self = plan.prepare === 'self';
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
      securityContext: { fsGroup: WORKSPACE_UID },
      initContainers: self ? [] : rootPrepare(plan, pull, clone),
      containers: [
        {
          name: 'workspace',
          image: plan.image,
          ...pull,
          // A self-preparing pod makes its folder first: the runtime would make a missing working
          // directory itself, as root.
          ...(self
            ? { command: ['sh', '-c', SELF_PREPARE, 'devc-prepare', CLONE], workingDir: '/workspaces' }
            : { workingDir: plan.folder }),
          env: envList({
            ...plan.env,
            DEVC_WORKSPACE: plan.workspace,
            DEVC_WORKSPACE_FOLDER: plan.folder,
            ...(self ? { DEVC_HOME_DIR: plan.home, ...clone } : {}),
          }),
          ports: [
            { name: 'ssh', containerPort: 2222 },
            { name: 'code-server', containerPort: 8080 },
          ],
          securityContext: {
            runAsUser: WORKSPACE_UID,
            runAsGroup: WORKSPACE_UID,
            runAsNonRoot: true,
          },
          ...(resources ? { resources } : {}),
          volumeMounts: [
            { name: DATA_VOLUME, mountPath: '/home', subPath: HOMES },
            { name: DATA_VOLUME, mountPath: '/workspaces', subPath: 'workspaces' },
            { name: SECRET_VOLUME, mountPath: '/etc/devc', readOnly: true },
            { name: 'run', mountPath: '/run/devc' },
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
      ],
      volumes: [
        { name: DATA_VOLUME, persistentVolumeClaim: { claimName: pvc } },
        { name: SECRET_VOLUME, secret: { secretName: secret, defaultMode: 0o440 } },
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

/**
 * The init container of a pod whose volume root prepares: `prepare`, or `clone` when it also clones
 * (one container, not two: each container the kubelet starts after another ends costs up to a
 * second). The clone itself runs as uid 1000 with no capabilities left (setpriv drops them with root).
 */
function rootPrepare(
  plan: PodPlan,
  pull: Partial<k8s.V1Container>,
  clone: Record<string, string> | undefined,
): k8s.V1Container[] {
  const capabilities = ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', ...(clone ? ['SETUID', 'SETGID'] : [])];
  return [
    {
      name: clone ? 'clone' : 'prepare',
      image: clone ? plan.toolsImage : plan.image,
      ...pull,
      command: clone ? ['sh', '-c', PREPARE_THEN_CLONE, 'devc-clone', CLONE] : ['sh', '-c', PREPARE],
      env: envList({
        DEVC_HOME_DIR: plan.home,
        DEVC_WORKSPACE_FOLDER: plan.folder,
        ...(clone ? { ...clone, HOME: '/tmp', GIT_TERMINAL_PROMPT: '0' } : {}),
      }),
      securityContext: {
        runAsUser: 0,
        runAsNonRoot: false,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'], add: capabilities },
      },
      volumeMounts: [
        { name: DATA_VOLUME, mountPath: '/data' },
        ...(clone
          ? [
              { name: DATA_VOLUME, mountPath: '/workspaces', subPath: 'workspaces' },
              { name: SECRET_VOLUME, mountPath: '/etc/devc', readOnly: true },
            ]
          : []),
      ],
    },
  ];
}

/** hostRequirements as requests and limits (the same, so the workspace gets what it asked for). */
function resourcesOf(plan: PodPlan): k8s.V1ResourceRequirements | undefined {
  const amounts: Record<string, string> = {};
  if (plan.cpus !== undefined) amounts.cpu = String(plan.cpus);
  if (plan.memoryBytes !== undefined) amounts.memory = String(Math.ceil(plan.memoryBytes));
  if (Object.keys(amounts).length === 0) return undefined;
  return { requests: amounts, limits: amounts };
}
