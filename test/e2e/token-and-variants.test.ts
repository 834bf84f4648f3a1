import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { devc, devcEnv, json, uniquePrefix } from './support/devc.js';
import { dockerOut, removeWorkspaces } from './support/docker.js';
import { startGitServer, type GitServer } from './support/git-server.js';

const prefix = uniquePrefix('tv');
let git: GitServer;
let env: NodeJS.ProcessEnv;
let caFile: string;

/** A throwaway CA and a server certificate for `ip`, as an https git host with a private CA has. */
async function makeTls(ip: string): Promise<{ ca: string; key: string; cert: string }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'devc-tls-'));
  const ssl = (...args: string[]) => execa('openssl', args, { cwd: dir });
  await ssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=devc test CA',
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
  );
  await ssl(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    `/CN=${ip}`,
    '-keyout',
    'server.key',
    '-out',
    'server.csr',
  );
  await execa('sh', ['-c', `printf 'subjectAltName=IP:${ip}\\n' > ext.cnf`], { cwd: dir });
  await ssl(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '1',
    '-extfile',
    'ext.cnf',
    '-out',
    'server.crt',
  );
  const read = (f: string) => readFile(path.join(dir, f), 'utf8');
  caFile = path.join(dir, 'ca.crt');
  return { ca: await read('ca.crt'), key: await read('server.key'), cert: await read('server.crt') };
}

beforeAll(async () => {
  // The git host must be reachable from inside the container: the Docker bridge's own address on this
  // machine (listening on it fails at once if the address is not ours).
  const bridge = await execa('ip', ['-4', '-o', 'addr', 'show', 'docker0']);
  const gateway = /inet (\d+\.\d+\.\d+\.\d+)\//.exec(bridge.stdout)?.[1] ?? '';
  expect(gateway).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
  const tls = await makeTls(gateway);
  git = await startGitServer(gateway, { key: tls.key, cert: tls.cert });
  env = await devcEnv({ DEVC_GITHUB_URL: git.baseUrl, GIT_SSL_CAINFO: caFile });
  await git.createRepo(`acme/${prefix}-private`, { 'README.md': 'private\n' }, { private: true });
  await git.createRepo(`acme/${prefix}-node`, { 'package.json': '{"name":"x"}\n' });
  await git.createRepo(`acme/${prefix}-python`, { 'requirements.txt': 'requests\n' });
  await git.createRepo(`acme/${prefix}-both`, {
    'package.json': '{"name":"x"}\n',
    'requirements.txt': 'requests\n',
  });
  await git.createRepo(`acme/${prefix}-none`, { 'README.md': 'plain\n' });
});

afterAll(async () => {
  await removeWorkspaces(prefix);
  await git?.close();
});

describe('a GitHub token in the workspace', () => {
  it('git pushes over https without a prompt; gh has it; it is in no env, inspect or log', async () => {
    const withToken = {
      ...env,
      GITHUB_TOKEN: git.token,
      GIT_USER_NAME: 'Test User',
      GIT_USER_EMAIL: 'test@devc.invalid',
    };
    const run = await devc(['up', `acme/${prefix}-private`, '--json', '--idle-timeout', '0'], withToken);
    expect(run.exitCode, run.stderr).toBe(0);
    const { name } = json<{ name: string }>(run);
    // The workspace trusts the host's private CA, as a company's workspaces would.
    await execa(
      'docker',
      [
        'exec',
        '-i',
        '-u',
        'root',
        `devc-${name}`,
        'sh',
        '-c',
        'cat > /usr/local/share/ca-certificates/devc-test.crt && update-ca-certificates >/dev/null',
      ],
      {
        input: await readFile(caFile, 'utf8'),
      },
    );
    const push = await devc(
      [
        'ssh',
        '-w',
        name,
        '--',
        'sh',
        '-c',
        'git commit -q --allow-empty -m pushed-from-workspace && GIT_TERMINAL_PROMPT=0 git push -q origin HEAD:main',
      ],
      env,
    );
    expect(push.exitCode, push.stderr).toBe(0);
    const bare = path.join(git.root, 'acme', `${prefix}-private.git`);
    expect((await execa('git', ['-C', bare, 'log', '-1', '--format=%s', 'main'])).stdout).toBe(
      'pushed-from-workspace',
    );
    expect(git.requests.some((r) => r.authorized && r.url.includes('git-receive-pack'))).toBe(true);

    const gh = await devc(['ssh', '-w', name, '--', 'gh', 'auth', 'token'], env);
    expect(gh.stdout.trim()).toBe(git.token);
    const shellEnv = await devc(['ssh', '-w', name, '--', 'env'], env);
    expect(shellEnv.stdout).not.toContain(git.token);
    expect(await dockerOut(['inspect', `devc-${name}`])).not.toContain(git.token);
    expect(await dockerOut(['logs', `devc-${name}`])).not.toContain(git.token);
  });
});

describe('the dev8 variant follows what the repository holds', () => {
  it.each([
    ['node', 'node'],
    ['python', 'python'],
    ['both', 'fullstack'],
    ['none', 'base'],
  ])('%s → %s', async (kind, variant) => {
    const run = await devc(['up', `acme/${prefix}-${kind}`, '--json'], env);
    expect(run.exitCode, run.stderr).toBe(0);
    const ws = json<{ name: string; variant: string; image: string }>(run);
    expect(ws.variant).toBe(variant);
    expect(ws.image).toContain(`dev8-${variant}`);
    expect((await devc(['delete', '-w', ws.name, '--force'], env)).exitCode).toBe(0);
  });
});
