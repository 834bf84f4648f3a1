import type * as k8s from '@kubernetes/client-node';
import type { PodPlan } from './objects.js';

/**
 * The workspace volume's layout and how a pod's first start prepares it (the folders, the user's
 * home, the clone): by the workspace container itself (dev8 images), or by a root init container
 * for storage a non-root pod can't write to. Any image's pod prepares with containers of its own
 * (any-image.ts).
 */

/**
 * A shell loop that ends once the agent's sshd listens on 2222 (0x08AE; state 0A: LISTEN) in the
 * pod (its containers share the network's sockets), or after `tries` pauses of `pause` seconds;
 * its status says which (0: listening).
 */
export function untilSshdListens(tries: number, pause: string): string {
  return `i=0; until grep -Eq '^ *[0-9]+: [0-9A-F]+:08AE [0-9A-F]+:0000 0A' /proc/net/tcp /proc/net/tcp6 2>/dev/null || [ $i -ge ${tries} ]; do sleep ${pause}; i=$((i + 1)); done; [ $i -lt ${tries} ]`;
}

/** uid and gid of the workspace user when the plan names none (dev in dev8 images). */
export const WORKSPACE_UID = 1000;
export const SECRET_VOLUME = 'devc-config';
export const DATA_VOLUME = 'data';

// The volume's layout: subPath `home` is /home (the user's home is /home/<user> in it), subPath
// `workspaces` is /workspaces.
export const HOMES = 'home';

// Root, with only these capabilities, for storage a non-root pod can't write to (hostPath ignores
// fsGroup): hands the volume's folders to the workspace user and seeds an empty home from the image's.
const PREPARE = `set -e
home="/data/${HOMES}/\${DEVC_HOME_DIR#/home/}"
mkdir -p "$home" /data/workspaces /data/devc-agent
if [ ! -e "$home/.devc-home" ]; then
  if [ -d "$DEVC_HOME_DIR" ]; then cp -a "$DEVC_HOME_DIR/." "$home/"; fi
  : > "$home/.devc-home"
fi
# The runtime would make the working directory itself, as root.
folder="/data/workspaces/\${DEVC_WORKSPACE_FOLDER#/workspaces/}"
mkdir -p "$folder"
chown "$DEVC_UID:$DEVC_GID" /data /data/${HOMES} "$home" /data/workspaces /data/devc-agent "$home/.devc-home" "$folder"`;

// Clones once, atomically; the token (if any) comes from the mounted Secret through git's store helper.
export const CLONE = `set -e
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
export const SELF_PREPARE = `set -e
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

export const envList = (env: Record<string, string>): k8s.V1EnvVar[] =>
  Object.entries(env).map(([name, value]) => ({ name, value }));

/**
 * The init container of a pod whose volume root prepares: `prepare`, or `clone` when it also clones
 * (one container, not two: each container the kubelet starts after another ends costs up to a
 * second). The clone itself runs as uid 1000 with no capabilities left (setpriv drops them with root).
 */
export function rootPrepare(
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
        DEVC_UID: String(plan.uid ?? WORKSPACE_UID),
        DEVC_GID: String(plan.gid ?? WORKSPACE_UID),
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
