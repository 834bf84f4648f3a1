import { createWriteStream } from 'node:fs';
import { link, mkdir, symlink } from 'node:fs/promises';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import * as tar from 'tar-stream';

/** Why an upload was refused, as the HTTP status and message the gateway answers with. */
export class UploadRefused extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface UnpackLimits {
  /** The most bytes the unpacked files may hold together (--max-upload). */
  maxBytes: number;
  /** The most entries (files, folders, links) the archive may hold (--max-upload-files). */
  maxEntries: number;
}

/**
 * A tar entry's name as a path inside the tree, or a refusal: absolute names, `..` segments and NUL
 * would write outside it. `./` and trailing slashes are dropped; '' is the tree itself.
 */
export function entryPath(name: string): string {
  if (name.includes('\0')) throw new UploadRefused(400, 'An entry of the archive has a NUL in its name.');
  if (name.startsWith('/')) throw new UploadRefused(400, `The archive's entry ${name} is an absolute path.`);
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..'))
    throw new UploadRefused(400, `The archive's entry ${name} leads out of the folder (..).`);
  return parts.join('/');
}

/** A symlink's target, resolved from the link's folder, when it stays inside the tree; a refusal otherwise. */
export function linkTarget(entry: string, target: string): string {
  if (target.startsWith('/'))
    throw new UploadRefused(400, `The archive's link ${entry} points at the absolute path ${target}.`);
  const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(entry), target));
  if (resolved === '..' || resolved.startsWith('../'))
    throw new UploadRefused(400, `The archive's link ${entry} points out of the folder (${target}).`);
  return resolved;
}

/**
 * Unpacks a .tar.gz into `dest` (a new, empty folder of devc's), refusing on the first entry that would
 * leave it: absolute names, `..`, symlinks or hard links leading out, anything written through a link,
 * devices and FIFOs, a name given twice. Only the permission bits 0755 of a file are kept (no setuid).
 * The unpacked bytes and the entries are counted as they come, so a gzip bomb stops at the limit (413).
 * The caller removes `dest` when this throws.
 */
export async function unpackTarGz(input: Readable, dest: string, limits: UnpackLimits): Promise<void> {
  const links = new Map<string, string>();
  const files = new Set<string>();
  let bytes = 0;
  let entries = 0;
  const tooLarge = (): UploadRefused =>
    new UploadRefused(
      413,
      `The folder is over the gateway's limit of ${limits.maxBytes} bytes (--max-upload).`,
    );
  // The archive's own headers and padding count too, with room for them: a bomb of headers stops as well.
  let inflated = 0;
  const inflatedLimit = limits.maxBytes + 1024 * limits.maxEntries + 1024 * 1024;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      inflated += chunk.length;
      done(inflated > inflatedLimit ? tooLarge() : null, chunk);
    },
  });
  const extract = tar.extract();
  const unpacked = (async () => {
    for await (const entry of extract) {
      const header = entry.header;
      const rel = entryPath(header.name);
      if (++entries > limits.maxEntries)
        throw new UploadRefused(
          413,
          `The folder has over ${limits.maxEntries} entries (--max-upload-files).`,
        );
      const throughLink = [...links.keys()].find((l) => rel === l || rel.startsWith(`${l}/`));
      if (throughLink !== undefined)
        throw new UploadRefused(400, `The archive writes ${rel} through its own link ${throughLink}.`);
      const target = path.join(dest, rel);
      if (header.type === 'directory') {
        if (rel !== '') await mkdir(target, { recursive: true, mode: 0o755 });
        entry.resume();
        continue;
      }
      if (rel === '') throw new UploadRefused(400, 'An entry of the archive has no name.');
      if (files.has(rel)) throw new UploadRefused(400, `The archive holds ${rel} twice.`);
      await mkdir(path.dirname(target), { recursive: true, mode: 0o755 });
      if (header.type === 'file' || header.type === 'contiguous-file') {
        bytes += header.size;
        if (bytes > limits.maxBytes) throw tooLarge();
        // `wx`: never through something already there.
        await pipeline(
          entry,
          createWriteStream(target, { flags: 'wx', mode: (header.mode ?? 0o644) & 0o755 }),
        );
        files.add(rel);
        continue;
      }
      entry.resume();
      if (header.type === 'symlink') {
        linkTarget(rel, header.linkname);
        await symlink(header.linkname, target);
        links.set(rel, header.linkname);
        files.add(rel);
      } else if (header.type === 'link') {
        const source = entryPath(header.linkname ?? '');
        if (!files.has(source) || links.has(source))
          throw new UploadRefused(400, `The archive's hard link ${rel} is not to a file unpacked before it.`);
        await link(path.join(dest, source), target);
        files.add(rel);
      } else {
        throw new UploadRefused(
          400,
          `The archive's entry ${rel} is a ${header.type}: only files, folders and links.`,
        );
      }
    }
  })();
  const piped = pipeline(input, createGunzip(), counter, extract);
  const results = await Promise.allSettled([unpacked, piped]);
  if (results.every((r) => r.status === 'fulfilled')) checkLinkChains(links);
  const reasons = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
  if (reasons.length === 0) return;
  input.destroy();
  throw reasons.find((r) => r instanceof UploadRefused) ?? refusal(reasons[0]);
}

/**
 * Each link's target read through the others: `e -> d/..` is inside the folder on paper, but with
 * `d -> .` it is the folder's parent. A target that passes through another of the archive's links
 * (anywhere but its last part) is refused, whatever order they came in.
 */
export function checkLinkChains(links: Map<string, string>): void {
  for (const [entry, target] of links) {
    const parts = path.posix
      .dirname(entry)
      .split('/')
      .filter((p) => p !== '.');
    const steps = target.split('/').filter((p) => p !== '' && p !== '.');
    for (const [i, step] of steps.entries()) {
      if (step === '..') parts.pop();
      else parts.push(step);
      if (i < steps.length - 1 && links.has(parts.join('/')))
        throw new UploadRefused(
          400,
          `The archive's link ${entry} points through its link ${parts.join('/')}.`,
        );
    }
  }
}

/** An unpack error that is the archive's fault (a truncated or malformed one) as a 400. */
function refusal(reason: unknown): unknown {
  if (!(reason instanceof Error)) return reason;
  const error = reason;
  const code = (error as NodeJS.ErrnoException).code ?? '';
  if (code === 'EEXIST') return new UploadRefused(400, 'The archive holds an entry twice.');
  if (code.startsWith('Z_') || /unexpected end|invalid tar|incorrect header|premature/i.test(error.message))
    return new UploadRefused(400, 'The folder is not a complete .tar.gz archive.');
  return error;
}
