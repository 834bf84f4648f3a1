// Secrets given with `up --secrets-file` reach the workspace's SSH sessions, `devc exec`, lifecycle hooks
// and code-server, through files only: never in docker inspect, labels, devc's output or its logs.
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { devc, devcEnv, json, uniquePrefix, type Run } from './support/devc.js';
import { dockerOut, removeWorkspaces } from './support/docker.js';
import { startGitServer, type GitServer } from './support/git-server.js';
import { leftovers } from './support/leftovers.js';

const prefix = uniquePrefix('sec');
const userImage = `devc-test/secrets-user:${prefix}`;
const name = `${prefix}-hooks`;
// Quotes, a backslash, a dollar and spaces: each must arrive as it is.
const first = `s3cret "one" it's \\ $HOME ${prefix}`;
const second = `second-value-${prefix}`;
const sha = (value: string) => createHash('sha256').update(value).digest('hex');
let git: GitServer;
let env: NodeJS.ProcessEnv;
let dir: string;

beforeAll(async () => {
  git = await startGitServer();
  // A token, so the workspace's github-token copy is checked too.
  env = await devcEnv({ DEVC_GITHUB_URL: git.baseUrl, GITHUB_TOKEN: git.token });
  dir = env.DEVC_HOME ?? os.tmpdir();
  await execa('docker', ['build', '-q', '-t', userImage, '-'], {
    input: 'FROM debian:bookworm-slim\nRUN useradd -m -u 1000 -s /bin/bash app\n',
  });
  // A local image: the direct path, hooks through `devcontainer run-user-commands`.
  await git.createRepo(`acme/${name}`, {
    '.devcontainer/devcontainer.json': JSON.stringify({
      image: userImage,
      remoteUser: 'app',
      postCreateCommand:
        'printf %s "$MYSECRET" | sha256sum | cut -d" " -f1 > /tmp/created; echo "hook saw $MYSECRET"',
      postStartCommand: ['sh', '-c', 'printf %s "$MYSECRET" | sha256sum | cut -d" " -f1 > /tmp/started'],
    }),
  });
  // A Dockerfile: the Dev Containers CLI's path (`devcontainer up`, then devc's run-user-commands).
  await git.createRepo(`acme/${prefix}-built`, {
    '.devcontainer/devcontainer.json': JSON.stringify({
      build: { dockerfile: 'Dockerfile' },
      remoteUser: 'app',
      onCreateCommand: { hash: 'printf %s "$MYSECRET" | sha256sum | cut -d" " -f1 > /tmp/on-create' },
      postCreateCommand: ['sh', '-c', 'echo "built hook saw $MYSECRET"'],
    }),
    '.devcontainer/Dockerfile': `FROM ${userImage}\n`,
  });
}, 300_000);

afterAll(async () => {
  await removeWorkspaces(prefix);
  // The image the Dev Containers CLI built for the Dockerfile config (vsc-<folder>-<hash>).
  const built = (
    await dockerOut(['images', '--format', '{{.Repository}}', '--filter', `reference=vsc-${prefix}-*`])
  )
    .split('\n')
    .filter(Boolean);
  await execa('docker', ['rmi', '-f', ...built, userImage], { reject: false });
  await git?.close();
});

const secretsFile = async (file: string, text: string): Promise<string> => {
  const full = path.join(dir, file);
  await writeFile(full, text);
  return full;
};
const inContainer = (user: string, script: string) =>
  dockerOut(['exec', '--user', user, `devc-${name}`, 'sh', '-c', script]);
const noSecretIn = (what: string, text: string) => {
  for (const value of [first, second, 'other-value-xyz', git.token])
    expect(text.includes(value), `${what} shows a secret`).toBe(false);
};
const outputs = (run: Run) => `${run.stdout}\n${run.stderr}`;

describe('secrets on Docker', () => {
  it('refuses a secrets file that does not parse, or a name that is no identifier; nothing is made', async () => {
    const before = await leftovers(dir, prefix);
    const broken = await secretsFile('broken.env', 'GOOD=1\nthis line is not an assignment\n');
    const run = await devc(['up', `github/acme/${name}`, '--secrets-file', broken], env);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toContain(`The secrets file ${broken} does not parse at line 2: expected NAME=value.`);
    const badName = await secretsFile('bad.json', '{"MY-SECRET": "x"}');
    const named = await devc(['up', `github/acme/${name}`], { ...env, DEVC_SECRETS_FILE: badName });
    expect(named.exitCode).toBe(2);
    expect(named.stderr).toContain('"MY-SECRET" is not a valid secret name');
    expect(await leftovers(dir, prefix)).toEqual(before);
  });

  it('reach ssh, exec, hooks and code-server; never inspect, labels, output or logs', async () => {
    const file = await secretsFile(
      'secrets.json',
      JSON.stringify({ MYSECRET: first, OTHER: 'other-value-xyz' }),
    );
    const up = await devc(['up', `github/acme/${name}`, '--secrets-file', file, '--json'], env);
    expect(up.exitCode, up.stderr).toBe(0);
    expect(json<{ name: string }>(up).name).toBe(name);
    noSecretIn('up', outputs(up));

    // SSH: a command, and a login shell.
    const ssh = await devc(['ssh', '-w', name, '--', 'printenv', 'MYSECRET'], env);
    expect(ssh.stdout).toBe(`${first}\n`);
    const login = await devc(['ssh', '-w', name, '--', 'bash', '-lc', 'echo "$OTHER"'], env);
    expect(login.stdout).toBe('other-value-xyz\n');
    const exec = await devc(['exec', '-w', name, '--', 'printenv', 'MYSECRET'], env);
    expect(exec.stdout).toBe(`${first}\n`);
    // The hooks saw it (postCreateCommand on create, postStartCommand on start).
    expect(await inContainer('app', 'cat /tmp/created')).toBe(sha(first));
    // code-server's environment, as its user reads it (its terminals inherit it).
    const environ = await inContainer(
      'app',
      'for p in /proc/[0-9]*; do case $(tr "\\0" " " <$p/cmdline 2>/dev/null) in *code-server*--config*) tr "\\0" "\\n" <$p/environ; exit;; esac; done',
    );
    expect(environ.split('\n')).toContain(`MYSECRET=${first}`);

    // Files only the workspace user reads, as the container sees them.
    expect(await inContainer('root', 'stat -c "%a %U %n" /etc/devc/secrets.env /etc/devc/github-token')).toBe(
      '600 root /etc/devc/secrets.env\n600 root /etc/devc/github-token',
    );
    expect(
      await inContainer(
        'root',
        'stat -c "%a %U %n" /run/devc/secrets.sh /home/app/.config/devc/github-token',
      ),
    ).toBe('600 app /run/devc/secrets.sh\n600 app /home/app/.config/devc/github-token');
    expect(
      await inContainer('nobody', 'cat /run/devc/secrets.sh /home/app/.config/devc/github-token 2>&1'),
    ).toMatch(/Permission denied[\s\S]*Permission denied/);

    // Nowhere else: the container, its labels, the agent's exec, devc's views and logs.
    noSecretIn('docker inspect', await dockerOut(['inspect', `devc-${name}`]));
    const execIds = JSON.parse(
      await dockerOut(['inspect', '--format', '{{json .ExecIDs}}', `devc-${name}`]),
    ) as string[] | null;
    expect(execIds?.length ?? 0).toBeGreaterThan(0);
    for (const id of execIds ?? []) {
      const inspected = await execa('curl', [
        '-s',
        '--unix-socket',
        '/var/run/docker.sock',
        `http://docker/exec/${id}/json`,
      ]);
      noSecretIn('exec inspect', String(inspected.stdout));
    }
    for (const args of [
      ['list', '--json'],
      ['view', '-w', name, '--json'],
      ['logs', '-w', name],
    ]) {
      const run = await devc(args, env);
      expect(run.exitCode, run.stderr).toBe(0);
      noSecretIn(args.join(' '), outputs(run));
    }
    const build = await devc(['logs', '--build', '-w', name], env);
    expect(build.stdout).toContain('hook saw ***');
    noSecretIn('logs --build', build.stdout);
  });

  it('a changed secret reaches the workspace on its next start', async () => {
    const file = await secretsFile('changed.env', `MYSECRET=${second}\n`);
    expect((await devc(['stop', '-w', name], env)).exitCode).toBe(0);
    const start = await devc(['start', '-w', name], { ...env, DEVC_SECRETS_FILE: file });
    expect(start.exitCode, start.stderr).toBe(0);
    const ssh = await devc(['ssh', '-w', name, '--', 'printenv', 'MYSECRET'], env);
    expect(ssh.stdout).toBe(`${second}\n`);
    // OTHER came from the first file only: the new file replaces it.
    expect((await devc(['exec', '-w', name, '--', 'sh', '-c', 'echo "${OTHER-unset}"'], env)).stdout).toBe(
      'unset\n',
    );
    // postStartCommand runs in the background after a start.
    let started = '';
    for (let i = 0; i < 60 && started !== sha(second); i++) {
      started = await inContainer('app', 'cat /tmp/started 2>/dev/null');
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(started).toBe(sha(second));
    // A start without a file keeps what the last one gave.
    expect((await devc(['stop', '-w', name], env)).exitCode).toBe(0);
    expect((await devc(['up', `github/acme/${name}`], env)).exitCode).toBe(0);
    expect((await devc(['ssh', '-w', name, '--', 'printenv', 'MYSECRET'], env)).stdout).toBe(`${second}\n`);
    noSecretIn('logs --build', (await devc(['logs', '--build', '-w', name], env)).stdout);
  });

  it('reach the hooks of a config the Dev Containers CLI builds, masked in its log', async () => {
    const built = `${prefix}-built`;
    const file = await secretsFile('built.env', `MYSECRET="${second}"\n`);
    const up = await devc(['up', `github/acme/${built}`, '--secrets-file', file, '--trust'], env);
    expect(up.exitCode, up.stderr).toBe(0);
    noSecretIn('up', outputs(up));
    const hash = await dockerOut(['exec', '--user', 'app', `devc-${built}`, 'cat', '/tmp/on-create']);
    expect(hash).toBe(sha(second));
    const log = await devc(['logs', '--build', '-w', built], env);
    expect(log.stdout).toContain('built hook saw ***');
    noSecretIn('logs --build', log.stdout);
    noSecretIn('docker inspect', await dockerOut(['inspect', `devc-${built}`]));
  });
});
