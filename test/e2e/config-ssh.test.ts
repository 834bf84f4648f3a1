import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { devc, devcEnv, json, uniquePrefix } from './support/devc.js';
import { removeWorkspaces } from './support/docker.js';
import { startGitServer, type GitServer } from './support/git-server.js';

const prefix = uniquePrefix('cs');
const name = `${prefix}-box`;
const host = `${name}.devc`;
let git: GitServer;
let env: NodeJS.ProcessEnv;
let home: string;
let userConfig: string;

/** The user's own config: odd spacing, comments, a Host * block, no final newline. */
const ORIGINAL =
  '# my settings\nHost *\n    ServerAliveInterval 60\n\nHost work\n\tHostName 10.0.0.1\n\tUser me';

/** The real OpenSSH client; ssh reads ~ from the passwd entry, not HOME, so -F names the file. */
function ssh(args: string[], options: { input?: string } = {}) {
  return execa('ssh', ['-F', userConfig, ...args], { env, reject: false, timeout: 120_000, ...options });
}

beforeAll(async () => {
  git = await startGitServer();
  home = mkdtempSync(path.join(os.tmpdir(), 'devc-userhome-'));
  env = await devcEnv({ DEVC_GITHUB_URL: git.baseUrl, HOME: home });
  userConfig = path.join(home, '.ssh', 'config');
  await git.createRepo(`acme/${prefix}-box`, { 'README.md': 'box\n' });
  const up = await devc(['up', `github/acme/${prefix}-box`, '--json'], env);
  expect(up.exitCode, up.stderr).toBe(0);
  expect(json<{ name: string }>(up).name).toBe(name);
});

afterAll(async () => {
  await removeWorkspaces(prefix);
  await git?.close();
  rmSync(home, { recursive: true, force: true });
});

describe('devc config-ssh with the real OpenSSH client', () => {
  it('adds one Include line at the top and keeps the rest byte for byte', async () => {
    mkdirSync(path.dirname(userConfig), { recursive: true, mode: 0o700 });
    writeFileSync(userConfig, ORIGINAL, { mode: 0o640 });
    const dry = await devc(['config-ssh', '--dry-run'], env);
    expect(dry.exitCode, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('Host *.devc');
    expect(readFileSync(userConfig, 'utf8')).toBe(ORIGINAL);

    const run = await devc(['config-ssh'], env);
    expect(run.exitCode, run.stderr).toBe(0);
    const devcConfig = path.join(env.DEVC_HOME!, 'ssh', 'config');
    expect(readFileSync(userConfig, 'utf8')).toBe(`Include ${devcConfig}\n${ORIGINAL}`);
    expect(statSync(userConfig).mode & 0o777).toBe(0o640);
    const ours = readFileSync(devcConfig, 'utf8');
    expect(ours).toMatch(/^Host \*\.devc$/m);
    expect(ours).toMatch(new RegExp(`ProxyCommand env DEVC_HOME=\\S+ /\\S+ /\\S+/bin/devc ssh --stdio %h`));
    expect(ours).toContain('StrictHostKeyChecking yes');

    const again = await devc(['config-ssh'], env);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(readFileSync(userConfig, 'utf8')).toBe(`Include ${devcConfig}\n${ORIGINAL}`);
  });

  it('ssh NAME.devc runs commands, with the pinned host key checked', async () => {
    const run = await ssh([host, 'echo', 'hello from', '$(hostname)']);
    expect(run.exitCode, String(run.stderr)).toBe(0);
    expect(String(run.stdout)).toBe(`hello from ${name}`);
    expect((await ssh([host, 'true'])).exitCode).toBe(0);
    // The user's own settings still apply to their other hosts.
    const work = await execa('ssh', ['-F', userConfig, '-G', 'work'], { reject: false });
    expect(String(work.stdout)).toMatch(/^user me$/m);
    expect(String(work.stdout)).toMatch(/^hostname 10\.0\.0\.1$/m);
  });

  it('scp copies both ways', async () => {
    const local = path.join(home, 'up.txt');
    writeFileSync(local, `payload ${prefix}\n`);
    const upload = await execa('scp', ['-F', userConfig, local, `${host}:/tmp/up.txt`], {
      env,
      reject: false,
    });
    expect(upload.exitCode, String(upload.stderr)).toBe(0);
    const back = path.join(home, 'down.txt');
    const download = await execa('scp', ['-F', userConfig, `${host}:/tmp/up.txt`, back], {
      env,
      reject: false,
    });
    expect(download.exitCode, String(download.stderr)).toBe(0);
    expect(readFileSync(back, 'utf8')).toBe(`payload ${prefix}\n`);
  });

  it('rsync -e ssh syncs a folder', async () => {
    // rsync needs itself on both ends; dev8-base ships it (older images get it here).
    const has = await ssh([
      host,
      'command -v rsync || { sudo apt-get update -qq && sudo apt-get install -y -qq rsync; } >/dev/null 2>&1; command -v rsync',
    ]);
    expect(String(has.stdout)).toContain('rsync');
    const dir = path.join(home, 'tree');
    mkdirSync(path.join(dir, 'sub'), { recursive: true });
    writeFileSync(path.join(dir, 'a.txt'), 'A\n');
    writeFileSync(path.join(dir, 'sub', 'b.txt'), 'B\n');
    const run = await execa('rsync', ['-a', '-e', `ssh -F ${userConfig}`, `${dir}/`, `${host}:/tmp/tree/`], {
      env,
      reject: false,
    });
    expect(run.exitCode, String(run.stderr)).toBe(0);
    expect(String((await ssh([host, 'cat /tmp/tree/a.txt /tmp/tree/sub/b.txt'])).stdout)).toBe('A\nB');
  });

  it('ssh starts a stopped workspace through the ProxyCommand', async () => {
    expect((await execa('docker', ['stop', `devc-${name}`], { reject: false })).exitCode).toBe(0);
    const run = await ssh([host, 'echo', 'back']);
    expect(run.exitCode, String(run.stderr)).toBe(0);
    expect(String(run.stdout)).toBe('back');
    expect(String(run.stderr)).toContain('starting it');
  });

  it('--remove restores the file exactly', async () => {
    const run = await devc(['config-ssh', '--remove'], env);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(readFileSync(userConfig, 'utf8')).toBe(ORIGINAL);
    expect(statSync(userConfig).mode & 0o777).toBe(0o640);
  });

  it('leaves a symlinked config alone and prints the line to add', async () => {
    const target = path.join(home, 'dotfiles-ssh-config');
    writeFileSync(target, ORIGINAL);
    rmSync(userConfig);
    symlinkSync(target, userConfig);
    const run = await devc(['config-ssh'], env);
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain('symbolic link');
    expect(run.stderr).toContain(`Include ${path.join(env.DEVC_HOME!, 'ssh', 'config')}`);
    expect(readFileSync(target, 'utf8')).toBe(ORIGINAL);
    rmSync(userConfig);
  });

  it('leaves a read-only config alone', async () => {
    writeFileSync(userConfig, ORIGINAL);
    chmodSync(userConfig, 0o444);
    const run = await devc(['config-ssh'], env);
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain('read-only');
    expect(readFileSync(userConfig, 'utf8')).toBe(ORIGINAL);
    rmSync(userConfig);
  });

  it('creates ~/.ssh/config (0600) when there is none', async () => {
    rmSync(path.join(home, '.ssh'), { recursive: true, force: true });
    const run = await devc(['config-ssh'], env);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(existsSync(userConfig)).toBe(true);
    expect(statSync(userConfig).mode & 0o777).toBe(0o600);
    expect(readFileSync(userConfig, 'utf8')).toBe(`Include ${path.join(env.DEVC_HOME!, 'ssh', 'config')}\n`);
    expect((await ssh([host, 'true'])).exitCode).toBe(0);
  });
});
