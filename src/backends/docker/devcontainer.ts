import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { devcontainerRunUserCommands, devcontainerUp, type UpResult } from '../../devcontainer/up.js';
import {
  HOOKS,
  isRootUser,
  planDirect,
  type DirectDecision,
  type DirectPlan,
} from '../../devcontainer/direct.js';
import type { DevcontainerSpec } from '../backend.js';
import { Label } from '../../workspace/model.js';
import { secretValues } from '../../workspace/secret-values.js';
import { workspaceLabels } from '../../workspace/labels.js';
import {
  AGENT_CONFIG_DIR,
  CONFIG_COPY_LABEL,
  INJECTED_LABEL,
  prepareSecrets,
  startInjectedAgent,
} from './agent.js';
import { refreshConfigCopy } from './remote.js';
import { localImage, runDirect } from './direct.js';
import { devcontainerEngine, rootlessPodmanSocket } from './containers.js';
import { docker } from './engine.js';
import { choosesNetwork, ensureWorkspaceNetwork, loopbackPublishArgs } from './network.js';

/** A devcontainer spec with the Docker volumes it mounts, made by the time the container is. */
export interface DockerDevcontainerSpec extends Omit<DevcontainerSpec, 'agentVolume'> {
  /** The volume holding devc's agent (/opt/devc). */
  agentVolume: string;
  homeVolume: string;
  sharedVolume: string;
  /** On a remote engine: the volume holding a copy of the config folder (remote.ts), not a bind mount. */
  configVolume?: string;
}

/**
 * Creates the container: a plain-image config with one `docker run` (the direct path), anything else
 * through @devcontainers/cli (build, Features, Compose, hooks); then starts devc's agent.
 */
export async function createFromConfig(
  spec: DockerDevcontainerSpec,
  /** From `directPlan`: whether to run the container directly, or why not. */
  decision: DirectDecision,
): Promise<{ remoteUser: string; merged: Record<string, unknown> }> {
  const direct = 'plan' in decision ? decision.plan : undefined;
  // The build log says which way it went, for whoever wonders why an `up` took long.
  await mkdir(path.dirname(spec.logFile), { recursive: true });
  await appendFile(
    spec.logFile,
    'reason' in decision
      ? `devc: ${spec.devcontainerConfig} goes through the Dev Containers CLI (${decision.reason})\n`
      : `devc: ${spec.devcontainerConfig} names a local image: running it directly\n`,
  );
  const labels = workspaceLabels(spec, {
    [Label.config]: spec.devcontainerConfig,
    [INJECTED_LABEL]: 'injected',
    ...(spec.imageSource ? { [Label.imageSource]: spec.imageSource } : {}),
    ...(spec.configVolume ? { [CONFIG_COPY_LABEL]: spec.configPath } : {}),
  });
  const mounts = [
    // external: with Compose, the volumes are devc's, not scoped to the Compose project.
    `type=volume,source=${spec.homeVolume},target=${spec.userHome},external=true`,
    `type=volume,source=${spec.sharedVolume},target=/shared,external=true`,
    `type=volume,source=${spec.agentVolume},target=/opt/devc,external=true`,
    spec.configVolume
      ? `type=volume,source=${spec.configVolume},target=${AGENT_CONFIG_DIR},external=true`
      : `type=bind,source=${spec.configPath},target=${AGENT_CONFIG_DIR}`,
  ];
  const override = direct ? undefined : await overrideConfig(spec);
  const engine = direct ? undefined : await devcontainerEngine();
  const result = direct
    ? await createDirect(spec, direct, labels, mounts)
    : await devcontainerUp({
        workspaceFolder: spec.sourcePath,
        config: spec.devcontainerConfig,
        ...(override ? { overrideConfig: override } : {}),
        labels,
        mounts,
        logFile: spec.logFile,
        skipHooks: true,
        ...(spec.noCache ? { noCache: true, removeExisting: true } : {}),
        ...(engine ? { engine } : {}),
        ...(spec.onLog ? { onLog: spec.onLog } : {}),
        ...(spec.signal ? { signal: spec.signal } : {}),
      });
  // devcontainer up may name it anything; devc finds workspaces as devc-<name>.
  if (!direct) {
    const current = await docker(['inspect', '--format', '{{.Name}}', result.containerId]);
    if (current.stdout.trim() !== `/devc-${spec.name}`)
      await docker(['rename', result.containerId, `devc-${spec.name}`]);
  }
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
  // A remote engine's copy gets agent.env and remote.env too.
  if (spec.configVolume) await refreshConfigCopy(result.containerId, spec.configPath);
  // Hooks run once the user's secrets are written (they source them), before the agent starts.
  if (direct ? direct.hooks : hasHooks(result.merged)) {
    await prepareSecrets(result.containerId, spec.configPath);
    await devcontainerRunUserCommands({
      containerId: result.containerId,
      workspace: spec.name,
      workspaceFolder: spec.sourcePath,
      config: spec.devcontainerConfig,
      logFile: spec.logFile,
      mask: await secretValues(spec.configPath),
      ...(spec.onLog ? { onLog: spec.onLog } : {}),
      ...(spec.signal ? { signal: spec.signal } : {}),
    });
  }
  await startInjectedAgent(`devc-${spec.name}`, spec.configPath);
  return { remoteUser: result.remoteUser, merged: result.merged };
}

/** Whether devc can run this config's container itself (and how), or why it can't. */
export async function directPlan(
  spec: Pick<DockerDevcontainerSpec, 'configuration' | 'sourcePath' | 'noCache'>,
): Promise<DirectDecision> {
  if (spec.noCache) return { reason: 'a build without cache' };
  const image = typeof spec.configuration.image === 'string' ? spec.configuration.image : undefined;
  const decision = planDirect(spec.configuration, {
    sourcePath: spec.sourcePath,
    image: image ? await localImage(image) : undefined,
    hostUid: process.getuid?.(),
  });
  // The repository is root's inside a rootless Podman container unless its user is mapped, which the
  // Dev Containers CLI does (devcontainerEngine).
  if ('plan' in decision && !isRootUser(decision.plan.remoteUser) && (await rootlessPodmanSocket()))
    return { reason: 'rootless Podman, a non-root remoteUser' };
  return decision;
}

/** The direct path: `docker run` (the lifecycle hooks follow through `devcontainer run-user-commands`). */
async function createDirect(
  spec: DockerDevcontainerSpec,
  plan: DirectPlan,
  labels: Record<string, string>,
  mounts: string[],
): Promise<UpResult> {
  const configFile = path.resolve(spec.sourcePath, spec.devcontainerConfig);
  const containerId = await runDirect({
    container: `devc-${spec.name}`,
    plan,
    labels,
    mounts,
    sourcePath: spec.sourcePath,
    configFile,
  });
  return {
    containerId,
    remoteUser: plan.remoteUser,
    remoteWorkspaceFolder: plan.workspaceFolder,
    merged: { containerEnv: plan.containerEnv, remoteEnv: plan.remoteEnv },
  };
}

/**
 * The config as devc hands it to the CLI's `docker run`: its lifecycle hooks made to source the
 * workspace's secrets (done by the caller, kept by the CLI in the metadata label), and devc's network
 * added to its runArgs so the container is apart from other workspaces from its first moment (its
 * hooks included). Given as the CLI's --override-config, which keeps the original file as the
 * config's path: relative paths (build context, Dockerfile) resolve as before. A Compose config keeps
 * its project's network, and runArgs that choose a network keep it; runArgs that are not a list of
 * strings get no file (the CLI says what is wrong with them).
 */
async function overrideConfig(spec: DockerDevcontainerSpec): Promise<string | undefined> {
  const config = spec.configuration;
  const runArgs = config.runArgs ?? [];
  if (!Array.isArray(runArgs) || !runArgs.every((a) => typeof a === 'string')) return undefined;
  const isolate = !('dockerComposeFile' in config) && !choosesNetwork(runArgs);
  const network = isolate ? await ensureWorkspaceNetwork() : undefined;
  // Beside build.log, in devc's folder for the workspace (not the config folder the container sees).
  const file = path.join(path.dirname(spec.logFile), 'devcontainer.override.json');
  const overridden = network
    ? { ...config, runArgs: [...runArgs, `--network=${network}`, ...(await loopbackPublishArgs(runArgs))] }
    : config;
  await writeFile(file, `${JSON.stringify(overridden, null, 2)}\n`);
  return file;
}

/**
 * Non-secret settings for the agent: agent.env (read back by `devc start` to start it again) and
 * remote.env (the config's containerEnv and remoteEnv, for SSH sessions).
 */
async function writeEnvFile(configDir: string, file: string, env: Record<string, string>): Promise<void> {
  const lines = Object.entries(env).map(([k, v]) => `${k}=${v.replace(/\n/g, ' ')}`);
  await writeFile(path.join(configDir, file), `${lines.join('\n')}\n`, { mode: 0o644 });
}

/** Whether the CLI's merged configuration has a lifecycle hook (it names them in the plural: lists). */
function hasHooks(merged: Record<string, unknown>): boolean {
  return HOOKS.some((h) => {
    const hooks = merged[`${h}s`] ?? merged[h];
    return Array.isArray(hooks) ? hooks.length > 0 : hooks !== undefined;
  });
}

function stringRecord(value: unknown): Record<string, string> {
  if (!value || typeof value !== 'object') return {};
  return Object.fromEntries(
    Object.entries(value).filter((e): e is [string, string] => typeof e[1] === 'string'),
  );
}
