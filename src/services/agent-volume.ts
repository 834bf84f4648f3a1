import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Context } from '../context.js';
import { inspectImage, volumeExists } from '../backends/docker/api.js';
import { docker } from '../backends/docker/engine.js';
import { DevcError } from '../errors.js';
import type { Progress } from '../ui/progress.js';
import { packageRoot } from '../version.js';
import { CONTEXT_LABEL, currentImageId, imagesDigest } from './image-digest.js';
import { ensureImage } from './images.js';

/** The agent image: /opt/devc with sshd, code-server and the agent, runnable in other images. */
export const agentImageRef = (version: string): string => `devc/devc-agent:${version}`;

/**
 * The volume that holds devc's agent for workspaces running a repository's own image. Keyed by the
 * agent image's id, so a new agent gets a new volume and running workspaces keep theirs.
 */
export async function ensureAgentVolume(ctx: Context, progress: Progress): Promise<string> {
  const ref = agentImageRef(ctx.version);
  const digest = await imagesDigest();
  let id = await currentImageId(ref, digest);
  if (!id) {
    // Built FROM dev8-base: that one must be current first.
    await ensureImage(ctx, 'base', progress);
    await buildAgentImage(ctx, ref, digest, progress);
    id = await imageId(ref);
    if (!id) throw new DevcError(`Image ${ref} is missing right after it was built.`);
  }
  const volume = `devc-agent-${ctx.version}-${id.replace(/^sha256:/, '').slice(0, 12)}`;
  if (await volumeExists(volume)) return volume;
  await docker(['volume', 'create', '--label', 'dev.devc.agent-volume=true', volume]);
  // Docker copies the image's /opt/devc into an empty named volume on its first mount.
  const filled = await docker(
    [
      'run',
      '--rm',
      '--entrypoint',
      'test',
      '--volume',
      `${volume}:/opt/devc`,
      ref,
      '-x',
      '/opt/devc/bin/devc-agent',
    ],
    {
      allowFailure: true,
    },
  );
  if (filled.exitCode !== 0) {
    await docker(['volume', 'rm', '--force', volume], { allowFailure: true });
    throw new DevcError(`Can't fill the agent volume ${volume}.`, { details: filled.stderr });
  }
  await removeOldAgentVolumes(volume);
  return volume;
}

/**
 * A new agent replaces the old ones: their volumes go once no container uses them (the engine refuses
 * to remove a volume any container, running or stopped, still mounts, so workspaces keep theirs).
 */
async function removeOldAgentVolumes(current: string): Promise<void> {
  const all = await docker(['volume', 'ls', '-q', '--filter', 'label=dev.devc.agent-volume=true'], {
    allowFailure: true,
  });
  for (const old of all.stdout.split('\n').filter((v) => v && v !== current))
    await docker(['volume', 'rm', old], { allowFailure: true });
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
