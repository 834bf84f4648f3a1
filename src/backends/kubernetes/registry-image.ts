import type { IncomingMessage } from 'node:http';
import { createGunzip } from 'node:zlib';
import { DevcError } from '../../errors.js';
import { splitReference } from './image.js';

/**
 * What devc needs of an image before its pod exists, read from the registry over its HTTP API (no
 * local engine): the config blob (User, Env, the `devcontainer.metadata` label) and, when a user is
 * named rather than numbered, its /etc/passwd line from the newest layer that holds the file.
 */
export interface ImageFacts {
  user: string;
  env: string[];
  labels: Record<string, string>;
  /** The image's /etc/passwd, read only when asked for (see `passwd`). */
  passwd: () => Promise<string | undefined>;
}

const ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

interface Descriptor {
  digest: string;
  mediaType?: string;
  platform?: { os?: string; architecture?: string };
}

/** Reads an image's facts from its registry; throws a one-line error naming the image when it can't. */
export async function readImageFacts(reference: string): Promise<ImageFacts> {
  const parts = splitReference(reference);
  if (!parts) throw new DevcError(`Can't read image ${reference}: it names no registry.`);
  const base = await reachable(parts.host);
  const v2 = `${base}/v2/${parts.repository}`;
  let manifest = await json<{ manifests?: Descriptor[]; config?: Descriptor; layers?: Descriptor[] }>(
    `${v2}/manifests/${parts.tag}`,
    reference,
  );
  if (manifest.manifests) {
    const arch = process.arch === 'arm64' ? 'arm64' : 'amd64';
    const pick =
      manifest.manifests.find((m) => m.platform?.os === 'linux' && m.platform.architecture === arch) ??
      manifest.manifests[0];
    if (!pick) throw new DevcError(`Image ${reference} has no manifest for linux/${arch}.`);
    manifest = await json(`${v2}/manifests/${pick.digest}`, reference);
  }
  const config = await json<{ config?: { User?: string; Env?: string[]; Labels?: Record<string, string> } }>(
    `${v2}/blobs/${manifest.config?.digest ?? ''}`,
    reference,
  );
  const layers = [...(manifest.layers ?? [])].reverse();
  return {
    user: config.config?.User ?? '',
    env: config.config?.Env ?? [],
    labels: config.config?.Labels ?? {},
    passwd: async () => {
      for (const layer of layers) {
        const found = await fileInLayer(`${v2}/blobs/${layer.digest}`, 'etc/passwd');
        if (found !== undefined) return found ?? undefined;
      }
      return undefined;
    },
  };
}

/** https, else http (loopback registries speak plain HTTP), as image.ts asks. */
async function reachable(host: string): Promise<string> {
  for (const scheme of ['https', 'http']) {
    try {
      // Read to its end: an unread answer keeps its socket, and this process, alive.
      (await get(`${scheme}://${host}/v2/`, {})).resume();
      return `${scheme}://${host}`;
    } catch {
      // next scheme
    }
  }
  throw new DevcError(`Can't reach the registry ${host}.`, {
    hint: 'Check DEVC_REGISTRY and that this machine reaches it.',
  });
}

async function json<T>(url: string, reference: string): Promise<T> {
  const res = await get(url, { Accept: ACCEPT });
  const body = await text(res);
  if (res.statusCode === 404)
    throw new DevcError(`The registry has no image ${reference}.`, {
      hint: 'Check "image" in devcontainer.json, or push the image to DEVC_REGISTRY.',
    });
  if ((res.statusCode ?? 0) >= 300)
    throw new DevcError(`The registry refused to read ${reference} (HTTP ${res.statusCode ?? 0}).`, {
      hint: 'A registry that needs a login is not read yet: push the image to DEVC_REGISTRY.',
    });
  return JSON.parse(body) as T;
}

async function get(url: string, headers: Record<string, string>, hops = 3): Promise<IncomingMessage> {
  const { get: request } = url.startsWith('https:') ? await import('node:https') : await import('node:http');
  const res = await new Promise<IncomingMessage>((resolve, reject) => {
    const req = request(url, { headers, timeout: 10_000 }, resolve);
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url}`)));
    req.on('error', reject);
  });
  const location = res.headers.location;
  if (res.statusCode && res.statusCode >= 300 && res.statusCode < 400 && location && hops > 0) {
    res.resume();
    return get(new URL(location, url).toString(), headers, hops - 1);
  }
  return res;
}

async function text(res: IncomingMessage): Promise<string> {
  let body = '';
  res.setEncoding('utf8');
  for await (const chunk of res) body += chunk as string;
  return body;
}

/**
 * A file of a (gzip) tar layer: its text, null when the layer deletes it (a whiteout), undefined when
 * the layer does not touch it. Reads the layer as a stream and stops at the file.
 */
async function fileInLayer(url: string, name: string): Promise<string | null | undefined> {
  const res = await get(url, {});
  if ((res.statusCode ?? 0) >= 300) {
    res.resume();
    return undefined;
  }
  const dir = name.slice(0, name.lastIndexOf('/') + 1);
  const whiteout = `${dir}.wh.${name.slice(dir.length)}`;
  const tar = res.pipe(createGunzip());
  let pending = Buffer.alloc(0);
  let skip = 0;
  let take: { size: number } | undefined;
  try {
    for await (const chunk of tar) {
      pending = Buffer.concat([pending, chunk as Buffer]);
      for (;;) {
        if (take) {
          if (pending.length < take.size) break;
          return pending.subarray(0, take.size).toString('utf8');
        }
        if (skip > 0) {
          const n = Math.min(skip, pending.length);
          pending = pending.subarray(n);
          skip -= n;
          if (skip > 0) break;
        }
        if (pending.length < 512) break;
        const header = pending.subarray(0, 512);
        pending = pending.subarray(512);
        if (header.every((b) => b === 0)) continue;
        const entry = header
          .subarray(0, 100)
          .toString('utf8')
          .replace(/\0.*$/s, '')
          .replace(/^\.?\//, '');
        const prefix = header.subarray(345, 500).toString('utf8').replace(/\0.*$/s, '');
        const path = prefix ? `${prefix.replace(/^\.?\//, '')}/${entry}` : entry;
        const size = parseInt(
          header.subarray(124, 136).toString('utf8').replace(/\0.*$/s, '').trim() || '0',
          8,
        );
        if (path === whiteout) return null;
        if (path === name) take = { size };
        else skip = Math.ceil(size / 512) * 512;
      }
    }
  } finally {
    res.destroy();
  }
  return undefined;
}

/** A user of the image: `name`, `uid`, `name:group` or `uid:gid`, resolved through its /etc/passwd. */
export function resolveUser(
  user: string,
  passwd: string | undefined,
): { name: string; uid: number; gid: number; home: string } | undefined {
  const [who = '', group] = user.split(':');
  const entries = (passwd ?? '')
    .split('\n')
    .map((l) => l.split(':'))
    .filter((f) => f.length >= 7);
  const numeric = /^\d+$/.test(who);
  const entry = entries.find((f) => (numeric ? f[2] === who : f[0] === who));
  const gid = group !== undefined && /^\d+$/.test(group) ? Number(group) : undefined;
  if (entry) {
    return {
      name: entry[0] ?? who,
      uid: Number(entry[2]),
      gid: gid ?? Number(entry[3]),
      home: entry[5] || '/',
    };
  }
  if (!numeric) return undefined;
  const uid = Number(who);
  return { name: who, uid, gid: gid ?? uid, home: uid === 0 ? '/root' : '/' };
}
