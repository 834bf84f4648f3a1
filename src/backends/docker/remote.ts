import { spawn } from 'node:child_process';
import path from 'node:path';
import { Label } from '../../workspace/model.js';
import { DevcError } from '../../errors.js';
import { docker } from './engine.js';
import { engineHost } from './ssh-engine.js';
import { ensureVolume } from './create.js';
import { agentImageRef } from '../agent-image.js';
import { devcVersion } from '../../version.js';
export { CONFIG_COPY_LABEL } from './agent.js';

/** The uid:gid of the workspace user in dev8 images and devc's agent (as giveVolumeToUser). */
const WORKSPACE_OWNER = '1000';

/**
 * Whether the engine runs elsewhere (DOCKER_HOST or the docker context is ssh:// or tcp://), so host
 * folders can't be bind-mounted into its containers: the source and /etc/devc go into volumes instead.
 */
export async function engineIsRemote(env: NodeJS.ProcessEnv): Promise<boolean> {
  const host = await engineHost(env);
  return host !== undefined && /^(ssh|tcp|https?):\/\//.test(host);
}

/** The mounts that stand for host folders on a remote engine: volumes devc fills with `docker cp`. */
export function copiedMounts(
  name: string,
  folder: string,
  labels: Record<string, string>,
): { volumes: { name: string; labels: Record<string, string> }[]; args: string[] } {
  const source = `devc-${name}-src`;
  const config = `devc-${name}-config`;
  // Both carry the workspace's labels: `delete` removes them with the home volume.
  const volumeLabels = { ...labels, [Label.folder]: folder };
  return {
    volumes: [
      { name: source, labels: volumeLabels },
      { name: config, labels: volumeLabels },
    ],
    args: [
      '--mount',
      `type=volume,source=${source},target=${folder}`,
      // Read-only, as the bind mount is: refreshed through a helper container (refreshConfigCopy).
      '--mount',
      `type=volume,source=${config},target=/etc/devc,readonly`,
    ],
  };
}

/**
 * Copies a folder of this machine into a container (running or not) through the engine's connection:
 * a tar stream into `docker cp -a -`, its files owned by `owner` (the workspace user for the source,
 * root for devc's config, as on a bind mount).
 */
export async function copyFolderIn(
  hostDir: string,
  container: string,
  target: string,
  owner: 'workspace' | 'root',
): Promise<void> {
  const id = owner === 'root' ? '0' : WORKSPACE_OWNER;
  // The archive's top folder is the target itself, so the volume's root gets the owner too.
  const top = `--transform=s,^\\.,${path.posix.basename(target)},`;
  const tar = spawn(
    'tar',
    ['-C', hostDir, '-c', `--owner=${id}`, `--group=${id}`, '--numeric-owner', top, '.'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const cp = spawn('docker', ['cp', '--archive', '-', `${container}:${path.posix.dirname(target)}`], {
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  tar.stdout.pipe(cp.stdin);
  const errors: string[] = [];
  tar.stderr.on('data', (c: Buffer) => errors.push(c.toString()));
  cp.stderr.on('data', (c: Buffer) => errors.push(c.toString()));
  const [tarCode, cpCode] = await Promise.all([exitOf(tar), exitOf(cp)]);
  if (tarCode !== 0 || cpCode !== 0)
    throw new DevcError(`Can't copy ${hostDir} into the workspace on the remote engine.`, {
      details: errors.join('').trim(),
      hint: 'Check the connection to the engine (`docker info`), then run `devc up` again.',
    });
}

function exitOf(child: ReturnType<typeof spawn>): Promise<number> {
  return new Promise((resolve) => {
    child.on('error', () => resolve(127));
    child.on('close', (code) => resolve(code ?? 1));
  });
}

/**
 * Fills a workspace's copied volumes before its container exists (the Dev Containers CLI makes and
 * starts it in one go): through a short-lived container of `image` per volume, never started. Its user
 * is the files' owner: `docker cp --archive` gives them the container's user when the image names one.
 */
export async function fillCopiedVolumes(
  /** The helper containers are named after it: `<name>-fill-<owner>`. */
  name: string,
  image: string,
  copies: { volume: string; hostDir: string; target: string; owner: 'workspace' | 'root' }[],
): Promise<void> {
  for (const c of copies) {
    const id = c.owner === 'root' ? '0' : WORKSPACE_OWNER;
    const helper = (
      await docker([
        'create',
        '--name',
        `${name}-fill-${c.owner}`,
        '--network',
        'none',
        '--user',
        id, // a uid alone: docker cp looks a uid:gid pair up by name
        '--mount',
        `type=volume,source=${c.volume},target=${c.target}`,
        image,
        'true',
      ])
    ).stdout.trim();
    try {
      await copyFolderIn(c.hostDir, helper, c.target, c.owner);
    } finally {
      await docker(['rm', '--force', helper], { allowFailure: true });
    }
  }
}

/**
 * A devcontainer.json workspace on a remote engine: its source and config volumes made and filled, and
 * the workspaceMount that puts the source where the config says (for the direct path and the CLI alike).
 */
export async function copiedForDevcontainer(
  spec: { name: string; folder: string; sourcePath: string; configPath: string },
  labels: Record<string, string>,
): Promise<{ workspaceMount: string; configVolume: string }> {
  const { volumes } = copiedMounts(spec.name, spec.folder, labels);
  const [source, config] = volumes.map((v) => v.name) as [string, string];
  for (const volume of volumes) await ensureVolume(volume.name, volume.labels);
  await fillCopiedVolumes(`devc-${spec.name}`, agentImageRef(devcVersion()), [
    { volume: source, hostDir: spec.sourcePath, target: spec.folder, owner: 'workspace' },
    { volume: config, hostDir: spec.configPath, target: '/etc/devc', owner: 'root' },
  ]);
  return { workspaceMount: `type=volume,source=${source},target=${spec.folder}`, configVolume: config };
}

/**
 * Brings a workspace's /etc/devc volume up to date with its folder here (before every start, and once
 * the Dev Containers CLI has made the container): through a helper of the container's own image run as
 * root, so the files stay root's whatever user the image names.
 */
export async function refreshConfigCopy(container: string, hostDir: string): Promise<void> {
  const format = `{{.Image}}|{{range .Mounts}}{{if eq .Destination "/etc/devc"}}{{.Name}}{{end}}{{end}}`;
  const [image = '', volume = ''] = (
    await docker(['container', 'inspect', '--format', format, container])
  ).stdout
    .trim()
    .split('|');
  if (!image || !volume)
    throw new DevcError(
      `Workspace container ${container} has no /etc/devc volume to copy its settings into.`,
      {
        hint: 'Run `devc rebuild` to make it anew.',
      },
    );
  await fillCopiedVolumes(container, image, [{ volume, hostDir, target: '/etc/devc', owner: 'root' }]);
}
