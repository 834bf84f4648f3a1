import { spawn, type ChildProcess } from 'node:child_process';
import { chown, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { bin, type Run } from './devc.js';
import { writeFiles } from './git-server.js';

/** The account rootless Podman runs as (scripts/podman-user.sh makes it). */
export const ROOTLESS_USER = 'devc-podman';
export const DEV8_BASE = 'devc/dev8-base:0.1.0';
export const DEBIAN = 'debian:bookworm-slim';

/** A `podman system service` the test started, and how to run devc, docker and podman against it. */
export interface Podman {
  rootless: boolean;
  socket: string;
  /** Runs a command as the engine's user with DOCKER_HOST set to its socket. */
  run(
    command: string,
    args: string[],
    options?: { env?: Record<string, string>; timeoutMs?: number },
  ): Promise<Run>;
  devc(args: string[], env: Record<string, string>, options?: { timeoutMs?: number }): Promise<Run>;
  /** A folder the engine's user owns. */
  tempDir(tag: string): Promise<string>;
  stop(): Promise<void>;
}

/**
 * Starts Podman's Docker-compatible API on a socket of its own: rootful as root, or rootless as
 * ROOTLESS_USER with its runtime folder outside /run (Podman 4.3's rootless network namespace
 * can't bind-mount an XDG_RUNTIME_DIR under /run unless it is a mount of its own, as logind makes it).
 * The dev8 base image and Debian come from the Docker engine (`docker save | podman load`), once.
 */
export async function startPodman(rootless: boolean): Promise<Podman> {
  const uid = rootless ? Number((await execa('id', ['-u', ROOTLESS_USER])).stdout) : 0;
  const runtime = rootless
    ? `/tmp/devc-podman-run-${uid}`
    : await mkdtemp(path.join(os.tmpdir(), 'devc-podman-'));
  await mkdir(runtime, { recursive: true, mode: 0o700 });
  if (rootless) await chown(runtime, uid, uid);
  const socket = path.join(runtime, `podman-${process.pid}.sock`);
  const home = rootless ? `/home/${ROOTLESS_USER}` : (process.env.HOME ?? '/root');
  const base: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    XDG_RUNTIME_DIR: runtime,
    ...(rootless ? {} : { CONTAINERS_CONF: await limitsConf(runtime) }),
  };
  const as = (argv: string[]): string[] =>
    rootless ? ['runuser', '-u', ROOTLESS_USER, '--', ...argv] : argv;
  const [serve, ...serveArgs] = as(['podman', 'system', 'service', '--time', '0', `unix://${socket}`]);
  const service: ChildProcess = spawn(serve!, serveArgs, { env: base, stdio: 'ignore', cwd: '/tmp' });
  const run: Podman['run'] = async (command, args, options = {}) => {
    const argv = as([
      'env',
      ...Object.entries({ ...base, DOCKER_HOST: `unix://${socket}`, ...options.env }).map(
        ([k, v]) => `${k}=${v}`,
      ),
      command,
      ...args,
    ]);
    const result = await execa(argv[0]!, argv.slice(1), {
      env: { PATH: base.PATH },
      extendEnv: false,
      reject: false,
      stripFinalNewline: false,
      stdin: 'ignore',
      cwd: '/tmp',
      timeout: options.timeoutMs ?? 600_000,
    });
    return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
  };
  const stop = async (): Promise<void> => {
    service.kill('SIGTERM'); // runuser passes it on to podman
    await Promise.race([
      new Promise((r) => service.once('exit', r)),
      new Promise((r) => setTimeout(r, 10_000)),
    ]);
    if (service.exitCode === null) service.kill('SIGKILL');
  };
  try {
    await ready(run, socket, rootless ? { runtime, home } : { conf: base.CONTAINERS_CONF! });
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    rootless,
    socket,
    run,
    devc: (args, env, options = {}) => run(bin, args, { env: { CI: '1', ...env }, ...options }),
    async tempDir(tag) {
      const dir = await mkdtemp(path.join(os.tmpdir(), `devc-${tag}-`));
      if (rootless) await chown(dir, uid, uid);
      return dir;
    },
    stop,
  };
}

/** Waits (bounded) for the service to answer, then loads the images it lacks (or holds another build of) from the Docker engine. */
async function ready(
  run: Podman['run'],
  socket: string,
  where: { runtime: string; home: string } | { conf: string },
): Promise<void> {
  const deadline = Date.now() + 30_000;
  while ((await run('docker', ['version', '--format', '{{.Server.Version}}'])).exitCode !== 0) {
    if (Date.now() > deadline)
      throw new Error(
        `podman system service did not answer on ${socket}: ${JSON.stringify(await run('docker', ['version']))}`,
      );
    await new Promise((r) => setTimeout(r, 300));
  }
  const load =
    'runtime' in where
      ? `runuser -u ${ROOTLESS_USER} -- env XDG_RUNTIME_DIR=${where.runtime} HOME=${where.home} podman load`
      : `CONTAINERS_CONF=${where.conf} podman load`;
  for (const image of [DEV8_BASE, DEBIAN]) {
    // Loaded before from another build of the image (an earlier agent): devc would rebuild it inside
    // Podman, code-server and all. The same image has the same id in both engines.
    const id = (await execa('docker', ['image', 'inspect', '-f', '{{.Id}}', image])).stdout.trim();
    const there = await run('podman', ['image', 'inspect', '-f', '{{.Id}}', image]);
    if (there.exitCode === 0 && id.endsWith(there.stdout.trim())) continue;
    const loaded = await execa('sh', ['-c', `docker save "$0" | ${load}`, image], {
      reject: false,
      cwd: '/tmp',
    });
    if (loaded.exitCode !== 0) throw new Error(`podman load ${image}: ${loaded.stderr}`);
  }
  // What an image loaded or built here before this one left (no tag): on vfs storage each is whole
  // copies of its layers, gigabytes that a machine running the suite again and again would fill up with.
  await run('podman', ['image', 'prune', '-f']);
}

/**
 * Rootful Podman sets its containers' open-files and process limits to 1048576, which runc can't do
 * where the engine lacks CAP_SYS_RESOURCE (this machine); the service gets this machine's own limits
 * through a containers.conf of its own (docs/engines.md).
 */
async function limitsConf(dir: string): Promise<string> {
  const limits = (await execa('sh', ['-c', 'echo $(ulimit -Hn)'])).stdout.trim();
  const file = path.join(dir, 'containers.conf');
  await writeFile(
    file,
    `[containers]\ndefault_ulimits = ["nofile=${limits}:${limits}", "nproc=16384:16384"]\n`,
  );
  return file;
}

/** A git repository at `dir` with these files, owned by the engine's user. */
export async function makeRepo(
  podman: Podman,
  dir: string,
  files: Record<string, string | { content: string; mode: number }>,
): Promise<void> {
  await writeFiles(dir, files);
  const git = ['-c', 'user.email=t@example.com', '-c', 'user.name=t'];
  await execa('git', ['init', '-q', dir]);
  await execa('git', ['-C', dir, 'add', '.']);
  await execa('git', ['-C', dir, ...git, 'commit', '-qm', 'init']);
  if (podman.rootless) await execa('chown', ['-R', `${ROOTLESS_USER}:`, dir]);
}
