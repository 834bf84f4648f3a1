// The agent's credentials (images/agent/lib/devc-agent/credentials.sh): the git credential helper, run
// through the agent's entry as git runs it, and the token it installs at every start.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const AGENT = path.resolve('images/agent/bin/devc-agent');
const LIB = path.resolve('images/agent/lib/devc-agent');
const FIXTURES = path.resolve('test/unit/fixtures/agent');

const temps: string[] = [];
afterEach(() => temps.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'devc-agent-creds-'));
  temps.push(dir);
  return dir;
}

/** `devc-agent git-credential ARGS`, as git calls it, with HOME at a fixture home (or any folder). */
function helper(home: string, args: string[], input: string) {
  const r = spawnSync('sh', [AGENT, 'git-credential', ...args], {
    encoding: 'utf8',
    input,
    env: { PATH: process.env.PATH, HOME: path.resolve(FIXTURES, home) },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const request = (protocol: string) => `protocol=${protocol}\nhost=github.com\npath=acme/repo.git\n\n`;
const answer = (token: string) => `username=x-access-token\npassword=${token}\n`;

describe('the git credential helper', () => {
  it.each([
    ['https, token given', 'home-token', ['get'], request('https'), answer('ghp_fixtureToken123')],
    [
      'a token file without a final newline',
      'home-token-no-newline',
      ['get'],
      request('https'),
      answer('ghp_fixtureNoNewline'),
    ],
    ['plain http', 'home-token', ['get'], request('http'), ''],
    [
      'plain http to a named host',
      'home-token',
      ['--allow-http', 'get'],
      request('http'),
      answer('ghp_fixtureToken123'),
    ],
    ['ssh', 'home-token', ['get'], request('ssh'), ''],
    ['no protocol', 'home-token', ['get'], 'host=github.com\n\n', ''],
    ['no token given', 'home-empty', ['get'], request('https'), ''],
    ['store', 'home-token', ['store'], `${request('https')}username=u\npassword=p\n`, ''],
    ['erase', 'home-token', ['erase'], request('https'), ''],
  ])('%s', (_name, home, args, input, expected) => {
    const r = helper(home, args, input);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(expected);
  });

  it('reads only the request, up to its blank line', () => {
    const r = helper('home-token', ['get'], `${request('https')}protocol=ssh\n`);
    expect(r.stdout).toBe(answer('ghp_fixtureToken123'));
  });
});

/** Runs the agent's github_token step for the current user, devc's config in a fixture folder. */
function githubToken(conf: string, home: string) {
  const uid = String(process.getuid?.() ?? 0);
  const gid = String(process.getgid?.() ?? 0);
  const r = spawnSync('sh', ['-c', '. "$0/common.sh"; . "$0/credentials.sh"; github_token', LIB], {
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH,
      CONF: path.join(FIXTURES, conf),
      USER_HOME: home,
      USER_NAME: 'dev',
      USER_UID: uid,
      USER_GID: gid,
    },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const mode = (file: string) => (statSync(file).mode & 0o777).toString(8);

describe('the token devc gives a workspace (github_token, at every start)', () => {
  it('is written, trimmed, for git and gh, readable by the user only; never logged', () => {
    const home = tempDir();
    const r = githubToken('conf-token', home);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('devc-agent: GitHub token installed for dev (gh, git over https)\n');
    const tokenFile = path.join(home, '.config/devc/github-token');
    const hosts = path.join(home, '.config/gh/hosts.yml');
    expect(readFileSync(tokenFile, 'utf8')).toBe('ghp_fromDevc456\n');
    expect(readFileSync(hosts, 'utf8')).toContain('    oauth_token: ghp_fromDevc456\n');
    expect([mode(tokenFile), mode(hosts)]).toEqual(['600', '600']);
    expect([mode(path.join(home, '.config/devc')), mode(path.join(home, '.config/gh'))]).toEqual([
      '700',
      '700',
    ]);
    // The helper then answers with it.
    expect(helper(home, ['get'], request('https')).stdout).toBe(answer('ghp_fromDevc456'));
  });

  it('is removed when devc gives none, with the hosts.yml it wrote but not one of the user', () => {
    const home = tempDir();
    expect(githubToken('conf-token', home).status).toBe(0);
    expect(githubToken('conf-empty', home).status).toBe(0);
    expect(existsSync(path.join(home, '.config/devc/github-token'))).toBe(false);
    expect(existsSync(path.join(home, '.config/gh/hosts.yml'))).toBe(false);

    const own = 'github.com:\n    oauth_token: ghp_theirOwn\n';
    writeFileSync(path.join(home, '.config/gh/hosts.yml'), own);
    expect(githubToken('conf-empty', home).status).toBe(0);
    expect(readFileSync(path.join(home, '.config/gh/hosts.yml'), 'utf8')).toBe(own);
  });
});
