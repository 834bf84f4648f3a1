import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { devcontainerUp } from '../../devcontainer/up.js';
import type { CliLog } from '../../devcontainer/cli.js';
import { Label, type WorkspaceSpec } from '../../workspace/model.js';
import { workspaceLabels } from '../../workspace/labels.js';
import { AGENT_CONFIG_DIR, INJECTED_LABEL, startInjectedAgent } from './agent.js';
import { docker } from './engine.js';

/** What creating a workspace from a repository's devcontainer.json needs beyond a plain spec. */
export interface DevcontainerSpec extends Omit<WorkspaceSpec, 'image'> {
  /** The devcontainer.json, relative to the source folder. */
  devcontainerConfig: string;
  /** The volume holding devc's agent (/opt/devc). */
  agentVolume: string;
  homeVolume: string;
  sharedVolume: string;
  /** Home folder of the user the config runs as. */
  home: string;
  logFile: string;
  noCache?: boolean;
  onLog?: (log: CliLog) => void;
  signal?: AbortSignal;
}

/** Creates the container through @devcontainers/cli (build, Features, Compose, hooks), then starts devc's agent. */
export async function createWithDevcontainerCli(
  spec: DevcontainerSpec,
): Promise<{ remoteUser: string; merged: Record<string, unknown> }> {
  const labels = workspaceLabels(spec, {
    [Label.config]: spec.devcontainerConfig,
    [INJECTED_LABEL]: 'injected',
  });
  const mounts = [
    // external: with Compose, the volumes are devc's, not scoped to the Compose project.
    `type=volume,source=${spec.homeVolume},target=${spec.home},external=true`,
    `type=volume,source=${spec.sharedVolume},target=/shared,external=true`,
    `type=volume,source=${spec.agentVolume},target=/opt/devc,external=true`,
    `type=bind,source=${spec.configPath},target=${AGENT_CONFIG_DIR}`,
  ];
  const result = await devcontainerUp({
    workspaceFolder: spec.sourcePath,
    config: spec.devcontainerConfig,
    labels,
    mounts,
    logFile: spec.logFile,
    ...(spec.noCache ? { noCache: true, removeExisting: true } : {}),
    ...(spec.onLog ? { onLog: spec.onLog } : {}),
    ...(spec.signal ? { signal: spec.signal } : {}),
  });
  // devcontainer up may name it anything; devc finds workspaces as devc-<name>.
  const current = await docker(['inspect', '--format', '{{.Name}}', result.containerId]);
  if (current.stdout.trim() !== `/devc-${spec.name}`)
    await docker(['rename', result.containerId, `devc-${spec.name}`]);
  await writeEnvFile(spec.configPath, 'agent.env', {
    ...spec.env,
    DEVC_USER: result.remoteUser,
    DEVC_WORKSPACE: spec.name,
    DEVC_WORKSPACE_FOLDER: result.remoteWorkspaceFolder,
  });
  await writeEnvFile(spec.configPath, 'remote.env', {
    ...stringRecord(result.merged.containerEnv),
    ...stringRecord(result.merged.remoteEnv),
  });
  await startInjectedAgent(`devc-${spec.name}`, spec.configPath);
  return { remoteUser: result.remoteUser, merged: result.merged };
}

/**
 * Non-secret settings for the agent: agent.env (read back by `devc start` to start it again) and
 * remote.env (the config's containerEnv and remoteEnv, for SSH sessions).
 */
async function writeEnvFile(configDir: string, file: string, env: Record<string, string>): Promise<void> {
  const lines = Object.entries(env).map(([k, v]) => `${k}=${v.replace(/\n/g, ' ')}`);
  await writeFile(path.join(configDir, file), `${lines.join('\n')}\n`, { mode: 0o644 });
}

function stringRecord(value: unknown): Record<string, string> {
  if (!value || typeof value !== 'object') return {};
  return Object.fromEntries(
    Object.entries(value).filter((e): e is [string, string] => typeof e[1] === 'string'),
  );
}
