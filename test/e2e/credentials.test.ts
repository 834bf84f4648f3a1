import { mkdir, mkdtemp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bin, devc, devcEnv, json, uniquePrefix, type Run } from './support/devc.js';
import { dockerOut, removeWorkspaces } from './support/docker.js';
import { startGitServer, type GitServer } from './support/git-server.js';

// The OS keychain for real: Debian's gnome-keyring, unlocked in a D-Bus session (dbus-run-session)
// around each devc run, its keyring file kept in the test's HOME between runs. Read back with
// secret-tool (libsecret-tools) in a session of its own. scripts/setup-host.sh installs them.
const prefix = uniquePrefix('cred');
const UNLOCK = 'devc-test-keyring';
let git: GitServer;

/** A devc environment with its own HOME (the keyring, gh's config) and no D-Bus session of its own. */
async function isolated(extra: Record<string, string> = {}): Promise<NodeJS.ProcessEnv> {
  const home = await mkdtemp(path.join(os.tmpdir(), 'devc-cred-home-'));
  const env = await devcEnv({
    HOME: home,
    XDG_DATA_HOME: path.join(home, '.local', 'share'),
    XDG_CONFIG_HOME: path.join(home, '.config'),
    GH_CONFIG_DIR: path.join(home, '.config', 'gh'),
    ...extra,
  });
  delete env.DBUS_SESSION_BUS_ADDRESS;
  delete env.XDG_RUNTIME_DIR;
  return env;
}

/** Runs `command` inside a fresh D-Bus session with the test's keyring unlocked. */
async function inKeyring(command: string[], env: NodeJS.ProcessEnv, input?: string): Promise<Run> {
  // `--unlock` returns before the daemon owns org.freedesktop.secrets on the bus; a client that came
  // first would have D-Bus start a second, locked daemon. So wait (at most 5 s) for the name first.
  const owned =
    'dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus ' +
    'org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets | grep -q "boolean true"';
  const script = [
    'printf %s "$KEYRING_UNLOCK" | gnome-keyring-daemon --unlock --components=secrets >/dev/null',
    `i=0; until ${owned}; do i=$((i+1)); [ $i -lt 100 ] || exit 97; sleep 0.05; done`,
    'exec "$@"',
  ].join(' && ');
  const result = await execa('dbus-run-session', ['--', 'sh', '-c', script, 'sh', ...command], {
    env: { ...env, KEYRING_UNLOCK: UNLOCK },
    extendEnv: false,
    reject: false,
    timeout: 120_000,
    ...(input !== undefined ? { input } : { stdin: 'ignore' as const }),
  });
  return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
}

const devcInKeyring = (args: string[], env: NodeJS.ProcessEnv, input?: string) =>
  inKeyring([bin, ...args], env, input);

/** What secret-tool finds in the Secret Service for devc's entry `account`. */
async function secretTool(env: NodeJS.ProcessEnv, account: string): Promise<Run> {
  return inKeyring(['secret-tool', 'lookup', 'service', 'devc', 'username', account], env);
}

/** Every file under `dir` whose content holds `needle`. */
async function filesHolding(dir: string, needle: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    if ((await readFile(file, 'utf8').catch(() => '')).includes(needle)) found.push(file);
  }
  return found;
}

beforeAll(async () => {
  git = await startGitServer();
});

afterAll(async () => {
  await removeWorkspaces(prefix);
  await git?.close();
});

describe('with a Secret Service (gnome-keyring)', () => {
  it('keeps the token and secrets in it, in no file under DEVC_HOME, and says so', async () => {
    const env = await isolated();
    const token = `ghp_${prefix}_token`;
    const login = await devcInKeyring(['auth', 'login', '--with-token'], env, `${token}\n`);
    expect(login.exitCode, login.stderr).toBe(0);
    expect(login.stderr).toContain('the token is in the OS keychain');
    expect(login.stderr).not.toContain('No OS keychain');
    expect((await secretTool(env, 'github-token')).stdout).toBe(token);

    const status = await devcInKeyring(['auth', 'status', '--json'], env);
    expect(status.exitCode, status.stderr).toBe(0);
    expect(json(status)).toMatchObject({ loggedIn: true, source: 'keychain', stored: 'keychain' });
    expect(status.stdout + status.stderr).not.toContain(token);
    expect((await devcInKeyring(['auth', 'token'], env)).stdout).toBe(token); // execa drops the newline

    const value = `npm-${prefix}-value`;
    const set = await devcInKeyring(['secret', 'set', 'NPM_TOKEN', '--repo', 'acme/shop'], env, value);
    expect(set.exitCode, set.stderr).toBe(0);
    const account = (await secretToolSearch(env)).find((a) => a.endsWith('/NPM_TOKEN'));
    expect(account).toMatch(/^secret\/.+acme\/shop(\.git)?\/NPM_TOKEN$/);
    expect((await secretTool(env, account ?? '')).stdout).toBe(value);

    // The same repository, named another way, is the same scope.
    const list = await devcInKeyring(['secret', 'list', '--repo', 'github/acme/shop', '--json'], env);
    expect(list.exitCode, list.stderr).toBe(0);
    expect(json<unknown[]>(list)).toEqual([
      { name: 'NPM_TOKEN', repository: expect.stringContaining('acme/shop') },
    ]);
    expect(list.stdout).not.toContain(value);

    expect(await filesHolding(env.DEVC_HOME ?? '', token)).toEqual([]);
    expect(await filesHolding(env.DEVC_HOME ?? '', value)).toEqual([]);

    const doctor = await devcInKeyring(['doctor', '--json'], env);
    expect(json<{ name: string; ok: boolean; detail: string }[]>(doctor)).toContainEqual(
      expect.objectContaining({ name: 'keychain', ok: true }),
    );

    expect(
      (await devcInKeyring(['secret', 'delete', 'NPM_TOKEN', '--repo', 'acme/shop'], env)).exitCode,
    ).toBe(0);
    expect((await secretTool(env, account ?? '')).exitCode).not.toBe(0);
    const logout = await devcInKeyring(['auth', 'logout'], env);
    expect(logout.exitCode, logout.stderr).toBe(0);
    expect((await secretTool(env, 'github-token')).exitCode).not.toBe(0);
    const after = await devcInKeyring(['auth', 'token'], env);
    expect(after.exitCode).toBe(4);
  });

  it('up clones a private repository with the stored token; the workspace gets its copy', async () => {
    const env = await isolated({
      DEVC_GITHUB_URL: git.baseUrl,
      GIT_USER_NAME: 'Test User',
      GIT_USER_EMAIL: 'test@devc.invalid',
    });
    await git.createRepo(`acme/${prefix}-private`, { 'README.md': 'private\n' }, { private: true });
    expect((await devcInKeyring(['auth', 'login', '--with-token'], env, git.token)).exitCode).toBe(0);
    const up = await devcInKeyring(['up', `acme/${prefix}-private`, '--json', '--idle-timeout', '0'], env);
    expect(up.exitCode, up.stderr).toBe(0);
    const { name } = json<{ name: string }>(up);
    expect(git.requests.some((r) => r.authorized && r.url.includes('git-upload-pack'))).toBe(true);
    const gh = await devc(['ssh', '-w', name, '--', 'gh', 'auth', 'token'], env);
    expect(gh.stdout.trim()).toBe(git.token);
    expect(await dockerOut(['inspect', `devc-${name}`])).not.toContain(git.token);
    expect(up.stdout + up.stderr).not.toContain(git.token);
    // The workspace's copy is its own and goes with it: afterwards only the keychain holds the token.
    expect((await devc(['delete', '-w', name, '--force'], env)).exitCode).toBe(0);
    expect(await filesHolding(env.DEVC_HOME ?? '', git.token)).toEqual([]);
    expect((await secretTool(env, 'github-token')).stdout).toBe(git.token);
  });
});

/** The accounts devc stored in the Secret Service. */
async function secretToolSearch(env: NodeJS.ProcessEnv): Promise<string[]> {
  const run = await inKeyring(['secret-tool', 'search', '--all', 'service', 'devc'], env);
  // secret-tool prints the attributes on stderr.
  return [...`${run.stdout}\n${run.stderr}`.matchAll(/^attribute\.username = (.+)$/gm)].map(
    (m) => m[1] ?? '',
  );
}

describe('without a Secret Service', () => {
  it('warns in one line, then keeps the token and secrets in a 0600 file', async () => {
    const env = await isolated();
    const login = await devc(['auth', 'login', '--with-token'], env, { input: 'ghp_fallback\n' });
    expect(login.exitCode, login.stderr).toBe(0);
    const warnings = login.stderr.split('\n').filter((l) => l.includes('No OS keychain answers'));
    expect(warnings).toHaveLength(1);
    const file = path.join(env.DEVC_HOME ?? '', 'credentials.json');
    expect(warnings[0]).toContain(file);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ 'github-token': 'ghp_fallback' });

    const set = await devc(['secret', 'set', 'API_KEY'], env, { input: 'k1' });
    expect(set.exitCode, set.stderr).toBe(0);
    expect(set.stderr).toContain('No OS keychain answers');
    const status = await devc(['auth', 'status'], env);
    expect(status.stdout).toContain(`the token comes from ${file}`);
    expect(status.stderr).toContain('No OS keychain answers');
    const doctor = await devc(['doctor', '--json'], env);
    expect(json<{ name: string; ok: boolean; detail: string }[]>(doctor)).toContainEqual(
      expect.objectContaining({ name: 'keychain', ok: false, detail: expect.stringContaining(file) }),
    );
  });
});

describe('at a terminal', () => {
  it.each([
    [['auth', 'login'], 'Paste your GitHub token:', 'github-token'],
    [['secret', 'set', 'TYPED'], 'Value of TYPED:', 'secret/*/TYPED'],
  ])('%j asks with a prompt that shows nothing typed', async (args, prompt, account) => {
    const env = await isolated();
    const typed = `typed-${prefix}`;
    const pty = path.join(path.dirname(bin), '..', 'test', 'e2e', 'support', 'pty-answer.py');
    const run = await execa('python3', [pty, prompt, typed, bin, ...args], {
      env,
      extendEnv: false,
      reject: false,
    });
    expect(run.exitCode, String(run.stdout)).toBe(0);
    expect(String(run.stdout)).toContain(prompt);
    expect(String(run.stdout)).not.toContain(typed);
    const file = path.join(env.DEVC_HOME ?? '', 'credentials.json');
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ [account]: typed });
  });
});

describe('the other sources of the token', () => {
  it('GITHUB_TOKEN wins over a logged-in gh, which is used when nothing else is', async () => {
    const env = await isolated();
    await mkdir(env.GH_CONFIG_DIR ?? '', { recursive: true });
    await writeFile(
      path.join(env.GH_CONFIG_DIR ?? '', 'hosts.yml'),
      'github.com:\n    oauth_token: gho_from_gh_cli\n    user: tester\n    git_protocol: https\n',
    );
    const fromGh = await devc(['auth', 'status', '--json'], env);
    expect(json(fromGh)).toMatchObject({ source: 'gh', stored: null });
    expect((await devc(['auth', 'token'], env)).stdout).toBe('gho_from_gh_cli\n');
    const fromEnv = await devc(['auth', 'status'], { ...env, GITHUB_TOKEN: 'ghp_env' });
    expect(fromEnv.stdout).toContain('the GITHUB_TOKEN environment variable');
    expect(fromEnv.stdout).not.toContain('ghp_env');
  });
});

describe('bad input', () => {
  it.each([
    [['secret', 'set', '1BAD'], 'x', 2, /"1BAD" is not a valid secret name/],
    [['secret', 'set', 'GITHUB_TOKEN'], 'x', 2, /can't start with GITHUB_/],
    [['secret', 'set', 'NAME', '--value', 'x'], 'x', 2, /unknown option '--value'/],
    [['secret', 'set', 'NAME'], '', 2, /The value is empty/],
    [['secret', 'set', 'NAME', '--repo', './here'], 'x', 2, /not a local folder/],
    [['secret', 'delete', 'NOPE'], undefined, 2, /There is no secret NOPE/],
    [['auth', 'login', '--with-token'], '', 2, /The value is empty/],
    [['auth', 'login'], undefined, 2, /No terminal to ask for the token at/],
    [['auth', 'token'], undefined, 4, /not logged in[\s\S]*devc auth login/],
    [['auth', 'status'], undefined, 4, /not logged in[\s\S]*devc auth login/],
    [['config', 'set', 'colour', 'red'], undefined, 2, /Unknown config key "colour"[\s\S]*backend, registry/],
    [['config', 'set', 'backend', 'podman'], undefined, 2, /not a valid backend[\s\S]*docker, kubernetes/],
  ])('%j with stdin %j → exit %s', async (args, input, code, message) => {
    const env = await isolated();
    const run = await devc(args, env, input === undefined ? {} : { input });
    expect(run.exitCode, run.stderr).toBe(code);
    expect(run.stderr).toMatch(message);
    // Nothing was stored: no fallback file, no config.
    expect(await readdir(env.DEVC_HOME ?? '').catch(() => [])).not.toContain('credentials.json');
    expect(await readdir(env.DEVC_HOME ?? '').catch(() => [])).not.toContain('config.json');
  });
});
