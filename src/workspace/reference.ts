import path from 'node:path';
import { UsageError } from '../errors.js';

/** A repository the user named, resolved to something git can clone (or a local folder). */
export type RepositoryRef =
  | {
      kind: 'remote';
      url: string;
      name: string;
      owner: string | undefined;
      branch: string | undefined;
      display: string;
    }
  | { kind: 'local'; path: string; name: string; branch: undefined; display: string };

export const REFERENCE_FORMS = [
  'github/OWNER/REPO',
  'OWNER/REPO                       (GitHub)',
  'gitlab/GROUP/PROJECT',
  'https://host/path/repo.git       (any https or file:// git URL)',
  'git@host:path/repo.git, ssh://…  (any ssh git URL)',
  'REF@BRANCH                       (any of the above on a branch)',
  '., ./dir, /abs/dir               (a local working tree, as it is)',
];

const SEGMENT = /^[A-Za-z0-9_.-]+$/;

/** Parses a repository reference (README.md, "Repository references"). Throws UsageError for no known form. */
export function parseReference(input: string, env: NodeJS.ProcessEnv, cwd = process.cwd()): RepositoryRef {
  const raw = input.trim();
  if (raw === '') throw invalid(input);

  if (
    raw === '.' ||
    raw === '..' ||
    raw.startsWith('./') ||
    raw.startsWith('../') ||
    path.isAbsolute(raw) ||
    raw.startsWith('~/')
  ) {
    const abs = path.resolve(cwd, raw.startsWith('~/') ? path.join(env.HOME ?? '', raw.slice(2)) : raw);
    return {
      kind: 'local',
      path: abs,
      name: sanitizeName(path.basename(abs)),
      branch: undefined,
      display: abs,
    };
  }

  const { base, branch } = splitBranch(raw);
  if (branch !== undefined && !isValidBranch(branch)) throw invalid(input);

  if (/^(https?|ssh|git|file):\/\//.test(base)) return fromUrl(base, branch, input);
  const scp = /^([A-Za-z0-9_.-]+@)?([A-Za-z0-9.-]+):(?!\/\/)(.+)$/.exec(base);
  if (scp && base.includes('@')) return fromPath(base, scp[3] ?? '', branch, input);

  const parts = base.split('/');
  if (parts.every((p) => SEGMENT.test(p)) && !parts.includes('..') && !parts.includes('.')) {
    if (parts[0] === 'github' && parts.length === 3)
      return hosted(baseUrl(env, 'DEVC_GITHUB_URL'), parts.slice(1), branch, raw);
    if (parts[0] === 'gitlab' && parts.length >= 3)
      return hosted(baseUrl(env, 'DEVC_GITLAB_URL'), parts.slice(1), branch, raw);
    if (parts.length === 2 && parts[0] !== 'github' && parts[0] !== 'gitlab') {
      return hosted(baseUrl(env, 'DEVC_GITHUB_URL'), parts, branch, raw);
    }
  }
  throw invalid(input);
}

const DEFAULT_BASE_URLS = {
  DEVC_GITHUB_URL: 'https://github.com',
  DEVC_GITLAB_URL: 'https://gitlab.com',
} as const;

/** The base URL short references resolve against; anything but a URL would reach git as a local path. */
function baseUrl(env: NodeJS.ProcessEnv, variable: keyof typeof DEFAULT_BASE_URLS): string {
  const value = env[variable];
  if (!value) return DEFAULT_BASE_URLS[variable];
  if (!/^(https?|ssh|git|file):\/\/./.test(value) || !URL.canParse(value)) {
    throw new UsageError(`${variable} is not a URL: "${value}".`, {
      hint: `Set it to a base URL such as ${DEFAULT_BASE_URLS[variable]} or http://127.0.0.1:3000, or unset it.`,
    });
  }
  return value;
}

function hosted(
  baseUrl: string,
  segments: string[],
  branch: string | undefined,
  display: string,
): RepositoryRef {
  const repoPath = segments.join('/').replace(/\.git$/, '');
  const url = `${baseUrl.replace(/\/+$/, '')}/${repoPath}.git`;
  return fromPath(url, repoPath, branch, display);
}

function fromUrl(url: string, branch: string | undefined, input: string): RepositoryRef {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalid(input);
  }
  if (parsed.password || (parsed.username && parsed.protocol.startsWith('http'))) {
    throw new UsageError('Put the token in GITHUB_TOKEN, not in the URL.', {
      hint: 'Credentials in a URL end up in shell history and process lists.',
    });
  }
  return fromPath(url, parsed.pathname, branch, input);
}

function fromPath(url: string, repoPath: string, branch: string | undefined, display: string): RepositoryRef {
  const segments = repoPath
    .replace(/\.git\/?$/, '')
    .split('/')
    .filter(Boolean);
  const repo = segments.at(-1);
  if (!repo) throw invalid(display);
  return { kind: 'remote', url, name: sanitizeName(repo), owner: segments.at(-2), branch, display };
}

/** `REF@BRANCH`, where the @ is not part of an ssh user (git@host:...). */
function splitBranch(raw: string): { base: string; branch: string | undefined } {
  const at = raw.lastIndexOf('@');
  // In scheme://user@host/..., an @ inside the authority is not a branch separator.
  const scheme = /^[a-z][a-z0-9+.-]*:\/\/[^/]*/i.exec(raw);
  if (at <= 0 || (scheme && at < scheme[0].length)) return { base: raw, branch: undefined };
  const after = raw.slice(at + 1);
  // git@host:owner/repo has a ':' after the @: that @ belongs to the user.
  if (after.includes(':')) return { base: raw, branch: undefined };
  return { base: raw.slice(0, at), branch: after };
}

function isValidBranch(branch: string): boolean {
  return branch !== '' && !/[\s~^:?*[\\]|\.\.|@\{|^[-/]|\/$|\.lock$/.test(branch);
}

/** A name safe for containers, volumes and host names: lowercase letters, digits and dashes. */
export function sanitizeName(name: string): string {
  const clean = name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/, '');
  return clean || 'workspace';
}

function invalid(input: string): UsageError {
  return new UsageError(`"${input}" is not a repository reference devc understands.`, {
    hint: `Use one of:\n  ${REFERENCE_FORMS.join('\n  ')}`,
  });
}
