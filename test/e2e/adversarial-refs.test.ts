// The good cases of the adversarial report (research/adversarial-turn2.md) that need no workspace:
// bad repository references, names, flags and environments. Each row is the report's case: exit code,
// the message, and nothing left behind.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { literal, message, type Row } from './support/cases.js';
import { devc, devcEnv, uniquePrefix, type Run } from './support/devc.js';
import { removeWorkspaces } from './support/docker.js';
import { startGitServer, type GitServer } from './support/git-server.js';
import { leftovers, nothing } from './support/leftovers.js';

const prefix = uniquePrefix('adr');
const plain = `github/acme/${prefix}plain`;
let git: GitServer;
let env: NodeJS.ProcessEnv;
let sandbox: string;

beforeAll(async () => {
  git = await startGitServer();
  env = await devcEnv({ DEVC_GITHUB_URL: git.baseUrl });
  sandbox = await mkdtemp(path.join(os.tmpdir(), `${prefix}-`));
  await git.createRepo(`acme/${prefix}plain`, { 'README.md': '# plain\n' });
  const config = JSON.stringify({ image: 'debian:bookworm-slim' });
  await git.createRepo(`acme/${prefix}two`, {
    '.devcontainer/one/devcontainer.json': config,
    '.devcontainer/two/devcontainer.json': config,
  });
});

afterAll(async () => {
  await removeWorkspaces(prefix);
  await git?.close();
  await rm(sandbox, { recursive: true, force: true });
});

async function expectCase(run: Run, exitCode: number, pattern: RegExp): Promise<void> {
  expect(run.exitCode, run.stderr).toBe(exitCode);
  expect(message(run)).toMatch(pattern);
  expect(await leftovers(env.DEVC_HOME!, prefix)).toEqual(nothing);
}

const notAReference = (ref: string) => new RegExp(`^error: "${literal(ref)}" is not a repository reference`);
const noWorkspace = (name: string) => new RegExp(`^error: There is no workspace named ${literal(name)}\\.`);
const notAName = (name: string) => new RegExp(`^error: "${literal(name)}" is not a valid workspace name`);
const notAPort = (spec: string) => new RegExp(`^error: "${literal(spec)}" is not REMOTE or REMOTE:LOCAL`);

describe('repository references (R)', () => {
  const rows: Row[] = [
    ['R01', ['up', ''], 2, notAReference('')],
    ['R02', ['up', '   '], 2, notAReference('   ')],
    ['R03', ['up', 'github/'], 2, notAReference('github/')],
    ['R04', ['up', 'github/a'], 2, notAReference('github/a')],
    ['R05', ['up', `${'a'.repeat(60)}/${'b'.repeat(60)}`], 4, /^error: Repository \S+ was not found/],
    ['R06', ['up', 'acme/plain ünïcødé'], 2, notAReference('acme/plain ünïcødé')],
    ['R07', ['up', 'ακμή/πλέον'], 2, notAReference('ακμή/πλέον')],
    ['R08', ['up', 'a;rm -rf /'], 2, notAReference('a;rm -rf /')],
    ['R09', ['up', '$(id)/x'], 2, notAReference('$(id)/x')],
    ['R10', ['up', 'https://user:pass@host/advq/qplain'], 2, /^error: Put the token in GITHUB_TOKEN/],
    ['R11', ['up', 'https://ghp_abcdef@host/advq/qplain'], 2, /^error: Put the token in GITHUB_TOKEN/],
    ['R13', ['up', 'acme/plain@--upload-pack=touch'], 2, notAReference('acme/plain@--upload-pack=touch')],
    ['R14', ['up', 'file:///etc'], 1, /^error: Cloning file:\/\/\/etc failed\./],
  ];
  it.each(rows)('%s devc %j exits %i', async (_id, args, exitCode, pattern) => {
    await expectCase(await devc(args, env), exitCode, pattern);
  });

  it('R12 an ssh URL whose host is an option fails to clone and runs no command', async () => {
    const marker = path.join(sandbox, 'pwned');
    const url = `ssh://-oProxyCommand=touch\${IFS}${marker}/x/repo`;
    await mkdir(marker);
    const run = await devc(['up', url], env);
    await expectCase(run, 1, /^error: Cloning ssh:\/\/-oProxyCommand=\S+ failed\./);
    expect(existsSync(path.join(marker, 'x'))).toBe(false);
  });
});

describe('workspace names (N)', () => {
  const rows: Row[] = [
    ['N01', ['up', plain, '--name', 'a/../../b'], 2, notAName('a/../../b')],
    ['N02', ['up', plain, '--name', 'Shop'], 2, notAName('Shop')],
    ['N03', ['up', plain, '--name', 'x'.repeat(64)], 2, notAName('x'.repeat(64))],
    ['N04', ['up', plain, '--name', ''], 2, notAName('')],
    ['N05', ['up', plain, '--name', '-rf'], 2, notAName('-rf')],
    ['N06', ['up', plain, '--name', 'ok;id'], 2, notAName('ok;id')],
  ];
  it.each(rows)('%s devc %j exits %i', async (_id, args, exitCode, pattern) => {
    await expectCase(await devc(args, env), exitCode, pattern);
  });
});

describe('flags, commands and configs (M, L, C, P)', () => {
  const rows: Row[] = [
    ['M01', ['up', `${plain}@nope`], 1, /^error: Branch nope does not exist in \S+plain\.git\./],
    [
      'M01b',
      ['up', '/nonexistent/project'],
      2,
      /^error: There is no folder \/nonexistent\/project\. Give a project/,
    ],
    ['M01c', ['prebuild', '/nonexistent/project'], 2, /^error: There is no folder \/nonexistent\/project\./],
    ['M02', ['up', plain, '--idle-timeout', 'abc'], 2, /^error: "abc" is not a duration\./],
    ['M02b', ['up', plain, '--idle-timeout=-5m'], 2, /^error: "-5m" is not a duration\./],
    [
      'M03',
      ['up', plain, '--variant', 'nope'],
      2,
      /^error: option '--variant <variant>' argument 'nope' is invalid/,
    ],
    [
      'M04',
      ['up', plain, '--backend', 'nope'],
      2,
      /^error: option '--backend <backend>' argument 'nope' is invalid/,
    ],
    ['M06', ['logs', '-w', 'nosuch'], 1, noWorkspace('nosuch')],
    // Names are names (issue 14): a host name that is no workspace name is a usage error.
    ['M13', ['ssh', '--stdio', '../../x.devc'], 2, notAName('../../x')],
    ['M13b', ['ssh', '--stdio', 'qplain.devc;id'], 2, notAName('qplain.devc;id')],
    ['M16', ['stop', '-w', 'nosuch'], 1, noWorkspace('nosuch')],
    ['M17', ['start', '-w', 'nosuch'], 1, noWorkspace('nosuch')],
    ['M18', ['rebuild', '-w', 'nosuch'], 1, noWorkspace('nosuch')],
    ['M19', ['nosuchcmd'], 2, /^error: unknown command 'nosuchcmd'/],
    ['M20', ['list', '--json', '--bogus'], 2, /^error: unknown option '--bogus'/],
    [
      'M22',
      ['up', `github/acme/${prefix}two`],
      2,
      /^error: This repository has 2 devcontainer\.json files; choose one with --devcontainer-path\./,
    ],
    [
      'M22b',
      ['up', plain, '--devcontainer-path', '../../../etc/passwd'],
      2,
      /^error: There is no devcontainer\.json at \.\.\/\.\.\/\.\.\/etc\/passwd\./,
    ],
    ['L04', ['delete', '-w', 'nosuch', '--force'], 1, noWorkspace('nosuch')],
    ['C05c', ['cp', './a', './b'], 2, /^error: Say which side is in the workspace: NAME:path/],
    ['C05d', ['cp', 'nosuchws:x', './x'], 1, noWorkspace('nosuchws')],
    ['P02', ['ports', 'forward', '0'], 2, notAPort('0')],
    ['P02b', ['ports', 'forward', '8080:0'], 2, notAPort('8080:0')],
    ['P04', ['ports', 'forward', '99999'], 2, notAPort('99999')],
    ['P06', ['ports', 'forward', 'abc'], 2, notAPort('abc')],
    ['P06b', ['ports', 'forward', '--', '-1'], 2, notAPort('-1')],
    ['P06c', ['ports', 'forward', '3000:3000:3000'], 2, notAPort('3000:3000:3000')],
  ];
  it.each(rows)('%s devc %j exits %i', async (_id, args, exitCode, pattern) => {
    await expectCase(await devc(args, env), exitCode, pattern);
  });
});

describe('odd environments (F, M12b)', () => {
  const rows: Row[] = [
    ['F01', ['list'], 1, /^error: Can't reach the Docker engine\./],
    ['F01b', ['up', plain], 1, /^error: Can't reach the Docker engine\./],
    ['F01c', ['ssh', '-w', 'x'], 1, /^error: Can't reach the Docker engine\./],
    ['F01d', ['doctor'], 1, /^error: 1 check failed\./],
  ];
  it.each(rows)(
    '%s DOCKER_HOST at a missing socket: devc %j exits %i',
    async (id, args, exitCode, pattern) => {
      const run = await devc(args, { ...env, DOCKER_HOST: `unix://${sandbox}/missing.sock` });
      await expectCase(run, exitCode, pattern);
      if (id === 'F01d') expect(run.stdout).toMatch(/✗ docker: .*doesn't answer/);
      else expect(run.stderr).toContain('DOCKER_HOST');
    },
  );

  it('M12b config-ssh leaves a symlinked ~/.ssh/config alone and says what to add', async () => {
    const home = path.join(sandbox, 'home');
    const dotfile = path.join(sandbox, 'dotfiles-ssh-config');
    await mkdir(path.join(home, '.ssh'), { recursive: true });
    await writeFile(dotfile, '# mine\n');
    await symlink(dotfile, path.join(home, '.ssh', 'config'));
    const run = await devc(['config-ssh'], { ...env, HOME: home });
    await expectCase(run, 1, /^error: \S+\/\.ssh\/config is a symbolic link to \S+; devc does not edit it\./);
    expect(run.stderr).toContain(`Include ${env.DEVC_HOME}/ssh/config`);
    expect(await readFile(dotfile, 'utf8')).toBe('# mine\n');
  });
});
