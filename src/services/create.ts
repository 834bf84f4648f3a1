import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createsFromDevcontainer, hasCapacity, type Backend } from '../backends/backend.js';
import { setting } from '../config/settings.js';
import type { Context } from '../context.js';
import { DevcError, disappearedWhileStarting } from '../errors.js';
import type { CliLog } from '../devcontainer/cli.js';
import { chooseConfig } from '../devcontainer/find.js';
import { readConfiguration } from '../devcontainer/up.js';
import { checkWorkspaceMount } from '../devcontainer/workspace-mount.js';
import { vscodeExtensions } from '../devcontainer/extensions.js';
import { hostRequirements, unmetRequirements } from '../devcontainer/requirements.js';
import { ensureKeyPair } from '../ssh/keys.js';
import type { Progress } from '../ui/progress.js';
import type { CreatedWorkspace, Workspace } from '../workspace/model.js';
import { ensureHomeId } from '../workspace/home-id.js';
import { detectVariant, type Variant } from '../workspace/variants.js';
import { forwardPortsProblems, type PortsConfig } from '../ports/config.js';
import { writePortsConfig } from '../ports/files.js';
import { refreshSshConfig } from './config-ssh.js';
import { buildImage, ensureImage, imageRef } from './images.js';
import { workspaceSecrets, writeSecrets } from './secrets.js';
import { confirmHostAccess, type TrustPolicy } from './trust.js';

/** Everything decided before a workspace is made. */
export interface CreatePlan {
  name: string;
  sourcePath: string;
  /** The repository's name: the source is mounted at /workspaces/<repoName>. */
  repoName: string;
  repository: { url: string; branch: string | undefined };
  owner: string;
  /** The DEVC_HOME id it is labelled with (a rebuild keeps its own); default: this DEVC_HOME's. */
  home?: string | undefined;
  variant: Variant | undefined;
  devcontainerPath: string | undefined;
  /** The user's GitHub token, or its lookup still running (awaited only where it is first needed). */
  token: string | undefined | Promise<string | undefined>;
  env: Record<string, string>;
  noCache?: boolean;
  /** Kubernetes: where a Dockerfile or Features image is built (`up --builder`). */
  builder?: 'local' | 'cluster' | undefined;
  /** What `up --secrets-file` (or DEVC_SECRETS_FILE) gave; default: what the workspace got last. */
  secretsFromFile?: Record<string, string> | undefined;
  /** What the user has said yes to already; default: nothing (a prompt, or a refusal in CI). */
  trust?: TrustPolicy;
}

/** Creates the workspace: from the repository's devcontainer.json when it has one, else a dev8 image. */
export async function createWorkspace(
  ctx: Context,
  backend: Backend,
  plan: CreatePlan,
  progress: Progress,
): Promise<CreatedWorkspace> {
  const workspaceDir = path.join(ctx.paths.workspacesDir, plan.name);
  const config = await chooseConfig(
    plan.sourcePath,
    plan.devcontainerPath,
    ctx.io.interactive ? (c) => ctx.prompter.pick('Which devcontainer.json:', c) : undefined,
  );
  const resolved = config
    ? await progress.phase(`Reading ${config}`, `Read ${config}`, () =>
        readConfiguration(plan.sourcePath, config),
      )
    : undefined;
  // What the config asks of this machine needs a yes before anything is made for it.
  if (config && resolved)
    await confirmHostAccess(ctx, backend, {
      repository: plan.repository.url,
      sourcePath: plan.sourcePath,
      configFile: config,
      configuration: resolved.configuration,
      policy: plan.trust ?? { given: false, own: false },
    });
  // Engine questions that need neither the token nor the config's checks overlap the token's lookup:
  // the dev8 image without a config; with one on Kubernetes, the agent image its pods copy the agent
  // from, pushed to DEVC_REGISTRY from here (without a local engine the registry must have it already).
  const dev8 = config ? undefined : dev8Image(ctx, plan, progress);
  dev8?.catch(() => undefined); // awaited below, after the steps that may throw first
  const agentImage =
    config && backend.kind === 'kubernetes'
      ? ctx.io.span('create: agent image', () => ctx.agent.image(ctx, progress).catch(() => undefined))
      : undefined;
  const { configPath } = await ctx.io.span('create: key pair, agent config, secrets', async () => {
    const authorizedKey = await ensureKeyPair(ctx.paths);
    const written = await writeAgentConfig(workspaceDir, authorizedKey, await plan.token);
    const secrets = await workspaceSecrets(ctx, workspaceDir, plan.repository.url, plan.secretsFromFile);
    await writeSecrets(workspaceDir, secrets);
    return { configPath: written };
  });
  const base = {
    name: plan.name,
    repository: plan.repository,
    owner: plan.owner,
    home: plan.home ?? (await ensureHomeId(ctx.paths)),
    sourcePath: plan.sourcePath,
    configPath,
    env: plan.env,
  };
  if (config && resolved) {
    if (!createsFromDevcontainer(backend)) {
      throw new DevcError(`The ${backend.kind} backend can't build devcontainer.json configs yet.`, {
        hint: 'Use --backend docker.',
      });
    }
    checkWorkspaceMount(resolved.configuration, resolved.workspaceFolder);
    for (const warning of forwardPortsProblems(resolved.configuration.forwardPorts)) ctx.io.warn(warning);
    const requirements = hostRequirements(resolved.configuration);
    // Docker runs devc's agent from a volume. Independent engine questions go at once (each docker
    // call costs tens of milliseconds): the backend awaits the volume beside its own.
    const agentVolume = backend.kind === 'docker' ? ctx.agent.volume(ctx, progress) : undefined;
    agentVolume?.catch(() => undefined);
    await agentImage;
    if (Object.keys(requirements).length > 0 && hasCapacity(backend)) {
      const capacity = await backend.capacity();
      for (const warning of unmetRequirements(requirements, capacity)) ctx.io.warn(warning);
    }
    const logFile = path.join(workspaceDir, 'build.log');
    const registry = await setting(ctx, 'registry');
    const workspace = await progress.phase(
      'Building and starting the dev container',
      `Started workspace ${plan.name}`,
      (update) =>
        backend.createFromDevcontainer({
          ...base,
          variant: undefined,
          folder: resolved.workspaceFolder,
          devcontainerConfig: config,
          configuration: resolved.configuration,
          agentVolume,
          userHome: homeOf(resolved.configuration),
          logFile,
          onLog: (log: CliLog) => {
            if (log.type === 'start' && log.text) update(log.text.split('\n')[0] ?? '');
          },
          warn: (message: string) => ctx.io.warn(message),
          signal: ctx.signal,
          ...(plan.noCache ? { noCache: true } : {}),
          ...(registry ? { registry } : {}),
          ...(plan.builder ? { builder: plan.builder } : {}),
        }),
    );
    await writePortsConfig(ctx.paths, plan.name, portsOf(resolved.configuration));
    await installExtensions(ctx, backend, workspace, vscodeExtensions(resolved.configuration), progress);
    // ~/.ssh/config's *.devc entry names each workspace's user when it isn't dev.
    if (workspace.user !== 'dev') await refreshSshConfig(ctx);
    return workspace;
  }
  const { variant, image } = await (dev8 ?? dev8Image(ctx, plan, progress));
  return progress.phase('Starting workspace', `Started workspace ${plan.name}`, async () => {
    const made = await backend.create({ ...base, image, variant, folder: `/workspaces/${plan.repoName}` });
    // A backend that starts what it creates (Kubernetes) says so; no second look needed then.
    if (made.state === 'running') return made;
    await backend.start(plan.name);
    return (await backend.find(plan.name)) ?? disappearedWhileStarting(plan.name);
  });
}

/** The dev8 variant for the tree (or the one asked for) and its image, made or checked. */
async function dev8Image(
  ctx: Context,
  plan: CreatePlan,
  progress: Progress,
): Promise<{ variant: Variant; image: string }> {
  const variant = plan.variant ?? detectVariant(await readdir(plan.sourcePath));
  const image = await ctx.io.span('create: dev8 image', () =>
    plan.noCache ? rebuildImage(ctx, variant, progress) : ensureImage(ctx, variant, progress),
  );
  return { variant, image };
}

/** What the forwarder reads from devcontainer.json: its own field names, kept as they are. */
function portsOf(configuration: Record<string, unknown>): PortsConfig {
  const pick = (key: string): Record<string, unknown> =>
    key in configuration ? { [key]: configuration[key] } : {};
  return {
    ...pick('forwardPorts'),
    ...pick('portsAttributes'),
    ...pick('otherPortsAttributes'),
  };
}

/** The home folder the config's user will have (where devc mounts the home volume). */
function homeOf(configuration: Record<string, unknown>): string {
  const named = [configuration.remoteUser, configuration.containerUser].find(
    (u): u is string => typeof u === 'string',
  );
  const user = named ?? 'root';
  return user === 'root' || /^0(:|$)/.test(user) ? '/root' : `/home/${user.split(':')[0] ?? user}`;
}

/** The files the in-container agent reads from /etc/devc (mounted read-only). */
async function writeAgentConfig(
  workspaceDir: string,
  authorizedKey: string,
  token: string | undefined,
): Promise<string> {
  const dir = path.join(workspaceDir, 'config');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFile(path.join(dir, 'authorized_keys'), `${authorizedKey}\n`, { mode: 0o644 });
  await writeFile(path.join(dir, 'code-server-secret'), randomBytes(24).toString('base64url'), {
    mode: 0o600,
    flag: 'wx',
  }).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EEXIST') throw error;
  });
  if (token) await writeFile(path.join(dir, 'github-token'), token, { mode: 0o600 });
  else await rm(path.join(dir, 'github-token'), { force: true });
  return dir;
}

/** Installs customizations.vscode.extensions into code-server; a warning, not a failure, when it can't. */
async function installExtensions(
  ctx: Context,
  backend: Backend,
  workspace: Workspace,
  extensions: string[],
  progress: Progress,
): Promise<void> {
  if (extensions.length === 0) return;
  const script =
    'cs=$(command -v code-server || echo /opt/devc/bin/code-server); for e in "$@"; do "$cs" --install-extension "$e" || exit 1; done';
  const result = await progress.phase(
    `Installing ${extensions.length} editor extension(s)`,
    'Installed editor extensions',
    () =>
      backend.exec(workspace.name, ['timeout', '120', 'sh', '-c', script, 'install', ...extensions], {
        user: workspace.user,
      }),
  );
  if (result.exitCode !== 0) {
    const reason = `${result.stdout}\n${result.stderr}`
      .split('\n')
      .find((l) => /error|fail|unable|ENOTFOUND|EAI_AGAIN/i.test(l))
      ?.trim();
    ctx.io.warn(
      `Couldn't install editor extensions (${extensions.join(', ')}): the marketplace may be unreachable.${reason ? ` ${reason}` : ''}`,
    );
  }
}

async function rebuildImage(ctx: Context, variant: Variant, progress: Progress): Promise<string> {
  const ref = imageRef(variant, ctx.version, await setting(ctx, 'registry'));
  await buildImage(ctx, variant, ref, progress, true);
  return ref;
}
