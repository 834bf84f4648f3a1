import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';

/** Every container these tests start carries this label; afterAll removes them by it. */
export const TEST_LABEL = 'dev.devc.test=images';

export interface Fixture {
  dir: string;
  key: string;
  publicKey: string;
  configDir: string;
  secret: string;
  token: string;
}

/** A test SSH key and the /etc/devc folder devc would mount: authorized key, code-server secret, token. */
export async function makeFixture(): Promise<Fixture> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'devc-images-test-'));
  const key = path.join(dir, 'id_ed25519');
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'devc-images-test', '-f', key]);
  const publicKey = (await readFile(`${key}.pub`, 'utf8')).trim();
  const configDir = path.join(dir, 'config');
  await mkdir(configDir, { mode: 0o700 });
  const secret = randomBytes(24).toString('base64url');
  const token = `ghp_${randomBytes(18).toString('hex')}`;
  await writeFile(path.join(configDir, 'authorized_keys'), `${publicKey}\n`, { mode: 0o644 });
  await writeFile(path.join(configDir, 'code-server-secret'), secret, { mode: 0o600 });
  await writeFile(path.join(configDir, 'github-token'), `${token}\n`, { mode: 0o600 });
  await writeFile(path.join(configDir, 'ai.env'), 'ANTHROPIC_API_KEY=sk-ant-test-123\n# comment\n', {
    mode: 0o600,
  });
  await chmod(configDir, 0o755);
  return { dir, key, publicKey, configDir, secret, token };
}

export async function docker(args: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const r = await execa('docker', args, { reject: false });
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

/** Starts a container the way devc does; returns its id. */
export async function runContainer(
  image: string,
  fixture: Fixture,
  env: Record<string, string> = {},
): Promise<string> {
  const envArgs = Object.entries({
    DEVC_WORKSPACE: 'images-test',
    DEVC_WORKSPACE_FOLDER: '/workspaces/repo',
    GIT_USER_NAME: 'Test User',
    GIT_USER_EMAIL: 'test@example.com',
    DEVC_GIT_HTTP_HOSTS: 'git.example.test:8081',
    ...env,
  }).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
  const r = await docker([
    'run',
    '-d',
    '--label',
    TEST_LABEL,
    '-p',
    '127.0.0.1::2222',
    '-p',
    '127.0.0.1::8080',
    '-v',
    `${fixture.configDir}:/etc/devc:ro`,
    ...envArgs,
    image,
  ]);
  if (r.exitCode !== 0) throw new Error(`docker run failed: ${r.stderr}`);
  return r.stdout.trim();
}

export async function removeTestContainers(): Promise<void> {
  const ids = (await docker(['ps', '-aq', '--filter', `label=${TEST_LABEL}`])).stdout
    .split('\n')
    .filter(Boolean);
  if (ids.length) await docker(['rm', '-f', ...ids]);
}

export async function isRunning(id: string): Promise<boolean> {
  return (await docker(['inspect', '--format', '{{.State.Running}}', id])).stdout.trim() === 'true';
}

/** Waits for /run/devc/ready; fails early (with the logs) if the container stops. */
export async function waitReady(id: string, timeoutMs = 180_000): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if ((await docker(['exec', id, 'test', '-f', '/run/devc/ready'])).exitCode === 0)
      return Date.now() - started;
    if (!(await isRunning(id))) throw new Error(`container stopped before ready:\n${(await logs(id)).all}`);
    await sleep(250);
  }
  throw new Error(`not ready after ${timeoutMs} ms:\n${(await logs(id)).all}`);
}

/** Waits for a line matching `pattern` in the container's log. */
export async function waitLog(id: string, pattern: RegExp, timeoutMs = 30_000): Promise<void> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (pattern.test((await logs(id)).all)) return;
    await sleep(250);
  }
  throw new Error(`no log line matching ${pattern} after ${timeoutMs} ms:\n${(await logs(id)).all}`);
}

export async function logs(id: string): Promise<{ all: string }> {
  const r = await execa('docker', ['logs', id], { reject: false, all: true });
  return { all: String(r.all) };
}

export async function hostPort(id: string, port: number): Promise<number> {
  const out = (await docker(['port', id, `${port}/tcp`])).stdout.trim().split('\n')[0] ?? '';
  const match = /127\.0\.0\.1:(\d+)$/.exec(out);
  if (!match) throw new Error(`port ${port} is not published on 127.0.0.1: ${out}`);
  return Number(match[1]);
}

export function sshArgs(key: string, port: number, user = 'dev'): string[] {
  return [
    '-F',
    'none',
    '-i',
    key,
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    'StrictHostKeyChecking=no',
    '-o',
    'UserKnownHostsFile=/dev/null',
    '-o',
    'LogLevel=ERROR',
    '-o',
    'ConnectTimeout=10',
    '-p',
    String(port),
    `${user}@127.0.0.1`,
  ];
}

/** Runs a command over SSH with the test key (BatchMode: never prompts). */
export async function ssh(
  key: string,
  port: number,
  command: string,
  options: { user?: string; input?: string } = {},
): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const r = await execa('ssh', ['-o', 'BatchMode=yes', ...sshArgs(key, port, options.user), command], {
    reject: false,
    timeout: 60_000,
    ...(options.input !== undefined ? { input: options.input } : { stdin: 'ignore' as const }),
  });
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
