import { DevcError } from '../../errors.js';
import { run } from '../../process.js';
import { engineSocket, inspectImage } from './api.js';
import { isRootlessPodman } from './engine-kind.js';
import { docker, type DockerResult } from './engine.js';

/** On rootless Podman, the user running devc is the dev8 images' user (uid 1000) inside workspaces. */
const KEEP_ID = 'keep-id:uid=1000,gid=1000';

/**
 * Creates a container (`docker create OPTIONS IMAGE COMMAND`) and resolves to its id. On rootless
 * Podman, a container that holds the user's files (`userFiles`: a dev8 workspace, and the helper that
 * hands it /shared) maps the user running devc to uid 1000, the workspace user (`--userns KEEP_ID`):
 * by default that user is root inside, so the workspace user could not write to the source it
 * bind-mounts, nor the user to what the workspace wrote. The docker CLI refuses that mode, so Podman's
 * own CLI makes those containers, through the same socket (docs/engines.md).
 */
export async function createContainerOf(
  options: string[],
  image: string,
  command: string[],
  userFiles: boolean,
): Promise<string> {
  const socket = userFiles ? await rootlessPodmanSocket() : undefined;
  if (!socket) return (await docker(['create', ...options, image, ...command])).stdout.trim();
  // By the name the engine stores (else its id): Podman's CLI resolves short names by its own
  // registries.conf, not as its Docker API does.
  const inspected = await inspectImage(image);
  const stored = inspected?.RepoTags?.find((tag) => tag === image || tag.endsWith(`/${image}`));
  // keep-id also makes the mapped user the container's: the image's own user runs it, as elsewhere.
  const user = options.includes('--user') ? [] : ['--user', inspected?.Config?.User || '0'];
  const made = await run('podman', [
    '--remote',
    '--url',
    `unix://${socket}`,
    'create',
    '--userns',
    KEEP_ID,
    ...user,
    ...options,
    stored ?? inspected?.Id ?? image,
    ...command,
  ]);
  if (made.exitCode === 127) throw podmanMissing();
  if (made.exitCode !== 0)
    throw new DevcError(`podman create failed: ${made.stderr.trim().split('\n').pop() ?? ''}`, {
      details: made.stderr.trim(),
    });
  return made.stdout.trim().split('\n').pop() ?? '';
}

function podmanMissing(): DevcError {
  return new DevcError(
    'Rootless Podman workspaces are made with the `podman` command, which is not on PATH.',
    {
      hint: "Put Podman's CLI on PATH (the package that runs the engine has it); docs/engines.md says why.",
    },
  );
}

/**
 * How the Dev Containers CLI makes a workspace's container on this engine: on rootless Podman, through
 * Podman's own CLI (`--docker-path podman`, remote to the same socket), which the Dev Containers CLI
 * knows: a non-root remoteUser gets `--userns=keep-id`, and its uid updated to the user's, so the
 * repository it bind-mounts is the remoteUser's inside (through the docker CLI, it would be root's).
 * Nothing for any other engine.
 */
export async function devcontainerEngine(): Promise<
  { args: string[]; env: Record<string, string> } | undefined
> {
  const socket = await rootlessPodmanSocket();
  if (!socket) return undefined;
  if ((await run('podman', ['--version'])).exitCode === 127) throw podmanMissing();
  return { args: ['--docker-path', 'podman'], env: { CONTAINER_HOST: `unix://${socket}` } };
}

/** The local socket of a rootless Podman engine; undefined for any other engine. */
export async function rootlessPodmanSocket(): Promise<string | undefined> {
  const socket = engineSocket();
  if (!socket) return undefined;
  return (await isRootlessPodman()) ? socket : undefined;
}

/**
 * `docker run --rm` of a short job (OPTIONS IMAGE COMMAND) as `create`, `start`, `wait`, `logs` and
 * `rm`: an attached run reports an engine's refusal to start the container as its attach failing
 * (Podman: "unable to upgrade to tcp, received 409"); `start` gives the engine's own reason, and the
 * container goes in every case. Resolves with the job's exit code and what it printed. `userFiles`:
 * as for createContainerOf.
 */
export async function dockerRunOnce(
  options: string[],
  image: string,
  command: string[],
  userFiles = false,
): Promise<DockerResult> {
  const id = await createContainerOf(options, image, command, userFiles);
  try {
    await docker(['start', id]);
    const waited = await docker(['wait', id]);
    const logs = await docker(['logs', id], { allowFailure: true });
    return { exitCode: Number(waited.stdout.trim()), stdout: logs.stdout, stderr: logs.stderr };
  } finally {
    await docker(['rm', '--force', id], { allowFailure: true });
  }
}
