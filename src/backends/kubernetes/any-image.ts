import type * as k8s from '@kubernetes/client-node';
import { untilSshdListens } from './prepare.js';

/**
 * A pod for any image (one a devcontainer.json names, not a dev8 one): devc's agent comes from the
 * agent image (`devc/devc-agent`, what the Docker backend mounts from a volume), copied once per
 * workspace and agent version onto the PVC (subPath `devc-agent`, mounted read-only at /opt/devc).
 * No init container: the kubelet notices an init container's end only at its next relist, up to a
 * second later. Instead two containers run beside the workspace container and end once done:
 * - `agent` (the agent image): copies sshd and the agent first, clones a remote repository, then
 *   copies code-server (most of the bundle's 600 MB; its launcher waits for it);
 * - `home` (the workspace image, which holds the user's home): seeds the PVC's home from the image's
 *   once, and makes the source folder.
 * The workspace container waits for both (markers in the shared /run/devc) and execs the agent.
 * All three run as the workspace user (root only when the config asks for it).
 */

export const AGENT_MOUNT = '/opt/devc';
/** The marker the agent container leaves once the agent (not code-server yet) is on the volume. */
const AGENT_READY = '/run/devc/agent-copied';
const HOME_READY = '/run/devc/home-seeded';
const FAILED = '/run/devc/prepare-failed';

export interface AnyImagePlan {
  agentImage: string;
  agentVersion: string;
  /** The user's home lives on the PVC (under /home) and is seeded from the image's. */
  seedHome: boolean;
}

/** The agent container's script: copy (once per version), clone ($1 is the clone script), mark. */
const COPY_AGENT = `set -e
A=/data/devc-agent
fail() { echo "$2" > ${FAILED}; echo "devc: $2" >&2; exit "$1"; }
if [ "$(cat "$A/.devc-version" 2>/dev/null)" != "$DEVC_AGENT_VERSION" ]; then
  rm -rf "$A/bin" "$A/lib" "$A/libexec" "$A/node" "$A/code-server" "$A/.devc-version" 2>/dev/null || true
  cp -a /opt/devc/bin /opt/devc/lib /opt/devc/libexec "$A/" || fail 1 "can't copy devc's agent onto the workspace's volume"
  # code-server arrives last: its launcher waits for it.
  mv "$A/bin/code-server" "$A/bin/code-server.real"
  printf '#!/bin/sh\\nwhile [ ! -e /opt/devc/.devc-version ]; do sleep 0.2; done\\nexec /opt/devc/bin/code-server.real "$@"\\n' > "$A/bin/code-server"
  chmod 0755 "$A/bin/code-server"
  copied=
else copied=1; fi
if [ -n "\${DEVC_CLONE_URL:-}" ]; then
  GIT_TERMINAL_PROMPT=0 HOME=/tmp sh -c "$1" || fail 76 "the clone failed"
fi
: > ${AGENT_READY}
if [ -z "$copied" ]; then
  # Once sshd listens (at most ~10 s on): 577 MB copied while the agent starts and devc uploads
  # slows both. Then last in line for the CPU.
  ${untilSshdListens(100, '0.1')} || true
  nice -n 19 cp -a /opt/devc/node /opt/devc/code-server "$A/"
  echo "$DEVC_AGENT_VERSION" > "$A/.devc-version"
fi`;

/** The home container's script (in the workspace image, which has the user's home). */
const SEED_HOME = `set -e
# A failure is marked for the workspace container, which waits for this one (else it would wait on).
trap 'code=$?; [ "$code" = 0 ] || echo "the home container failed (exit $code): see its log" > ${FAILED}' EXIT
if [ -n "$DEVC_SEED_HOME" ]; then
  home="/data/home/\${DEVC_HOME_DIR#/home/}"
  if [ ! -e "$home/.devc-home" ]; then
    mkdir -p "$home"
    if [ -d "$DEVC_HOME_DIR" ]; then cp -a "$DEVC_HOME_DIR/." "$home/"; fi
    : > "$home/.devc-home"
  fi
fi
mkdir -p "/data/workspaces/\${DEVC_WORKSPACE_FOLDER#/workspaces/}"
: > ${HOME_READY}`;

/** The workspace container's command: wait for both, then run the agent from the volume. */
export const RUN_AGENT = `if ! [ -w /workspaces ] || { [ -n "$DEVC_SEED_HOME" ] && ! [ -w /home ]; }; then
  echo "devc: uid $(id -u) can't write to the workspace's volume (its storage ignores fsGroup); devc prepares it as root instead." >&2
  exit $1
fi
while ! [ -e ${AGENT_READY} ] || ! [ -e ${HOME_READY} ]; do
  if [ -e ${FAILED} ]; then echo "devc: $(cat ${FAILED})." >&2; exit $2; fi
  sleep 0.05
done
: > $3
cd "$DEVC_WORKSPACE_FOLDER"
exec ${AGENT_MOUNT}/bin/devc-agent`;

/** The two containers that prepare the volume beside the workspace container. */
export function preparingContainers(
  plan: { image: string; home: string; folder: string },
  any: AnyImagePlan,
  options: {
    securityContext: k8s.V1SecurityContext;
    pull: Partial<k8s.V1Container>;
    clone: Record<string, string> | undefined;
    cloneScript: string;
    volume: string;
    secretVolume: string;
  },
): k8s.V1Container[] {
  const env = (values: Record<string, string>): k8s.V1EnvVar[] =>
    Object.entries(values).map(([name, value]) => ({ name, value }));
  const small = { requests: { cpu: '10m', memory: '16Mi' } };
  return [
    {
      name: 'agent',
      image: any.agentImage,
      ...options.pull,
      command: ['sh', '-c', COPY_AGENT, 'devc-agent-copy', options.cloneScript],
      env: env({
        DEVC_AGENT_VERSION: any.agentVersion,
        DEVC_WORKSPACE_FOLDER: plan.folder,
        ...(options.clone ?? {}),
      }),
      securityContext: options.securityContext,
      resources: small,
      volumeMounts: [
        { name: options.volume, mountPath: '/data' },
        { name: options.volume, mountPath: '/workspaces', subPath: 'workspaces' },
        { name: 'run', mountPath: '/run/devc' },
        ...(options.clone ? [{ name: options.secretVolume, mountPath: '/etc/devc', readOnly: true }] : []),
      ],
    },
    {
      name: 'home',
      image: plan.image,
      ...options.pull,
      command: ['sh', '-c', SEED_HOME],
      env: env({
        DEVC_HOME_DIR: plan.home,
        DEVC_WORKSPACE_FOLDER: plan.folder,
        DEVC_SEED_HOME: any.seedHome ? '1' : '',
      }),
      securityContext: options.securityContext,
      resources: small,
      volumeMounts: [
        { name: options.volume, mountPath: '/data' },
        { name: 'run', mountPath: '/run/devc' },
      ],
    },
  ];
}
