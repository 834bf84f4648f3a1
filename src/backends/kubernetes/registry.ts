import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DevcError } from '../../errors.js';
import { run } from '../../process.js';

/** A registry login, as `docker login` stored it. */
export interface RegistryLogin {
  username: string;
  password: string;
}

const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?$/;

const MANIFEST_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

/**
 * The login the user's docker config holds for `host` (DOCKER_CONFIG or ~/.docker/config.json): a
 * credential helper's (`credHelpers`, then `credsStore`) or the `auths` entry. None: undefined.
 */
export async function registryLogin(
  env: NodeJS.ProcessEnv,
  host: string,
): Promise<RegistryLogin | undefined> {
  const dir = env.DOCKER_CONFIG ?? path.join(env.HOME ?? os.homedir(), '.docker');
  let config: {
    auths?: Record<string, { auth?: string }>;
    credHelpers?: Record<string, string>;
    credsStore?: string;
  };
  try {
    config = JSON.parse(await readFile(path.join(dir, 'config.json'), 'utf8')) as typeof config;
  } catch {
    return undefined;
  }
  const helper = config.credHelpers?.[host] ?? config.credsStore;
  if (helper) {
    const got = await run(`docker-credential-${helper}`, ['get'], { input: host });
    if (got.exitCode === 0) {
      const { Username, Secret } = JSON.parse(got.stdout) as { Username?: string; Secret?: string };
      if (Username && Secret) return { username: Username, password: Secret };
    }
  }
  const auth = (config.auths ?? {})[host]?.auth ?? config.auths?.[`https://${host}`]?.auth;
  if (!auth) return undefined;
  const plain = Buffer.from(auth, 'base64').toString();
  const at = plain.indexOf(':');
  return at < 0 ? undefined : { username: plain.slice(0, at), password: plain.slice(at + 1) };
}

/** `docker config.json` holding this one registry's login: what an imagePullSecret carries. */
export function dockerConfigJson(host: string, login: RegistryLogin): string {
  const auth = Buffer.from(`${login.username}:${login.password}`).toString('base64');
  return JSON.stringify({ auths: { [host]: { username: login.username, password: login.password, auth } } });
}

/**
 * Whether the registry has `repository:tag` (one HEAD of its manifest, with the login when it asks
 * for one: Basic, or a Bearer token from the realm it names). https first, http for loopback
 * registries. A registry that can't be reached, or refuses, is an error naming it.
 */
export async function manifestExists(
  host: string,
  repository: string,
  tag: string,
  given: RegistryLogin | undefined,
): Promise<boolean> {
  return (await manifestDigest(host, repository, tag, given)) !== undefined;
}

/** `repository:tag`'s manifest digest in the registry (`sha256:…`, '' when it names none), or undefined: not there. */
export async function manifestDigest(
  host: string,
  repository: string,
  tag: string,
  given: RegistryLogin | undefined,
): Promise<string | undefined> {
  let lastError = '';
  for (const scheme of ['https', 'http'] as const) {
    const url = `${scheme}://${host}/v2/${repository}/manifests/${tag}`;
    // A login goes in clear text only to this machine's own registries.
    const login = scheme === 'https' || LOOPBACK.test(host) ? given : undefined;
    let res: { status: number; headers: Record<string, string | string[] | undefined> };
    try {
      res = await request('HEAD', url, { Accept: MANIFEST_TYPES, ...basic(login) });
      if (res.status === 401) {
        const token = await bearerToken(String(res.headers['www-authenticate'] ?? ''), login);
        if (token)
          res = await request('HEAD', url, { Accept: MANIFEST_TYPES, Authorization: `Bearer ${token}` });
      }
    } catch (error) {
      lastError = (error as Error).message;
      continue;
    }
    if (res.status === 200) return String(res.headers['docker-content-digest'] ?? '');
    if (res.status === 404) return undefined;
    if (res.status === 401 || res.status === 403)
      throw new DevcError(`The registry ${host} refuses to show ${repository}:${tag} (HTTP ${res.status}).`, {
        hint: `Log in to it with \`docker login ${host}\`, then run \`devc up\` again.`,
      });
    throw new DevcError(`The registry ${host} answered HTTP ${res.status} for ${repository}:${tag}.`, {
      hint: 'Check DEVC_REGISTRY and the registry.',
    });
  }
  throw new DevcError(`Can't reach the registry ${host}: ${lastError}.`, {
    hint: 'Check that DEVC_REGISTRY names a registry this machine and the cluster reach, and that it runs.',
  });
}

function basic(login: RegistryLogin | undefined): Record<string, string> {
  return login
    ? { Authorization: `Basic ${Buffer.from(`${login.username}:${login.password}`).toString('base64')}` }
    : {};
}

/** A token from `Bearer realm="…",service="…",scope="…"` (the registry token protocol). */
async function bearerToken(challenge: string, login: RegistryLogin | undefined): Promise<string | undefined> {
  if (!/^Bearer /i.test(challenge)) return undefined;
  const params = new Map([...challenge.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1] ?? '', m[2] ?? '']));
  const realm = params.get('realm');
  if (!realm) return undefined;
  const url = new URL(realm);
  for (const key of ['service', 'scope']) {
    const value = params.get(key);
    if (value) url.searchParams.set(key, value);
  }
  const res = await request('GET', url.toString(), basic(login));
  if (res.status !== 200) return undefined;
  const body = JSON.parse(res.body) as { token?: string; access_token?: string };
  return body.token ?? body.access_token;
}

/** One request through node:http(s), 5 s at most (not fetch: undici costs ~30 ms to load). */
async function request(
  method: string,
  url: string,
  headers: Record<string, string>,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const { request: send } = url.startsWith('https:') ? await import('node:https') : await import('node:http');
  return new Promise((resolve, reject) => {
    const req = send(url, { method, headers, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url}`)));
    req.on('error', reject);
    req.end();
  });
}

export { registryHost } from '../../devcontainer/image-tag.js';
