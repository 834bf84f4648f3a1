import { mkdir, readdir, rename, rm, writeFile, lstat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import type { Readable } from 'node:stream';
import busboy from 'busboy';
import { parse, type ParseError } from 'jsonc-parser';
import { ensureHome } from '../home.js';
import { sanitizeName } from '../workspace/reference.js';
import { parseVariant, type Variant } from '../workspace/variants.js';
import type { Gateway } from './gateway.js';
import { json, refuse, startJob } from './gateway.js';
import type { Identity } from './identity.js';
import { unpackTarGz, UploadRefused } from './unpack.js';
import { namesFor } from './workspaces.js';

const MAX_CONFIG_BYTES = 64 * 1024;
/** Room for the form's own parts (boundaries, headers, the small fields) beside the file. */
const FORM_OVERHEAD = 64 * 1024;

/** What a multipart POST asked for, read as it streams. */
interface UploadForm {
  /** The workspace's name base (field `name`), else the file's name. */
  name: string | undefined;
  variant: Variant | undefined;
}

/**
 * POST /api/v1/workspaces as `multipart/form-data`: a workspace from an uploaded devcontainer.json
 * (file field `devcontainer`, in an otherwise empty folder), from a `.tar.gz` of a folder (file field
 * `folder`), or an empty folder with a dev8 `variant` (field). Fields before the file count for it.
 *
 * The tree lives where a clone would: DEVC_HOME/workspaces/NAME/src/FOLDER, devc's own folder, bind
 * mounted into the workspace only. Like a clone it is untrusted: devc reads its devcontainer.json but
 * runs nothing of it on the host (initializeCommand and host mounts are refused), and git reads it
 * only through devc's isolated GIT_DIR. Anything refused leaves nothing behind.
 */
export async function createFromUpload(
  gateway: Gateway,
  identity: Identity,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const limit = gateway.config.maxUploadBytes;
  const length = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(length) && length > limit + FORM_OVERHEAD)
    return refuse(res, true, 413, `The upload is over the gateway's limit of ${limit} bytes (--max-upload).`);
  const ctx = gateway.ctx;
  await ensureHome(ctx.paths);
  const form: UploadForm = { name: undefined, variant: undefined };
  let made: { name: string; dir: string } | undefined;
  let work: Promise<void> | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      let parser: busboy.Busboy;
      try {
        parser = busboy({
          headers: req.headers,
          limits: { files: 1, fileSize: limit, fields: 4, fieldSize: 256, parts: 6 },
        });
      } catch {
        reject(new UploadRefused(400, 'The body is not multipart/form-data with a boundary.'));
        return;
      }
      parser.on('field', (field: string, value: string) => {
        try {
          if (field === 'name') form.name = value;
          else if (field === 'variant' && value !== '') form.variant = parseVariant(value);
        } catch (error) {
          reject(new UploadRefused(400, (error as Error).message));
        }
      });
      parser.on('file', (field: string, stream: Readable, info: busboy.FileInfo) => {
        if (work || (field !== 'folder' && field !== 'devcontainer')) {
          stream.resume();
          return reject(
            new UploadRefused(400, `Unexpected file field ${field}: send "folder" or "devcontainer".`),
          );
        }
        stream.on('limit', () =>
          stream.destroy(
            new UploadRefused(
              413,
              `The upload is over the gateway's limit of ${limit} bytes (--max-upload).`,
            ),
          ),
        );
        const base = form.name ?? (info.filename ?? 'upload').replace(/(\.tar\.gz|\.tgz|\.json)$/i, '');
        work = reserve(gateway, identity, base).then(async (reserved) => {
          made = reserved;
          if (field === 'folder') await unpackFolder(stream, reserved.dir, gateway);
          else await writeConfig(stream, reserved.dir);
        });
        work.catch(reject);
      });
      parser.on('partsLimit', () => reject(new UploadRefused(400, 'The form has too many parts.')));
      parser.on('filesLimit', () => reject(new UploadRefused(400, 'Send one file.')));
      parser.on('error', () => reject(new UploadRefused(400, 'The multipart body is malformed.')));
      parser.on('close', () => {
        if (work) work.then(resolve, reject);
        else if (form.variant) {
          work = reserve(gateway, identity, form.name ?? form.variant).then((reserved) => {
            made = reserved;
            return mkdir(reserved.dir);
          });
          work.then(resolve, reject);
        } else
          reject(
            new UploadRefused(
              400,
              'Send a devcontainer.json (field "devcontainer"), a .tar.gz (field "folder"), or a variant.',
            ),
          );
      });
      req.on('aborted', () => reject(new UploadRefused(400, 'The upload ended early.')));
      req.pipe(parser);
    });
  } catch (error) {
    req.unpipe();
    req.resume();
    await work?.catch(() => undefined);
    if (made) await rm(path.dirname(path.dirname(made.dir)), { recursive: true, force: true });
    if (error instanceof UploadRefused) return refuse(res, true, error.status, error.message);
    throw error;
  }
  const { name, dir } = made!;
  startJob(gateway, identity, name, dir, {
    uploaded: true,
    ...(form.variant ? { variant: form.variant } : {}),
  });
  return json(res, 202, {
    outcome: 'accepted',
    name,
    created: true,
    logs: `/api/v1/workspaces/${name}/logs`,
    url: `/w/${name}/`,
  });
}

/**
 * A free name for the user's upload and its folder, DEVC_HOME/workspaces/NAME/src/BASE (made here:
 * the mkdir of workspaces/NAME is the claim, so two uploads never share one).
 */
async function reserve(
  gateway: Gateway,
  identity: Identity,
  base: string,
): Promise<{ name: string; dir: string }> {
  const { ctx } = gateway;
  const folder = sanitizeName(base);
  const taken = new Set((await (await ctx.backend()).list()).map((w) => w.name));
  for (const name of namesFor(folder, undefined, identity.user)) {
    if (taken.has(name)) continue;
    const workspaceDir = path.join(ctx.paths.workspacesDir, name);
    try {
      await mkdir(workspaceDir, { mode: 0o700 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw error;
    }
    await mkdir(path.join(workspaceDir, 'src'));
    return { name, dir: path.join(workspaceDir, 'src', folder) };
  }
  throw new Error('unreachable: names never run out');
}

/** Unpacks into a staging folder, then moves it (or its one top folder, as `tar czf x.tgz dir` makes) in place. */
async function unpackFolder(stream: Readable, dir: string, gateway: Gateway): Promise<void> {
  const staging = `${path.dirname(dir)}/.upload`;
  await mkdir(staging);
  await unpackTarGz(stream, staging, {
    maxBytes: gateway.config.maxUploadBytes,
    maxEntries: gateway.config.maxUploadFiles,
  });
  const top = await readdir(staging);
  const only = top.length === 1 ? path.join(staging, top[0]!) : undefined;
  if (only && (await lstat(only)).isDirectory()) {
    await rename(only, dir);
    await rm(staging, { recursive: true });
  } else await rename(staging, dir);
}

/** A devcontainer.json (JSON with comments, at most 64 KiB) as the folder's .devcontainer/devcontainer.json. */
async function writeConfig(stream: Readable, dir: string): Promise<void> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_CONFIG_BYTES)
      throw new UploadRefused(413, `A devcontainer.json is at most ${MAX_CONFIG_BYTES} bytes.`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  const errors: ParseError[] = [];
  const config: unknown = parse(text, errors, { allowTrailingComma: true });
  if (errors.length > 0 || typeof config !== 'object' || config === null || Array.isArray(config))
    throw new UploadRefused(400, 'The devcontainer.json is not a JSON object.');
  await mkdir(path.join(dir, '.devcontainer'), { recursive: true });
  await writeFile(path.join(dir, '.devcontainer', 'devcontainer.json'), text);
}
