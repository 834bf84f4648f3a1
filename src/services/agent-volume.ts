import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Context } from '../context.js';
import { inspectImage, volumeLabels } from '../backends/docker/api.js';
import { dockerRunOnce } from '../backends/docker/containers.js';
import { docker } from '../backends/docker/engine.js';
import { DevcError } from '../errors.js';
import type { Progress } from '../ui/progress.js';
import { packageRoot } from '../version.js';
import { CONTEXT_LABEL, currentImageId, imagesDigest } from './image-digest.js';
import { withImageLock } from './image-lock.js';
import { ensureImage } from './images.js';
import { agentImageRef } from '../backends/agent-image.js';

const AGENT_VOLUME_LABEL = 'dev.devc.agent-volume';

export { agentImageRef };

/**
 * The volume that holds devc's agent for workspaces running a repository's own image. Keyed by the
 * agent image's id, so a new agent gets a new volume and running workspaces keep theirs.
 */
export async function ensureAgentVolume(ctx: Context, progress: Progress): Promise<string> {
  const id = await ensureAgentImage(ctx, progress);
  const volume = `devc-agent-${ctx.version}-${id.replace(/^sha256:/, '').slice(0, 12)}`;
  const labels = await volumeLabels(volume);
  if (labels?.[AGENT_VOLUME_LABEL] === 'true') return volume;
  // No label: not one devc filled, but the engine's empty stand-in for one removed under a container's
  // mount. Made again (or, while a container holds it, filled where it is).
  if (labels) await docker(['volume', 'rm', volume], { allowFailure: true });
  if (!(await volumeLabels(volume)))
    await docker(['volume', 'create', '--label', `${AGENT_VOLUME_LABEL}=true`, volume]);
  // Docker copies the image's /opt/devc into an empty named volume on its first mount.
  const emptied = (): Promise<unknown> => docker(['volume', 'rm', '--force', volume], { allowFailure: true });
  const filled = await dockerRunOnce(
    ['--entrypoint', 'test', '--volume', `${volume}:/opt/devc`],
    agentImageRef(ctx.version),
    ['-x', '/opt/devc/bin/devc-agent'],
  ).catch(async (error: unknown) => {
    await emptied(); // labelled as filled, it would be taken as such next time
    throw error;
  });
  if (filled.exitCode !== 0) {
    await emptied();
    throw new DevcError(`Can't fill the agent volume ${volume}.`, { details: filled.stderr });
  }
  await removeOldAgentVolumes(volume);
  return volume;
}

/**
 * A new agent replaces the old ones: their volumes go once no container uses them (the engine refuses
 * to remove a volume any container, running or stopped, still mounts, so workspaces keep theirs) and
 * they are old enough. Another devc may have just filled one for a container it is about to make (two
 * builds of the agent image at once give two ids, and each calls the other's volume old): removed in
 * that moment, the engine would make it again, empty, at the container's mount.
 */
async function removeOldAgentVolumes(current: string, now = Date.now()): Promise<void> {
  const all = await docker(['volume', 'ls', '-q', '--filter', `label=${AGENT_VOLUME_LABEL}=true`], {
    allowFailure: true,
  });
  const others = all.stdout.split('\n').filter((v) => v && v !== current);
  if (others.length === 0) return;
  const inspected = await docker(['volume', 'inspect', '--format', '{{.Name}} {{.CreatedAt}}', ...others], {
    allowFailure: true,
  });
  for (const line of inspected.stdout.split('\n')) {
    const [name, createdAt] = line.split(' ');
    if (name && isOldEnough(createdAt, now)) await docker(['volume', 'rm', name], { allowFailure: true });
  }
}

/** An hour: far longer than any devc takes from filling a volume to mounting it. */
const AGENT_VOLUME_GRACE_MS = 60 * 60_000;

/** Whether a volume made at `createdAt` (the engine's time) may go; an unreadable time never does. */
export function isOldEnough(createdAt: string | undefined, now: number): boolean {
  const made = Date.parse(createdAt ?? '');
  return Number.isFinite(made) && now - made > AGENT_VOLUME_GRACE_MS;
}

/**
 * The agent image in the engine, built when missing or out of date; resolves to its id. The
 * Kubernetes backend pushes it to DEVC_REGISTRY, from where pods of any image copy the agent.
 */
export async function ensureAgentImage(ctx: Context, progress: Progress): Promise<string> {
  const ref = agentImageRef(ctx.version);
  const digest = await imagesDigest();
  const id = await currentImageId(ref, digest);
  if (id) return id;
  return withImageLock(ref, progress, async () => {
    const made = await currentImageId(ref, digest);
    if (made) return made;
    // Built FROM dev8-base: that one must be current first.
    await ensureImage(ctx, 'base', progress);
    await buildAgentImage(ctx, ref, digest, progress);
    const built = await imageId(ref);
    if (!built) throw new DevcError(`Image ${ref} is missing right after it was built.`);
    return built;
  });
}

async function imageId(ref: string): Promise<string | undefined> {
  return (await inspectImage(ref))?.Id;
}

async function buildAgentImage(ctx: Context, ref: string, digest: string, progress: Progress): Promise<void> {
  const contextDir = path.join(packageRoot, 'images');
  await mkdir(ctx.paths.logsDir, { recursive: true, mode: 0o700 });
  const logFile = path.join(ctx.paths.logsDir, 'image-devc-agent.log');
  await progress.phase(`Building devc's agent image ${ref}`, `Built ${ref}`, async () => {
    const log = createWriteStream(logFile);
    // Loaded when needed: execa takes ~100 ms to import, which every `up` would pay.
    const { execa } = await import('execa');
    const child = execa(
      'docker',
      [
        'build',
        '--build-arg',
        `DEVC_VERSION=${ctx.version}`,
        '--label',
        `${CONTEXT_LABEL}=${digest}`,
        '-t',
        ref,
        '-f',
        path.join(contextDir, 'devc-agent', 'Dockerfile'),
        contextDir,
      ],
      {
        reject: false,
        all: true,
        cancelSignal: ctx.signal,
      },
    );
    child.all?.pipe(log);
    const result = await child;
    if (result.exitCode !== 0) {
      throw new DevcError(`Building ${ref} failed.`, {
        hint: `The whole log is in ${logFile}.`,
        details: String(result.all).split('\n').slice(-15).join('\n'),
      });
    }
  });
}
