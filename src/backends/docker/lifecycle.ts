import { spawn } from 'node:child_process';
import { access } from 'node:fs/promises';
import { Writable } from 'node:stream';
import type { LogOptions, WorkspaceDetails } from '../backend.js';
import { dockerRunOnce } from './containers.js';
import { docker, engineHint } from './engine.js';
import { DevcError } from '../../errors.js';
import { DETAILS_PROBE, kbToBytes, numberOrUndefined, parseProbe, parseTime } from '../details-probe.js';

/** DEVC_IDLE_TIMEOUT from a container's environment; the agent treats a missing one as 0 (never). */
export function idleTimeoutOf(env: string[] | null | undefined): number {
  const entry = (env ?? []).find((e) => e.startsWith('DEVC_IDLE_TIMEOUT='));
  const seconds = Number(entry?.slice('DEVC_IDLE_TIMEOUT='.length) ?? '0');
  return Number.isInteger(seconds) && seconds >= 0 ? seconds : 0;
}

/** An engine timestamp, or undefined for Docker's "never" (0001-01-01…). */
export function engineTime(value: string | undefined): string | undefined {
  if (!value || value.startsWith('0001-')) return undefined;
  return value;
}

/** `docker start`, its failure said as what happened (another devc deleting it, the engine's refusal). */
export async function startContainer(container: string, name: string): Promise<void> {
  const started = await docker(['start', container], { allowFailure: true });
  if (started.exitCode === 0) return;
  // A `devc delete` running at the same moment: the container is going, which is no engine fault.
  if (
    /marked for removal|No such container|removal of container .* is already in progress/i.test(
      started.stderr,
    )
  )
    throw new DevcError(`Workspace ${name} disappeared while starting.`, {
      hint: 'Another devc deleted it; run `devc up` again to make it anew.',
    });
  throw new DevcError(`docker start failed: ${started.stderr.trim().split('\n').at(-1) ?? ''}`, {
    details: started.stderr.trim(),
    ...engineHint(started.stderr),
  });
}

/** `docker logs` into the given streams; a followed log ends when the signal aborts. */
export async function dockerLogs(
  container: string,
  options: LogOptions,
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
): Promise<void> {
  const args = [
    'logs',
    ...(options.follow ? ['--follow'] : []),
    ...(options.tail !== undefined ? ['--tail', String(options.tail)] : []),
    container,
  ];
  const result = await run(args, {
    output: out,
    errors: err,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  if (result.exitCode !== 0 && !options.signal?.aborted) {
    await docker(args); // throws the engine's own message, classified (unreachable, no such container)
  }
}

/** `docker exec` with byte streams on stdin and stdout; stderr is captured. */
export async function dockerExecStream(
  container: string,
  flags: string[],
  command: string[],
  options: { input?: NodeJS.ReadableStream; output?: NodeJS.WritableStream },
): Promise<{ exitCode: number; stderr: string }> {
  const interactive = options.input && !flags.includes('--interactive') ? ['--interactive'] : [];
  return run(['exec', ...interactive, ...flags, container, ...command], options);
}

function run(
  args: string[],
  options: {
    input?: NodeJS.ReadableStream;
    output?: NodeJS.WritableStream;
    errors?: NodeJS.WritableStream;
    signal?: AbortSignal;
  },
): Promise<{ exitCode: number; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('docker', args, {
      stdio: [options.input ? 'pipe' : 'ignore', options.output ? 'pipe' : 'ignore', 'pipe'],
      ...(options.signal ? { signal: options.signal } : {}),
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      if (options.errors) options.errors.write(chunk);
      else if (stderr.length < 64_000) stderr += chunk.toString();
    });
    if (options.input && child.stdin) options.input.pipe(child.stdin);
    // The destination outlives this command (e.g. the terminal): don't end it.
    if (options.output && child.stdout) child.stdout.pipe(options.output, { end: false });
    child.on('error', (error: NodeJS.ErrnoException) => {
      if (error.name === 'AbortError') return; // 'close' follows
      reject(error);
    });
    child.on('close', (code) => resolve({ exitCode: code ?? 1, stderr }));
  });
}

/** The agent's files and the disk a workspace's home uses; what can't be read stays undefined. */
export async function dockerDetails(container: string, volume: string): Promise<WorkspaceDetails> {
  // Where the home volume is mounted: /home/dev in dev8 images, the config user's home otherwise.
  const format = `{{.State.Running}}|{{range .Mounts}}{{if eq .Name "${volume}"}}{{.Destination}}{{end}}{{end}}`;
  const state = await docker(['container', 'inspect', '--format', format, container]);
  const [running, home = ''] = state.stdout.trim().split('|');
  if (running === 'true') return runningDetails(container, home || '/home/dev');
  return {
    agentStopReason: await readStoppedFile(container, '/run/devc/stop-reason'),
    lastActiveAt: parseTime(await readStoppedFile(container, '/run/devc/last-active')),
    activeConnections: undefined,
    homeBytes: await volumeBytes(volume),
  };
}

async function runningDetails(container: string, home: string): Promise<WorkspaceDetails> {
  const probe = await docker(
    ['exec', '--user', 'root', container, 'sh', '-c', DETAILS_PROBE, 'devc-view', home],
    {
      allowFailure: true,
    },
  );
  return parseProbe(probe.exitCode, probe.stdout);
}

/** A small file from a container's filesystem; works on stopped containers (docker cp streams a tar). */
async function readStoppedFile(container: string, file: string): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  const output = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk);
      done();
    },
  });
  const result = await run(['cp', `${container}:${file}`, '-'], { output });
  if (result.exitCode !== 0) return undefined;
  return fileFromTar(Buffer.concat(chunks))?.trim() || undefined;
}

/** The first regular file's content in a tar archive (enough for one small file). */
export function fileFromTar(tar: Buffer): string | undefined {
  if (tar.length < 512) return undefined;
  const size = parseInt(tar.subarray(124, 136).toString('ascii').replace(/\0.*$/s, '').trim() || '0', 8);
  if (!Number.isFinite(size) || tar.length < 512 + size) return undefined;
  return tar.subarray(512, 512 + size).toString('utf8');
}

async function volumeBytes(volume: string): Promise<number | undefined> {
  const inspected = await docker(['volume', 'inspect', '--format', '{{.Mountpoint}}', volume], {
    allowFailure: true,
  });
  const mountpoint = inspected.stdout.trim();
  // The Mountpoint is only on this machine's filesystem when the engine runs here (not Docker Desktop).
  if (inspected.exitCode !== 0 || !mountpoint || !(await readable(mountpoint))) return undefined;
  // execa is loaded only here: `devc start` never needs it, and it costs a noticeable import.
  const { execa } = await import('execa');
  const du = await execa('du', ['-sk', mountpoint], { reject: false });
  return kbToBytes(numberOrUndefined(String(du.stdout).split('\t')[0]));
}

async function readable(dir: string): Promise<boolean> {
  return access(dir).then(
    () => true,
    () => false,
  );
}

/**
 * A new volume's root belongs to root, so the workspace user could not write to /shared. Once, when
 * devc makes the volume: hand its root to uid 1000 (the workspace user of dev8 images and the agent).
 */
export async function giveVolumeToUser(volume: string, image: string): Promise<void> {
  // Mapped as the workspaces that mount it are (rootless Podman: containers.ts).
  const chowned = await dockerRunOnce(
    [
      '--user',
      '0',
      '--network',
      'none',
      '--entrypoint',
      'chown',
      '--mount',
      `type=volume,source=${volume},target=/v`,
    ],
    image,
    ['1000:1000', '/v'],
    true,
  );
  if (chowned.exitCode !== 0)
    throw new DevcError(`Can't give the volume ${volume} to the workspace user.`, {
      details: chowned.stderr,
    });
}
