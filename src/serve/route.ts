import { UsageError } from '../errors.js';
import { parseReference, type RepositoryRef } from '../workspace/reference.js';

/** What a request to the gateway asks for, from its path alone. */
export type GatewayRoute =
  | { kind: 'open'; reference: string }
  | { kind: 'workspace'; name: string; rest: string }
  | { kind: 'api'; rest: string }
  | { kind: 'page' }
  | { kind: 'healthz' }
  | { kind: 'metrics' }
  | { kind: 'asset'; file: string }
  | { kind: 'unknown' };

/**
 * Reads a request target. `/github/OWNER/REPO[@BRANCH]` and `/gitlab/GROUP/…/PROJECT[@BRANCH]` become
 * the references `devc up` takes, `/open?repo=REF` any other form; `/w/NAME/…` is a workspace's
 * code-server (path mode). The path is decoded once; `..`, empty and encoded-slash segments are no
 * route at all (a proxy in front may read them differently).
 */
export function routeOf(target: string): GatewayRoute {
  let url: URL;
  try {
    url = new URL(target, 'http://gateway.invalid');
  } catch {
    return { kind: 'unknown' };
  }
  const raw = url.pathname;
  if (raw === '/' || raw === '') return { kind: 'page' };
  if (raw === '/healthz') return { kind: 'healthz' };
  if (raw === '/metrics') return { kind: 'metrics' };
  if (raw === '/open') {
    const repo = url.searchParams.get('repo');
    return repo ? { kind: 'open', reference: repo } : { kind: 'unknown' };
  }
  const workspace = /^\/w\/([a-z0-9][a-z0-9-]*)(\/.*)?$/.exec(raw);
  if (workspace) return { kind: 'workspace', name: workspace[1]!, rest: workspace[2] ?? '' };
  if (raw.startsWith('/api/')) return { kind: 'api', rest: raw.slice('/api'.length) };
  const asset = /^\/assets\/([a-z0-9-]+\.(?:css|js|svg))$/.exec(raw);
  if (asset) return { kind: 'asset', file: asset[1]! };
  const segments = raw.slice(1).split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..' || /%2f|%5c/i.test(s)))
    return { kind: 'unknown' };
  let decoded: string[];
  try {
    decoded = segments.map((s) => decodeURIComponent(s));
  } catch {
    return { kind: 'unknown' };
  }
  const [host, ...rest] = decoded;
  if (host === 'github' && rest.length === 2) return { kind: 'open', reference: decoded.join('/') };
  if (host === 'gitlab' && rest.length >= 2) return { kind: 'open', reference: decoded.join('/') };
  return { kind: 'unknown' };
}

/**
 * A reference the gateway may clone: every form `devc up` takes but local paths, resolved to an
 * http(s) URL on one of `allowedHosts` (by default the hosts of DEVC_GITHUB_URL and DEVC_GITLAB_URL).
 * file:// would read the gateway's own disk, ssh:// would use its keys, and any other host would let a
 * signed-in user make the gateway fetch from its own network.
 */
export function gatewayReference(
  reference: string,
  env: NodeJS.ProcessEnv,
  allowedHosts: Set<string>,
): RepositoryRef & { kind: 'remote' } {
  const ref = parseReference(reference, env, '/nonexistent');
  if (ref.kind === 'local') {
    throw new UsageError(`"${reference}" is a local path: the gateway opens repositories, not folders.`, {
      hint: 'Use github/OWNER/REPO, gitlab/GROUP/PROJECT or an https URL.',
    });
  }
  const url = URL.canParse(ref.url) ? new URL(ref.url) : undefined;
  if (url?.protocol !== 'https:' && url?.protocol !== 'http:') {
    throw new UsageError(
      `"${reference}" is not an http(s) repository URL: the gateway clones over https only.`,
    );
  }
  if (!allowedHosts.has(url.host.toLowerCase())) {
    throw new UsageError(`The gateway does not open repositories on ${url.host}.`, {
      hint: 'Its administrator can allow the host with --allow-git-host.',
    });
  }
  return ref;
}

/** The hosts a gateway clones from unless told otherwise: GitHub's and GitLab's (or their overrides). */
export function defaultGitHosts(env: NodeJS.ProcessEnv): Set<string> {
  const hosts = new Set<string>();
  for (const value of [
    env.DEVC_GITHUB_URL || 'https://github.com',
    env.DEVC_GITLAB_URL || 'https://gitlab.com',
  ]) {
    try {
      hosts.add(new URL(value).host.toLowerCase());
    } catch {
      // A bad override is reported where references are parsed.
    }
  }
  return hosts;
}
