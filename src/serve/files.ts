import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { hasStreamExec } from '../backends/backend.js';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import { isStrictlyInside } from '../services/cp-paths.js';
import { textSink } from '../services/cp.js';
import type { Workspace } from '../workspace/model.js';
import { json, refuse } from './gateway.js';

/**
 * In the workspace, as its user, from its folder: `$1` resolved with every symlink followed, and
 * refused (exit 3) unless it stays inside the folder. The workspace is untrusted: a symlink it planted
 * that leads out is seen here, by the command that then reads or writes, not by the gateway.
 */
const INSIDE = `root=$(pwd -P)
inside() { case $1 in "$root"|"$root"/*) return 0 ;; *) return 1 ;; esac; }`;

/** $2: probe (prints dir|file|missing), read (the file's bytes), list (type size name, NUL-ended). */
const GET = `${INSIDE}
r=$(realpath -e -- "$1" 2>/dev/null) || { [ "$2" = probe ] && echo missing; exit 0; }
inside "$r" || exit 3
case $2 in
probe) if [ -d "$r" ]; then echo dir; elif [ -f "$r" ]; then echo file; else echo other; fi ;;
read) [ -f "$r" ] || exit 3; exec cat -- "$r" ;;
list) [ -d "$r" ] || exit 3; cd "$r" && exec find . -mindepth 1 -maxdepth 1 -printf '%y %s %f\\0' ;;
esac`;

/** Writes stdin to $1 (exactly $2 bytes, else nothing): into a temporary file beside it, then renamed. */
const PUT = `set -e
${INSIDE}
parent=$(realpath -m -- "$(dirname -- "$1")")
base=$(basename -- "$1")
inside "$parent" || exit 3
mkdir -p -- "$parent"
parent=$(realpath -e -- "$parent"); inside "$parent" || exit 3
if [ -d "$parent/$base" ] && [ ! -L "$parent/$base" ]; then exit 5; fi
tmp=$(mktemp "$parent/.devc-put.XXXXXX"); trap 'rm -f "$tmp"' EXIT
cat > "$tmp"
[ "$(wc -c < "$tmp")" -eq "$2" ] || exit 4
chmod 644 "$tmp"; mv -f -- "$tmp" "$parent/$base"; trap - EXIT`;

/**
 * `?path=P` as a path relative to the workspace folder, or undefined when it would leave it
 * (absolute, `..`, NUL). '' and '.' are the folder itself.
 */
export function workspaceFilePath(p: string | null): string | undefined {
  if (p === null || p.includes('\0') || p.startsWith('/')) return undefined;
  if (p.split('/').includes('..')) return undefined;
  const normal = path.posix.normalize(p === '' ? '.' : p).replace(/\/+$/, '') || '.';
  if (normal === '.') return normal;
  return isStrictlyInside(path.posix.join('/w', normal), '/w') ? normal : undefined;
}

/** `1G`, `512M`, `64k`, `1000` → bytes; a usage error otherwise. */
export function parseSize(value: string): number {
  const m = /^(\d+)\s*([kmgt]?)i?b?$/i.exec(value.trim());
  if (!m) throw new UsageError(`${value} is not a size.`, { hint: 'For example 1G, 512M or 100k.' });
  const power = ['', 'k', 'm', 'g', 't'].indexOf(m[2]!.toLowerCase());
  return Number(m[1]) * 1024 ** power;
}

/** A `find -printf '%y %s %f\0'` listing as JSON entries; names with a `/` (none should have one) left out. */
export function parseListing(text: string): { name: string; type: string; size: number }[] {
  const types: Record<string, string> = { f: 'file', d: 'dir', l: 'link' };
  return text
    .split('\0')
    .map((entry) => /^([a-zA-Z]) (\d+) (.+)$/s.exec(entry))
    .filter((m): m is RegExpExecArray => m !== null && !m[3]!.includes('/'))
    .map((m) => ({ name: m[3]!, type: types[m[1]!] ?? 'other', size: Number(m[2]) }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** GET/PUT /api/v1/workspaces/NAME/files?path=P on the caller's own running workspace. */
export async function handleFiles(
  ctx: Context,
  workspace: Workspace,
  maxUploadBytes: number,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const raw = new URL(req.url ?? '/', 'http://x').searchParams.get('path');
  const rel = workspaceFilePath(raw ?? '');
  if (rel === undefined)
    return refuse(res, true, 400, `path=${raw} leads out of the workspace folder.`, 'Give a path inside it.');
  if (workspace.state !== 'running')
    return refuse(res, true, 409, `Workspace ${workspace.name} is ${workspace.state}.`, 'Start it first.');
  const backend = await ctx.backend(workspace.backend);
  if (!hasStreamExec(backend))
    return refuse(res, true, 501, `The ${backend.kind} backend can't move files yet.`);
  const exec = { workdir: workspace.folder, user: workspace.user };
  const run = (
    script: string,
    args: string[],
    io: { input?: NodeJS.ReadableStream; output?: NodeJS.WritableStream },
  ) => backend.execStream(workspace.name, ['sh', '-c', script, 'devc-files', ...args], { ...exec, ...io });
  const escaped = (): void => refuse(res, true, 400, `${rel} leads out of the workspace folder.`);
  if (req.method === 'PUT') {
    const length = Number(req.headers['content-length']);
    if (!Number.isSafeInteger(length) || length < 0)
      return refuse(res, true, 411, 'Send the file with a Content-Length.');
    if (length > maxUploadBytes)
      return refuse(
        res,
        true,
        413,
        `The file is over the gateway's limit of ${maxUploadBytes} bytes (--max-upload).`,
      );
    if (rel === '.') return refuse(res, true, 409, 'path names the workspace folder; name a file in it.');
    const wrote = await run(PUT, [rel, String(length)], { input: req });
    if (wrote.exitCode === 3) return escaped();
    if (wrote.exitCode === 5) return refuse(res, true, 409, `${rel} is a folder.`);
    if (wrote.exitCode === 4) return refuse(res, true, 400, 'The upload ended early; nothing was written.');
    if (wrote.exitCode !== 0) return refuse(res, true, 500, `Can't write ${rel}: ${wrote.stderr.trim()}`);
    return json(res, 200, { outcome: 'success', name: workspace.name, path: rel, size: length });
  }
  if (req.method !== 'GET') return refuse(res, true, 405, `${req.method} is not allowed here.`);
  const probe = textSink();
  const probed = await run(GET, [rel, 'probe'], { output: probe.stream });
  const kind = probe.text().trim();
  if (probed.exitCode === 3) return escaped();
  if (probed.exitCode !== 0) return refuse(res, true, 500, `Can't read ${rel}: ${probed.stderr.trim()}`);
  if (kind === 'missing') return refuse(res, true, 404, `${rel} does not exist in ${workspace.name}.`);
  if (kind === 'dir') {
    const listing = textSink();
    const listed = await run(GET, [rel, 'list'], { output: listing.stream });
    if (listed.exitCode === 3) return escaped();
    if (listed.exitCode !== 0) return refuse(res, true, 500, `Can't list ${rel}: ${listed.stderr.trim()}`);
    return json(res, 200, { name: workspace.name, path: rel, entries: parseListing(listing.text()) });
  }
  if (kind !== 'file') return refuse(res, true, 400, `${rel} is neither a file nor a folder.`);
  res.writeHead(200, {
    'Content-Type': 'application/octet-stream',
    'Content-Disposition': `attachment; filename="${path.posix.basename(rel).replace(/[^\w.-]/g, '_')}"`,
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': 'no-store',
  });
  const read = await run(GET, [rel, 'read'], { output: res });
  if (read.exitCode !== 0) res.destroy();
  else res.end();
}
