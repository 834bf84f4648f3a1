import { spawn, type ChildProcess } from 'node:child_process';
import { lstat, mkdir, mkdtemp, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import { hasStreamExec, type Backend, type StreamExec } from '../backends/backend.js';
import type { Context } from '../context.js';
import { DevcError, UsageError } from '../errors.js';
import { downloadName, isStrictlyInside, parseCopy, parseProbe, printable } from './cp-paths.js';
import { ensureRunning, selectWorkspace } from './select.js';

export interface CopyOptions {
  source: string;
  destination: string;
  workspace: string | undefined;
  recursive: boolean;
}

export interface CopyResult {
  workspace: string;
  direction: 'upload' | 'download';
  /** The absolute path that was written (in the workspace or here). */
  written: string;
}

// In the workspace, as its user: `~` is that user's home, relative paths start at the workspace folder.
const RESOLVE = `p=$1
case $p in "~") p=$HOME ;; "~/"*) p=$HOME/\${p#"~/"} ;; esac`;

/** Prints "dir|file|missing" and the absolute path (symlinks in the name kept) of $1. */
const PROBE = `${RESOLVE}
if [ -d "$p" ]; then echo "dir|$(cd "$p" && pwd)"
elif [ -e "$p" ]; then echo "file|$(cd "$(dirname "$p")" && pwd)/$(basename "$p")"
else echo "missing|$p"; fi`;

/** Extracts a tar of one entry ($2) from stdin to $1: into it when it is a folder, else as it. */
const UNPACK = `set -e
${RESOLVE}
case $p in */) mkdir -p "$p" ;; esac
if [ -d "$p" ]; then tar -x -p -f - -C "$p"; echo "$(cd "$p" && pwd)/$2"; exit 0; fi
parent=$(dirname "$p"); mkdir -p "$parent"
tmp=$(mktemp -d "$parent/.devc-cp.XXXXXX"); trap 'rm -rf "$tmp"' EXIT
tar -x -p -f - -C "$tmp"
rm -rf "$p"; mv "$tmp/$2" "$p"
echo "$(cd "$parent" && pwd)/$(basename "$p")"`;

/** Copies a file or folder between this machine and a workspace, keeping modes; the workspace's user owns what lands there. */
export async function copy(ctx: Context, options: CopyOptions): Promise<CopyResult> {
  const plan = parseCopy(options.source, options.destination, options.workspace);
  const selected = await selectWorkspace(ctx, plan.workspace);
  const { backend } = selected;
  if (!hasStreamExec(backend))
    throw new DevcError(`The ${backend.kind} backend can't copy files yet.`, {
      hint: 'Use `devc ssh` and scp.',
    });
  const workspace = await ensureRunning(ctx, selected);
  const exec = { workdir: workspace.folder, user: workspace.user };
  const io = { backend, name: workspace.name, exec };
  const written =
    plan.direction === 'upload'
      ? await upload(io, path.resolve(ctx.cwd, plan.local), plan.remote, options.recursive)
      : await download(io, plan.remote, path.resolve(ctx.cwd, plan.local), options.recursive);
  return { workspace: workspace.name, direction: plan.direction, written };
}

const UNTRUSTED_HINT =
  "Something in the workspace answers devc's copy oddly (is its sh replaced?); nothing here was changed.";

interface Remote {
  backend: Backend & StreamExec;
  name: string;
  exec: { workdir: string; user: string };
}

async function upload(remote: Remote, local: string, target: string, recursive: boolean): Promise<string> {
  const info = await stat(local).catch(() => undefined);
  if (!info) throw new UsageError(`${local} does not exist.`);
  if (info.isDirectory() && !recursive)
    throw new UsageError(`${local} is a folder.`, { hint: 'Add -r to copy folders.' });
  const base = path.basename(local);
  const tar = spawn('tar', ['-c', '-f', '-', '-C', path.dirname(local), base], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const packed = finished(tar);
  const printed = textSink();
  const unpacked = await remote.backend.execStream(
    remote.name,
    ['sh', '-c', UNPACK, 'devc-cp', target, base],
    { ...remote.exec, input: tar.stdout, output: printed.stream },
  );
  const pack = await packed;
  if (pack.exitCode !== 0) throw new DevcError(`Can't read ${local}.`, { details: pack.stderr });
  if (unpacked.exitCode !== 0)
    throw new DevcError(`Can't write ${target} in workspace ${remote.name}.`, { details: unpacked.stderr });
  // Only shown: what the workspace printed is never used as a path here.
  return printable(printed.text()) || target;
}

async function download(remote: Remote, source: string, local: string, recursive: boolean): Promise<string> {
  const printed = textSink();
  const probe = await remote.backend.execStream(remote.name, ['sh', '-c', PROBE, 'devc-cp', source], {
    ...remote.exec,
    output: printed.stream,
  });
  const answer = parseProbe(printed.text());
  if (probe.exitCode !== 0 || answer?.kind === 'missing')
    throw new UsageError(`${source} does not exist in workspace ${remote.name}.`, {
      ...(probe.stderr ? { details: probe.stderr } : {}),
    });
  // The answer comes from the workspace: its kind and name are checked before anything here uses them.
  if (!answer)
    throw new DevcError(
      `Workspace ${remote.name} gave an answer devc won't use: "${printable(printed.text())}".`,
      { hint: UNTRUSTED_HINT },
    );
  if (answer.kind === 'dir' && !recursive)
    throw new UsageError(`${source} is a folder.`, { hint: 'Add -r to copy folders.' });
  if (/^\/+$/.test(answer.absolute))
    throw new UsageError(`Can't copy ${answer.absolute} as a whole; name a folder in it.`);
  const base = downloadName(answer.absolute);
  if (!base)
    throw new DevcError(
      `Workspace ${remote.name} gave a path devc won't use: "${printable(answer.absolute)}".`,
      { hint: UNTRUSTED_HINT },
    );
  const absolute = answer.absolute;
  const into = await stat(local).then(
    (s) => s.isDirectory(),
    () => false,
  );
  const parent = into ? local : path.dirname(local);
  await mkdir(parent, { recursive: true });
  // Unpack beside the destination, then rename: a failed copy leaves nothing half-written.
  const staging = await mkdtemp(path.join(parent, '.devc-cp-'));
  try {
    // What the workspace sends is unpacked by tar's own defaults: GNU tar keeps every member inside
    // `staging` (drops a leading '/', skips names with '..', makes a symlink that points out only after
    // the last member, so nothing is written through it); bsdtar refuses the same. No owner, no set-id
    // bits, and the user's umask: modes as an ordinary user's tar keeps them.
    const tar = spawn('tar', ['-x', '--no-same-owner', '--no-same-permissions', '-f', '-', '-C', staging], {
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    const unpacked = finished(tar);
    const packed = await remote.backend.execStream(
      remote.name,
      ['sh', '-c', 'cd "$(dirname "$1")" && exec tar -c -f - "$(basename "$1")"', 'devc-cp', absolute],
      { ...remote.exec, output: tar.stdin },
    );
    tar.stdin.end();
    const unpack = await unpacked;
    if (packed.exitCode !== 0)
      throw new DevcError(`Can't read ${source} in workspace ${remote.name}.`, { details: packed.stderr });
    if (unpack.exitCode !== 0) throw new DevcError(`Can't write ${local}.`, { details: unpack.stderr });
    const unpackedEntry = path.join(staging, base);
    if (!(await lstat(unpackedEntry).catch(() => undefined)))
      throw new DevcError(`Workspace ${remote.name} sent no ${base}; nothing was copied.`, {
        hint: UNTRUSTED_HINT,
      });
    const written = into ? path.join(local, base) : local;
    // The one thing removed here: the entry the copy replaces, beside the staging folder.
    if (!isStrictlyInside(written, parent) || path.dirname(written) !== parent)
      throw new DevcError(`devc won't replace ${written}: it is not inside ${parent}.`);
    await rm(written, { recursive: true, force: true });
    await rename(unpackedEntry, written);
    return written;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

export function finished(child: ChildProcess): Promise<{ exitCode: number; stderr: string }> {
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => {
    child.on('error', (error) => resolve({ exitCode: 127, stderr: `${stderr}${error.message}` }));
    child.on('close', (code) => resolve({ exitCode: code ?? 1, stderr }));
  });
}

/** A writable that keeps what is written to it (small outputs: a path, a probe result). */
export function textSink(): { stream: NodeJS.WritableStream; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      text += chunk.toString();
      callback();
    },
  });
  return { stream, text: () => text };
}
