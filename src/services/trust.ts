import { closeSync, constants, fstatSync, openSync, readFileSync, realpathSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Backend } from '../backends/backend.js';
import type { Context } from '../context.js';
import { hostAccess, hostAccessHash, type HostAccess } from '../devcontainer/host-access.js';
import { CancelledError, UsageError } from '../errors.js';

/** How much of a yes the user has given before devc asks. */
export interface TrustPolicy {
  /** --trust or DEVC_TRUST: yes, without asking. */
  given: boolean;
  /**
   * A local tree at `up`: the user's own files, run as they are without asking, as the Dev Containers
   * CLI does. What it asks for is remembered all the same, so a config changed from inside the
   * workspace (which can write the tree) asks at `rebuild`.
   */
  own: boolean;
}

export interface TrustRequest {
  /** The repository's URL, or a local tree's path: what a yes is remembered for. */
  repository: string;
  sourcePath: string;
  configFile: string;
  configuration: Record<string, unknown>;
  policy: TrustPolicy;
}

/** One remembered yes. */
export interface TrustEntry {
  repository: string;
  hash: string;
  trustedAt: string;
}

const QUESTION = "Trust this repository's devcontainer.json to do this on this machine? [y/N]:";

/** Whether DEVC_TRUST says yes ("1", "true", "yes"). */
export function trustFromEnv(env: NodeJS.ProcessEnv): boolean {
  return /^(1|true|yes)$/i.test(env.DEVC_TRUST ?? '');
}

/**
 * Goes on only if what this config asks of this machine has the user's yes: remembered, given with
 * --trust, or answered at a prompt. Otherwise a usage error that names it (nothing has been made yet).
 */
export async function confirmHostAccess(
  ctx: Context,
  backend: Pick<Backend, 'kind'>,
  request: TrustRequest,
): Promise<void> {
  // A cluster runs none of it: no initializeCommand, and no host mounts or runArgs on its nodes.
  if (backend.kind !== 'docker') return;
  const access = hostAccess(request.configuration, {
    sourcePath: request.sourcePath,
    configFile: request.configFile,
    env: ctx.env,
    realpath: hostRealpath,
    readFile: readSmallFile,
  });
  if (access.length === 0) return;
  const file = trustFile(ctx);
  const hash = hostAccessHash(access);
  const store = await readTrustStore(file);
  if (store.some((e) => e.repository === request.repository && e.hash === hash)) return;
  if (!request.policy.given && !request.policy.own) {
    const changed = store.some((e) => e.repository === request.repository);
    if (!ctx.io.interactive) throw refusal(request.configFile, access, changed);
    ctx.io.err(
      `${request.configFile} of ${request.repository} ${changed ? 'has changed and now asks' : 'asks'} for access to this machine:`,
    );
    for (const line of accessLines(access)) ctx.io.err(`  ${line}`);
    if (!(await ctx.prompter.confirm(QUESTION))) throw new CancelledError('Cancelled: not trusted.');
  }
  await rememberTrust(file, { repository: request.repository, hash, trustedAt: new Date().toISOString() });
}

/** One line per thing asked for. */
export function accessLines(access: HostAccess[]): string[] {
  return access.map((a) => `${a.source}: ${a.what}`);
}

function refusal(configFile: string, access: HostAccess[], changed: boolean): UsageError {
  const sources = [...new Set(access.map((a) => a.source))].join(', ');
  return new UsageError(
    `${configFile} ${changed ? 'has changed since you trusted it and asks' : 'asks'} for access to this machine: ${sources}.`,
    {
      details: accessLines(access).join('\n'),
      hint: 'Run again with --trust (or DEVC_TRUST=1) if you trust it.',
    },
  );
}

/** DEVC_HOME/trust.json (0600): the yeses given, per repository and what it asked for. */
export function trustFile(ctx: Pick<Context, 'paths'>): string {
  return path.join(ctx.paths.home, 'trust.json');
}

/** The remembered yeses; none when the file is missing or unreadable (then devc asks again). */
export async function readTrustStore(file: string): Promise<TrustEntry[]> {
  try {
    const data = JSON.parse(await readFile(file, 'utf8')) as { trusted?: unknown };
    const entries: unknown[] = Array.isArray(data.trusted) ? data.trusted : [];
    return entries.filter((e): e is TrustEntry => {
      const entry = e as Partial<Record<keyof TrustEntry, unknown>> | null;
      return typeof entry?.repository === 'string' && typeof entry.hash === 'string';
    });
  } catch {
    return [];
  }
}

/**
 * Adds a yes; written whole and renamed into place, so a reader never sees half a file. A yes lost to
 * a concurrent writer only means being asked again.
 */
export async function rememberTrust(file: string, entry: TrustEntry): Promise<void> {
  const kept = (await readTrustStore(file)).filter(
    (e) => !(e.repository === entry.repository && e.hash === entry.hash),
  );
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify({ trusted: [...kept, entry] }, null, 2)}\n`, { mode: 0o600 });
  await rename(temporary, file);
}

/** The real path, following symlinks as far as the path exists (docker resolves them the same way). */
function hostRealpath(p: string): string {
  const missing: string[] = [];
  let current = path.resolve(p);
  for (;;) {
    try {
      return path.join(realpathSync(current), ...missing.reverse());
    } catch {
      const parent = path.dirname(current);
      if (parent === current) return path.resolve(p);
      missing.push(path.basename(current));
      current = parent;
    }
  }
}

/** A regular file's text; a FIFO or device planted in the tree must not hang or flood devc. */
function readSmallFile(file: string): string | undefined {
  let fd: number | undefined;
  try {
    // Non-blocking: opening a FIFO for reading waits for a writer otherwise.
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
    const stat = fstatSync(fd);
    return stat.isFile() && stat.size <= 1024 * 1024 ? readFileSync(fd, 'utf8') : undefined;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
