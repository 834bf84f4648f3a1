// The good cases of the adversarial report (research/adversarial-turn2.md) that need a running
// workspace: one, cloned from a private repository with no devcontainer.json (a dev8 image), made once.
// Each case asserts the exit code, the message, and that it left nothing behind; the last deletes it.
import { execFileSync } from 'node:child_process';
import { lstatSync, readdirSync, readFileSync, readlinkSync, statSync, symlinkSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  caseRunner,
  filesContaining,
  firstLink,
  getOverLoopback,
  literal,
  message,
  settled,
  watchCommandLines,
  type Row,
} from './support/cases.js';
import { devcEnv, devcProcess, json, uniquePrefix, type Run } from './support/devc.js';
import { dockerOut, removeWorkspaces } from './support/docker.js';
import { startGitServer, type GitServer } from './support/git-server.js';
import { leftovers, nothing } from './support/leftovers.js';

const prefix = uniquePrefix('adw');
const a = `${prefix}-a`;
const sandbox = path.join(os.tmpdir(), `${prefix}-sandbox`);
const cwd = path.join(sandbox, 'cwd');
let git: GitServer;
let env: NodeJS.ProcessEnv;
let cases: ReturnType<typeof caseRunner>;
let upA: Run;
/** Every command line seen while `a` came up, to look for the token in them (S07). */
const commandLines = new Set<string>();

beforeAll(async () => {
  git = await startGitServer();
  env = await devcEnv({ DEVC_GITHUB_URL: git.baseUrl, GITHUB_TOKEN: git.token });
  cases = caseRunner(env, prefix, cwd);
  await mkdir(cwd, { recursive: true });
  await git.createRepo(`acme/${a}`, { 'README.md': '# a\n' }, { private: true });
  await git.createRepo(`acme/${prefix}-other`, { 'README.md': '# other\n' });
  const watching = watchCommandLines(commandLines);
  upA = await cases.run(['up', `github/acme/${a}`, '--idle-timeout', '0']);
  watching.stop();
  expect(upA.exitCode, upA.stderr).toBe(0);
});

afterAll(async () => {
  await removeWorkspaces(prefix);
  await git?.close();
  await rm(sandbox, { recursive: true, force: true });
});

const run = (args: string[]) => cases.run(args);
const exec = (name: string, script: string) => cases.exec(name, script);
const expectCase = (args: string[], exitCode: number, pattern: RegExp) =>
  cases.expectCase(args, exitCode, pattern);
const hostPort = async (port: number) =>
  Number((await dockerOut(['port', `devc-${a}`, String(port)])).split(':').pop());

describe('cases against a running workspace', () => {
  const rows: Row[] = [
    ['L01', ['start', '-w', a], 0, new RegExp(`^Workspace ${a} is already running\\.`)],
    ['M05', ['exec', '-w', a, '--', 'sh', '-c', 'exit 42'], 42, /^$/],
    ['M14', ['exec', '-w', a], 2, /^error: missing required argument 'command'/],
    ['M21', ['logs', '--build', '-w', a], 1, new RegExp(`^error: Workspace ${a} has no build log\\.`)],
    ['C05a', ['cp', './nope.txt', `${a}:nope.txt`], 2, /^error: \S*\/nope\.txt does not exist\./],
    [
      'C05b',
      ['cp', `${a}:nope.txt`, './nope.txt'],
      2,
      new RegExp(`^error: nope\\.txt does not exist in workspace ${a}\\.`),
    ],
    [
      'C02',
      ['cp', `${a}:/etc/shadow`, './shadow'],
      1,
      new RegExp(`^error: Can't read /etc/shadow in workspace ${a}\\.`),
    ],
    [
      'N07',
      ['up', `github/acme/${prefix}-other`, '--name', a],
      2,
      new RegExp(`^error: Workspace ${a} holds \\S+/${a}\\.git, not \\S+/${prefix}-other\\.git\\.`),
    ],
    [
      'S08',
      ['exec', '-w', a, '--', 'ls', '/etc/devc'],
      2,
      /cannot open directory '\/etc\/devc': Permission denied/,
    ],
  ];
  it.each(rows)('%s devc %j exits %i', async (_id, args, exitCode, pattern) => {
    await expectCase(args, exitCode, pattern);
  });
});

describe('security of a running workspace (S, M09)', () => {
  const ssh = async (user: string, options: string[]) =>
    execa(
      'ssh',
      [
        ...['-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null'],
        ...options,
        ...['-p', String(await hostPort(2222)), `${user}@127.0.0.1`, 'true'],
      ],
      { reject: false },
    );

  it('S02 sshd refuses passwords: only publickey is offered', async () => {
    const result = await ssh('dev', [
      ...['-o', 'PreferredAuthentications=password,keyboard-interactive', '-o', 'PubkeyAuthentication=no'],
    ]);
    expect(result.exitCode).toBe(255);
    expect(String(result.stderr)).toMatch(/Permission denied \(publickey\)/);
  });

  it("S03 root can't log in with devc's own key; the workspace user can", async () => {
    const key = ['-o', 'IdentitiesOnly=yes', '-i', path.join(env.DEVC_HOME!, 'ssh', 'id_ed25519')];
    const root = await ssh('root', key);
    expect(root.exitCode).toBe(255);
    expect(String(root.stderr)).toMatch(/Permission denied/);
    expect((await ssh('dev', key)).exitCode).toBe(0);
  });

  it('S04 code-server without its secret: login page, wrong password refused, no files', async () => {
    const base = `http://127.0.0.1:${await hostPort(8080)}`;
    const root = await fetch(`${base}/`, { redirect: 'manual' });
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toMatch(/\/login$/);
    const login = await fetch(`${base}/login`, {
      method: 'POST',
      body: new URLSearchParams({ password: 'wrong' }),
      redirect: 'manual',
    });
    expect(await login.text()).toContain('Incorrect password');
    expect(login.headers.getSetCookie()).toEqual([]);
    const file = await fetch(`${base}/vscode-remote-resource?path=/etc/passwd`, { redirect: 'manual' });
    expect(file.status).toBe(401);
  });

  it('S05 the code --web login link works once, and a wrong token gets no cookie', async () => {
    const child = devcProcess(['code', '--web', '--no-open', '-w', a], env);
    const link = await firstLink(child);
    const wrong = await getOverLoopback(link, link.pathname.replace(/[^/]+$/, 'x'.repeat(32)));
    expect(wrong.status).not.toBe(302);
    expect(wrong.cookies).toEqual([]);
    const right = await getOverLoopback(link, link.pathname);
    expect(right.status).toBe(302);
    expect(right.cookies.some((c) => c.startsWith(`code-server-session-${a}=`))).toBe(true);
    const again = await getOverLoopback(link, link.pathname).catch(() => ({ status: 0, cookies: [] }));
    expect(again.cookies).toEqual([]);
    const done = await child;
    expect(done.exitCode, String(done.stderr)).toBe(0);
  });

  it('S07 the GitHub token shows in no command line, label, log, JSON or file but its own 0600 ones', async () => {
    const token = git.token;
    expect(commandLines.size).toBeGreaterThan(10);
    expect([...commandLines].filter((c) => c.includes(token))).toEqual([]);
    const volumes = (
      await dockerOut(['volume', 'ls', '-q', '--filter', `label=dev.devc.workspace=${a}`])
    ).split('\n');
    const seen = [
      await dockerOut(['inspect', `devc-${a}`]),
      await dockerOut(['volume', 'inspect', ...volumes]),
      String((await execa('docker', ['logs', `devc-${a}`], { all: true, reject: false })).all),
      (await run(['view', '-w', a, '--json'])).stdout,
      (await run(['list', '--json'])).stdout,
      (await exec(a, 'env; cat .git/config')).stdout,
      upA.stdout + upA.stderr,
    ];
    expect(seen.filter((s) => s.includes(token))).toEqual([]);
    const holders = filesContaining(env.DEVC_HOME!, token);
    expect(holders.length).toBeGreaterThan(0);
    for (const file of holders) {
      expect(path.basename(file)).toBe('github-token');
      expect(statSync(file).mode & 0o777).toBe(0o600);
    }
  });

  it("S09 the forwarder's folder is 0700, its files 0600, and it has no socket", () => {
    const dir = path.join(env.DEVC_HOME!, 'workspaces', a, 'forwarder');
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const files = readdirSync(dir);
    expect(files).toEqual(expect.arrayContaining(['pid', 'state.json', 'forwarder.log']));
    for (const file of files) {
      const s = lstatSync(path.join(dir, file));
      expect(s.isFile(), file).toBe(true);
      expect(s.mode & 0o777, file).toBe(0o600);
    }
  });

  it('M09 a tampered pinned host key stops ssh before the command runs, and stays tampered', async () => {
    const knownHosts = path.join(env.DEVC_HOME!, 'ssh', 'known_hosts');
    const original = await readFile(knownHosts, 'utf8');
    const other = path.join(sandbox, 'other-key');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', other]);
    const otherKey = readFileSync(`${other}.pub`, 'utf8').split(' ').slice(0, 2).join(' ');
    const tampered = original.replace(
      new RegExp(`^(${literal(a)}\\.devc) ssh-ed25519 \\S+`, 'm'),
      `$1 ${otherKey}`,
    );
    expect(tampered).not.toBe(original);
    await writeFile(knownHosts, tampered);
    try {
      const result = await run(['ssh', '-w', a, '--', 'touch', '/tmp/m09-ran']);
      expect(result.exitCode).toBe(255);
      expect(result.stderr).toContain('REMOTE HOST IDENTIFICATION HAS CHANGED');
      expect(await readFile(knownHosts, 'utf8')).toBe(tampered);
    } finally {
      await writeFile(knownHosts, original);
    }
    expect((await exec(a, 'test -e /tmp/m09-ran')).exitCode).toBe(1);
  });
});

describe('cp across the workspace boundary (C)', () => {
  it("C01 a path that climbs out of the workspace folder reads the container's file, not the host's", async () => {
    await expectCaseMakes(['cp', `${a}:../../etc/passwd`, './passwd'], /^✓ Copied/, ['passwd']);
    const inside = await exec(a, 'cat /etc/passwd');
    expect(readFileSync(path.join(cwd, 'passwd'), 'utf8')).toBe(inside.stdout);
    expect(inside.stdout).toMatch(/^dev:x:1000:/m);
    await rm(path.join(cwd, 'passwd'));
  });

  it('C03a an uploaded host symlink lands as a symlink; no host content is copied', async () => {
    symlinkSync('/etc/shadow', path.join(cwd, 'link'));
    const result = await run(['cp', './link', `${a}:link`]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(message(result)).toMatch(/^✓ Copied/);
    expect((await exec(a, 'readlink link')).stdout).toBe('/etc/shadow\n');
    await rm(path.join(cwd, 'link'));
    await exec(a, 'rm link');
  });

  it("C03b downloaded workspace symlinks stay symlinks, also with -r; their targets aren't followed", async () => {
    const made = await exec(
      a,
      'ln -s /etc/shadow wlink && ln -s / wroot && mkdir d && ln -s /etc/shadow d/inner',
    );
    expect(made.exitCode, made.stderr).toBe(0);
    for (const args of [
      ['cp', `${a}:wlink`, './wlink'],
      ['cp', '-r', `${a}:wroot`, './wroot'],
      ['cp', '-r', `${a}:d`, './d'],
    ]) {
      const result = await run(args);
      expect(result.exitCode, result.stderr).toBe(0);
    }
    expect(readlinkSync(path.join(cwd, 'wlink'))).toBe('/etc/shadow');
    expect(readlinkSync(path.join(cwd, 'wroot'))).toBe('/');
    expect(readlinkSync(path.join(cwd, 'd', 'inner'))).toBe('/etc/shadow');
    for (const f of ['wlink', 'wroot', 'd']) await rm(path.join(cwd, f), { recursive: true });
    await exec(a, 'rm -r wlink wroot d');
  });

  it('C04 an empty file goes both ways, owned by the workspace user', async () => {
    await writeFile(path.join(cwd, 'zero'), '');
    expect((await run(['cp', './zero', `${a}:zero`])).exitCode).toBe(0);
    expect((await exec(a, 'stat -c "%s %U" zero')).stdout).toBe('0 dev\n');
    await rm(path.join(cwd, 'zero'));
    expect((await run(['cp', `${a}:zero`, './zero'])).exitCode).toBe(0);
    expect(statSync(path.join(cwd, 'zero')).size).toBe(0);
    await rm(path.join(cwd, 'zero'));
    await exec(a, 'rm zero');
  });
});

/** Runs a case that succeeds and adds exactly `files` to the working folder. */
async function expectCaseMakes(args: string[], pattern: RegExp, files: string[]): Promise<void> {
  const before = await cases.state();
  const result = await run(args);
  expect(result.exitCode, result.stderr).toBe(0);
  expect(message(result)).toMatch(pattern);
  expect(await cases.state()).toEqual({ ...before, cwd: [...before.cwd, ...files].sort() });
}

describe('ports (P)', () => {
  let taken: net.Server;
  let takenPort: number;

  beforeAll(async () => {
    taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    takenPort = (taken.address() as net.AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => taken.close(() => resolve())));

  it('P01 a local port that is taken and asked for is an error naming it', async () => {
    await expectCase(
      ['ports', 'forward', `8080:${takenPort}`, '-w', a],
      1,
      new RegExp(
        `^error: Can't forward port 8080: local port ${takenPort} is taken, and it was asked for\\.`,
      ),
    );
  });

  it('P01b a taken port that was not asked for moves to another, with a warning', async () => {
    const result = await run(['ports', 'forward', String(takenPort), '-w', a]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(message(result)).toMatch(
      new RegExp(`^! Port ${takenPort}: local port ${takenPort} was taken; using \\d+\\.`),
    );
    expect((await run(['ports', 'stop', String(takenPort), '-w', a])).exitCode).toBe(0);
  });

  it('P03 forwarding to a privileged local port listens on 127.0.0.1 only', async () => {
    const result = await run(['ports', 'forward', '22:22', '-w', a]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/✓ Forwarded 22 → 127\.0\.0\.1:22/);
    expect(await listeners()).toContain('127.0.0.1:22');
    expect((await run(['ports', 'stop', '22', '-w', a])).exitCode).toBe(0);
  });

  it('P05 every listener devc opened is on 127.0.0.1', async () => {
    const forwarded = await listeners();
    expect(forwarded.length).toBeGreaterThan(0);
    expect(forwarded.filter((l) => !l.startsWith('127.0.0.1:'))).toEqual([]);
    const published = (await dockerOut(['port', `devc-${a}`])).split('\n');
    expect(published.length).toBeGreaterThan(1);
    expect(published.filter((p) => !/-> 127\.0\.0\.1:\d+$/.test(p))).toEqual([]);
  });

  /** Local addresses the test's devc processes listen on. */
  async function listeners(): Promise<string[]> {
    const pids = (await leftovers(env.DEVC_HOME!, prefix)).processes.map((p) => p.split(' ')[0]);
    const out = String((await execa('ss', ['-Hltnp'])).stdout);
    return out
      .split('\n')
      .filter((line) => pids.some((pid) => line.includes(`pid=${pid},`)))
      .map((line) => line.split(/\s+/)[3] ?? '');
  }
});

describe('lifecycle (L)', () => {
  it('L02 stop twice: the second says it is already stopped', async () => {
    expect((await run(['stop', '-w', a])).exitCode).toBe(0);
    await expectCase(['stop', '-w', a], 0, new RegExp(`^Workspace ${a} is already stopped\\.`));
  });

  it('L03 ssh to a stopped workspace starts it and runs the command', async () => {
    const result = await run(['ssh', '-w', a, '--', 'echo', 'hi']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(message(result)).toMatch(new RegExp(`^Workspace ${a} is stopped; starting it…`));
    expect(result.stdout).toBe('hi\n');
  });

  it('L06 after docker kill: list says exited, view works, ssh starts it again', async () => {
    await execa('docker', ['kill', `devc-${a}`]);
    const list = json<{ name: string; state: string }[]>(await run(['list', '--json']));
    expect(list.find((w) => w.name === a)?.state).toBe('exited');
    expect((await run(['view', '-w', a])).exitCode).toBe(0);
    const result = await run(['ssh', '-w', a, '--', 'echo', 'hi']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(message(result)).toMatch(new RegExp(`^Workspace ${a} is exited; starting it…`));
    expect(result.stdout).toBe('hi\n');
  });
});

describe('delete (L08): the last cases, they remove the workspace', () => {
  it('L08a delete refuses uncommitted work, naming the file, and keeps everything', async () => {
    expect((await exec(a, 'echo draft > notes.txt')).exitCode).toBe(0);
    const result = await expectCase(
      ['delete', '-w', a],
      1,
      new RegExp(`^error: Workspace ${a} has work that is not pushed anywhere\\.`),
    );
    expect(result.stderr).toContain('uncommitted: notes.txt');
  });

  it('L08b delete --force removes the container, volumes, folder and forwarder', async () => {
    const result = await run(['delete', '-w', a, '--force']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(message(result)).toMatch(new RegExp(`^✓ Deleted workspace ${a}$`));
    expect(await settled(env.DEVC_HOME!, prefix, (s) => s.processes.length === 0)).toEqual(nothing);
  });
});
