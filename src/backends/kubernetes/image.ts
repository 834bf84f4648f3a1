import { DevcError, UsageError } from '../../errors.js';

const MANIFEST_TYPES = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

/** `host[:port]/path:tag` → its parts; null when the reference names no registry host. */
export function splitReference(ref: string): { host: string; repository: string; tag: string } | null {
  const slash = ref.indexOf('/');
  if (slash < 0) return null;
  const host = ref.slice(0, slash);
  if (!/[.:]/.test(host) && host !== 'localhost') return null;
  const rest = ref.slice(slash + 1);
  const at = rest.lastIndexOf(':');
  return at > rest.lastIndexOf('/')
    ? { host, repository: rest.slice(0, at), tag: rest.slice(at + 1) }
    : { host, repository: rest, tag: 'latest' };
}

/** The image's config digest in its registry (= `docker image inspect` Id), or undefined when unknown. */
async function registryDigest(ref: string): Promise<string | undefined | null> {
  const parts = splitReference(ref);
  if (!parts) return undefined;
  for (const scheme of ['https', 'http'] as const) {
    try {
      const url = `${scheme}://${parts.host}/v2/${parts.repository}/manifests/${parts.tag}`;
      const res = await getText(url, { Accept: MANIFEST_TYPES });
      if (res.status === 404) return null;
      // Needs a login: let the node's pull speak for itself.
      if (res.status < 200 || res.status >= 300) return undefined;
      return (JSON.parse(res.body) as { config?: { digest?: string } }).config?.digest;
    } catch {
      // next scheme (loopback registries speak plain HTTP)
    }
  }
  return undefined;
}

/**
 * A GET through node:http(s), 5 s at most. Not `fetch`: Node loads its fetch (undici) on first use,
 * some 30 ms of an `up` that waits for nothing else then.
 */
async function getText(
  url: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: string }> {
  const { get } = url.startsWith('https:') ? await import('node:https') : await import('node:http');
  return new Promise((resolve, reject) => {
    const req = get(url, { headers, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url}`)));
    req.on('error', reject);
  });
}

async function localId(ref: string): Promise<string | undefined> {
  try {
    const { inspectImage } = await import('../docker/api.js');
    return (await inspectImage(ref))?.Id;
  } catch {
    return undefined; // no Docker here: the registry must have it
  }
}

/** Where `image` is in `registry`: itself when it names that registry, else its path under it. */
export function registryReference(image: string, registry: string): string {
  const prefix = `${registry.replace(/\/+$/, '')}/`;
  return image.startsWith(prefix) ? image : `${prefix}${image.replace(/^[^/]+\.[^/]+\//, '')}`;
}

/**
 * Makes sure the cluster can pull `image` from DEVC_REGISTRY: an image only in the local engine (or
 * newer there) is tagged into the registry and pushed. Resolves to the reference pods use, and
 * whether the registry got another build under it (then a node's cached copy is stale).
 */
export async function ensureInRegistry(
  image: string,
  registry: string | undefined,
): Promise<{ reference: string; pushed: boolean }> {
  if (!registry) {
    throw new UsageError('Kubernetes workspaces need a registry the cluster pulls from.', {
      hint: 'Set DEVC_REGISTRY (e.g. DEVC_REGISTRY=registry.example.com/team) or `devc config set registry …`, and run `devc up` again.',
    });
  }
  const target = registryReference(image, registry);
  const [remote, local, source] = await Promise.all([
    registryDigest(target),
    localId(target),
    localId(image),
  ]);
  // The image devc names (and builds: the dev8 and agent images) wins over this engine's copy of the
  // registry's tag, which is whatever was pushed last time: an old copy there kept a rebuilt agent
  // (one with the secrets' support) out of the registry.
  const newest = source ?? local;
  const pushed = newest !== undefined && newest !== remote;
  if (pushed) {
    const { docker } = await import('../docker/engine.js');
    if (target !== image && source !== undefined) await docker(['tag', image, target]);
    const pushed = await docker(['push', target], { allowFailure: true });
    if (pushed.exitCode !== 0) {
      throw new DevcError(`Can't push ${target} for the cluster.`, {
        hint: `Check that ${registry} is reachable and that you are logged in (docker login).`,
        details: pushed.stderr.trim(),
      });
    }
  }
  // Not here and not there: the pod's pull fails, and its event says why (see waitForRunning).
  return { reference: target, pushed };
}
