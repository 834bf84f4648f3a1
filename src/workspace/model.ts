export type BackendKind = 'docker' | 'kubernetes';

export type WorkspaceState = 'running' | 'starting' | 'stopped' | 'exited' | 'failed' | 'missing';

/** Labels every object a workspace owns carries: the engine is the database (docs/architecture.md). */
export const Label = {
  workspace: 'dev.devc.workspace',
  repository: 'dev.devc.repository',
  branch: 'dev.devc.branch',
  owner: 'dev.devc.owner',
  version: 'dev.devc.version',
  variant: 'dev.devc.variant',
  source: 'dev.devc.source',
  folder: 'dev.devc.folder',
  createdAt: 'dev.devc.created-at',
  /** The devcontainer.json it was made from, relative to the source (none for dev8 images). */
  config: 'dev.devc.config',
  /** The id of the DEVC_HOME that made it (workspace/home-id.ts): its changes and deletion are that devc's. */
  home: 'dev.devc.home',
  /** Where its image came from: prebuild (a content-hash tag found), built (by its `up`), image (as named). */
  imageSource: 'dev.devc.image-source',
} as const;

/** Where a workspace's image came from (`up --json`'s and `view --json`'s imageSource). */
export type ImageSource = 'prebuild' | 'built' | 'image';

/** A workspace as the engine reports it. */
export interface Workspace {
  name: string;
  backend: BackendKind;
  state: WorkspaceState;
  /** Why it is in that state, in the user's words (e.g. "exited with code 137"). */
  stateReason: string | undefined;
  repository: { url: string; branch: string | undefined };
  image: string;
  variant: string | undefined;
  /** Where the source is mounted inside the workspace. */
  folder: string;
  /** The user SSH and exec run as (dev in dev8 images; the config's remoteUser otherwise). */
  user: string;
  /** The host folder holding the source, when there is one. */
  sourcePath: string | undefined;
  /** Who made it (dev.devc.owner). */
  owner?: string | undefined;
  /** The id of the DEVC_HOME that made it (dev.devc.home); undefined for workspaces of older devc. */
  home?: string | undefined;
  /** The devcontainer.json it was made from, when it was. */
  devcontainerConfig?: string | undefined;
  /** Where its image came from, when the devc that made it recorded it. */
  imageSource?: ImageSource | undefined;
  createdAt: string;
  id: string;
  /** Seconds without SSH or editor use before it stops itself (0: never); undefined when unknown. */
  idleTimeoutSeconds?: number | undefined;
  /** When it last started and last stopped (ISO), when the engine knows. */
  startedAt?: string | undefined;
  stoppedAt?: string | undefined;
}

/** What `create` gives back: the workspace, and what the backend already knows of its SSH server. */
export interface CreatedWorkspace extends Workspace {
  /**
   * Set when the backend saw the new workspace's sshd listening inside it and holds its host key
   * (Kubernetes: devc made the key and put it in the pod's Secret): `up` pins that key instead of
   * probing SSH from outside and reading the key back.
   */
  sshReady?: { hostKey: string };
}

/** What `create` needs to make a workspace. */
export interface WorkspaceSpec {
  name: string;
  image: string;
  variant: string | undefined;
  repository: { url: string; branch: string | undefined };
  owner: string;
  /** This DEVC_HOME's id (dev.devc.home). */
  home: string;
  sourcePath: string;
  folder: string;
  /** Host folder mounted read-only at /etc/devc: authorized key, secrets. */
  configPath: string;
  env: Record<string, string>;
}
