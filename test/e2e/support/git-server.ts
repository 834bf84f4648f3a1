import { spawn } from 'node:child_process';
import { mkdtemp, mkdir, writeFile, chmod } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';

/** A real git smart-HTTP server (git http-backend as CGI) on a loopback address, for tests. */
export interface GitServer {
  /** Base URL to give devc as DEVC_GITHUB_URL, e.g. http://127.0.0.1:PORT */
  baseUrl: string;
  /** The token private repositories accept (Basic auth password). */
  token: string;
  root: string;
  createRepo(
    repoPath: string,
    files: Record<string, string | { content: string; mode: number }>,
    options?: { private?: boolean; branches?: Record<string, Record<string, string>> },
  ): Promise<string>;
  /** Every Authorization header and URL seen, to check tokens stay out of URLs. */
  requests: { url: string; authorized: boolean }[];
  close(): Promise<void>;
}

/** `tls`: serve https with this key and certificate (PEM) instead of http. */
export async function startGitServer(
  host = '127.0.0.1',
  tls?: { key: string; cert: string },
): Promise<GitServer> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'devc-git-'));
  const token = `ghp_test${Math.random().toString(36).slice(2)}${Date.now().toString(36)}`;
  const privateRepos = new Set<string>();
  const requests: GitServer['requests'] = [];

  const handler: http.RequestListener = (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const repo = /^\/(.+?\.git)(\/|$)/.exec(url.pathname)?.[1] ?? '';
    const auth = req.headers.authorization ?? '';
    const password = auth.startsWith('Basic ')
      ? Buffer.from(auth.slice(6), 'base64').toString().split(':').slice(1).join(':')
      : '';
    const authorized = password === token;
    requests.push({ url: req.url ?? '', authorized });
    if (privateRepos.has(repo) && !authorized) {
      // GitHub answers 404 for private repos without auth only after auth; git needs 401 to ask.
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="devc test"' }).end('Unauthorized\n');
      return;
    }
    const cgi = spawn('git', ['http-backend'], {
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        GIT_PROJECT_ROOT: root,
        GIT_HTTP_EXPORT_ALL: '1',
        PATH_INFO: url.pathname,
        QUERY_STRING: url.search.slice(1),
        REQUEST_METHOD: req.method ?? 'GET',
        CONTENT_TYPE: req.headers['content-type'] ?? '',
        REMOTE_ADDR: req.socket.remoteAddress ?? '',
        REMOTE_USER: authorized ? 'tester' : '',
        GIT_PROTOCOL: String(req.headers['git-protocol'] ?? ''),
        HTTP_CONTENT_ENCODING: String(req.headers['content-encoding'] ?? ''),
      },
    });
    req.pipe(cgi.stdin);
    let head = Buffer.alloc(0);
    let headersDone = false;
    cgi.stdout.on('data', (chunk: Buffer) => {
      if (headersDone) {
        res.write(chunk);
        return;
      }
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      headersDone = true;
      let status = 200;
      const headers: Record<string, string> = {};
      for (const line of head.subarray(0, end).toString().split('\r\n')) {
        const i = line.indexOf(':');
        const key = line.slice(0, i).trim();
        const value = line.slice(i + 1).trim();
        if (key.toLowerCase() === 'status') status = Number(value.split(' ')[0]);
        else headers[key] = value;
      }
      res.writeHead(status, headers);
      res.write(head.subarray(end + 4));
    });
    cgi.stdout.on('end', () => res.end());
    cgi.on('error', () => res.writeHead(500).end());
  };
  const server = tls ? https.createServer(tls, handler) : http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  const baseUrl = `${tls ? 'https' : 'http'}://${host}:${port}`;

  return {
    baseUrl,
    token,
    root,
    requests,
    async createRepo(repoPath, files, options = {}) {
      const work = await mkdtemp(path.join(os.tmpdir(), 'devc-gitwork-'));
      const git = (...args: string[]) => execa('git', ['-C', work, ...args], { env: gitEnv });
      await execa('git', ['init', '-q', '-b', 'main', work]);
      await writeFiles(work, files);
      await git('add', '-A');
      await git('commit', '-q', '-m', 'initial');
      for (const [branch, branchFiles] of Object.entries(options.branches ?? {})) {
        await git('checkout', '-q', '-b', branch);
        await writeFiles(work, branchFiles);
        await git('add', '-A');
        await git('commit', '-q', '-m', `on ${branch}`);
        await git('checkout', '-q', 'main');
      }
      const bare = path.join(root, `${repoPath}.git`);
      await mkdir(path.dirname(bare), { recursive: true });
      await execa('git', ['clone', '-q', '--bare', work, bare]);
      for (const [k, v] of [
        ['uploadpack.allowFilter', 'true'],
        ['http.receivepack', 'true'],
        ['uploadpack.allowAnySHA1InWant', 'true'],
      ] as const) {
        await execa('git', ['-C', bare, 'config', k, v]);
      }
      if (options.private) privateRepos.add(`${repoPath}.git`);
      return `${baseUrl}/${repoPath}.git`;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const gitEnv = {
  ...process.env,
  GIT_AUTHOR_NAME: 'Test',
  GIT_AUTHOR_EMAIL: 'test@example.invalid',
  GIT_COMMITTER_NAME: 'Test',
  GIT_COMMITTER_EMAIL: 'test@example.invalid',
};

/** Writes files (with modes) under `dir`, making folders. */
export async function writeFiles(
  dir: string,
  files: Record<string, string | { content: string; mode: number }>,
): Promise<void> {
  for (const [name, file] of Object.entries(files)) {
    const target = path.join(dir, name);
    await mkdir(path.dirname(target), { recursive: true });
    const { content, mode } = typeof file === 'string' ? { content: file, mode: 0o644 } : file;
    await writeFile(target, content);
    await chmod(target, mode);
  }
}

/**
 * A local working tree at `dir`: these files (a `.sh` given as text is executable) in one commit, as a
 * user's checkout would be.
 */
export async function commitTree(
  dir: string,
  files: Record<string, string | { content: string; mode: number }>,
): Promise<string> {
  const withModes = Object.fromEntries(
    Object.entries(files).map(([name, file]) => [
      name,
      typeof file === 'string' && name.endsWith('.sh') ? { content: file, mode: 0o755 } : file,
    ]),
  );
  await writeFiles(dir, withModes);
  await execa('git', ['init', '-q', dir], { env: gitEnv });
  await execa('git', ['-C', dir, 'add', '-A'], { env: gitEnv });
  await execa('git', ['-C', dir, 'commit', '-qm', 'init'], { env: gitEnv });
  return dir;
}
