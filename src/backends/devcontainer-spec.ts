import type { CliLog } from '../devcontainer/cli.js';
import type { ImageSource, WorkspaceSpec } from '../workspace/model.js';

/** What creating a workspace from a repository's devcontainer.json needs beyond a plain spec. */
export interface DevcontainerSpec extends Omit<WorkspaceSpec, 'image'> {
  /** The devcontainer.json, relative to the source folder. */
  devcontainerConfig: string;
  /** Its contents, as devc parsed them. */
  configuration: Record<string, unknown>;
  /**
   * The volume holding devc's agent (/opt/devc), made while the engine does other work; only for
   * engines that run the agent from a volume (Docker).
   */
  agentVolume?: Promise<string> | undefined;
  /** Home folder of the user the config runs as (not `home`: that is the DEVC_HOME id label). */
  userHome: string;
  logFile: string;
  noCache?: boolean;
  /** DEVC_REGISTRY (or `devc config`): where a prebuild of the config is looked for (Docker). */
  registry?: string | undefined;
  /** Where the image came from (set by the backend once it knows; labelled on the workspace). */
  imageSource?: ImageSource | undefined;
  /** Kubernetes: where an image is built (`up --builder`); unset: here, else in the cluster. */
  builder?: 'local' | 'cluster' | undefined;
  onLog?: (log: CliLog) => void;
  /** A warning for the user (stderr): what the engine does not apply of the config. */
  warn?: (message: string) => void;
  signal?: AbortSignal;
}
