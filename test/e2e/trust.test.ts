import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bin, devc, devcEnv, json, uniquePrefix, type Run } from './support/devc.js';
import { dockerOut, removeWorkspaces } from './support/docker.js';
import { startGitServer, type GitServer } from './support/git-server.js';

// A cloned repository's devcontainer.json may ask for things that reach this machine (D11, D12);
// devc runs them only with the user's yes, remembered per repository and what was asked, and asks
// again when the config changes inside the workspace (D12b). A rebuild reads the config before it
// removes anything (D16).
const prefix = uniquePrefix('tr');
const IMAGE = 'debian:bookworm-slim';
let git: GitServer;
let env: NodeJS.ProcessEnv;
/** Where initializeCommands leave their markers, and the host folder a config binds. */
let sandbox: string;
let hostDir: string;
const scratch: string[] = [];

const marker = (name: string) => path.join(sandbox, name);
const config = (extra: Record<string, unknown>) => ({
  '.devcontainer/devcontainer.json': JSON.stringify({ image: IMAGE, ...extra }, null, 2),
});
const errorLine = (run: Run) => run.stderr.split('\n').find((l) => l.startsWith('error:')) ?? run.stderr;
const containerId = (name: string) =>
  dockerOut(['ps', '-a', '-q', '--no-trunc', '--filter', `label=dev.devc.workspace=${name}`]);

beforeAll(async () => {
  git = await startGitServer();
  env = await devcEnv({ DEVC_GITHUB_URL: git.baseUrl });
  scratch.push(env.DEVC_HOME!);
  sandbox = await mkdtemp(path.join(os.tmpdir(), 'devc-trust-markers-'));
  hostDir = await mkdtemp(path.join(os.tmpdir(), 'devc-trust-host-'));
  scratch.push(sandbox, hostDir);
  await writeFile(path.join(hostDir, 'secret.txt'), 'host-secret\n');
  await git.createRepo(`acme/${prefix}-init`, config({ initializeCommand: `touch ${marker('init')}` }));
  await git.createRepo(
    `acme/${prefix}-bind`,
    config({ mounts: [`type=bind,source=${hostDir},target=/hostdir,readonly`] }),
  );
  await git.createRepo(`acme/${prefix}-ipc`, config({ runArgs: ['--ipc=host'] }));
  await git.createRepo(`acme/${prefix}-priv`, config({ runArgs: ['--privileged'] }));
  await git.createRepo(`acme/${prefix}-tty`, config({ initializeCommand: `touch ${marker('tty')}` }));
});

afterAll(async () => {
  await removeWorkspaces(prefix);
  await git?.close();
  for (const dir of scratch) await rm(dir, { recursive: true, force: true });
});

/** No container, no volume, no folder under DEVC_HOME: the refused `up` made nothing (the clone is gone). */
async function expectNothingLeft(name: string): Promise<void> {
  expect(await containerId(name)).toBe('');
  expect(await dockerOut(['volume', 'ls', '-q', '--filter', `label=dev.devc.workspace=${name}`])).toBe('');
  expect(existsSync(path.join(env.DEVC_HOME!, 'workspaces', name))).toBe(false);
}

async function expectRunning(name: string): Promise<void> {
  const list = json<{ name: string; state: string }[]>(await devc(['list', '--json'], env));
  expect(list.find((w) => w.name === name)?.state).toBe('running');
}

describe('what a cloned repository asks of this machine needs a yes', () => {
  /** Each kind: what the error names, the line that shows it, how the yes is given, what it then does. */
  const cases: [string, string, () => string, Record<string, string>, () => Promise<void>][] = [
    [
      'init',
      'initializeCommand',
      () => `initializeCommand: runs \`touch ${marker('init')}\` on this machine`,
      { flag: '--trust' },
      () => {
        expect(existsSync(marker('init'))).toBe(true);
        return Promise.resolve();
      },
    ],
    [
      'bind',
      'mounts',
      () => `mounts: binds ${hostDir} of this machine at /hostdir (read-only)`,
      { DEVC_TRUST: '1' },
      async () => {
        const read = await devc(['exec', '-w', `${prefix}-bind`, '--', 'cat', '/hostdir/secret.txt'], env);
        expect(read.stdout).toBe('host-secret\n');
      },
    ],
    [
      'ipc',
      'runArgs --ipc=host',
      () => "runArgs --ipc=host: shares this machine's shared memory",
      { flag: '--trust' },
      async () =>
        expect(await dockerOut(['inspect', '-f', '{{.HostConfig.IpcMode}}', `devc-${prefix}-ipc`])).toBe(
          'host',
        ),
    ],
  ];

  it.each(cases)(
    '%s: refused in CI without a yes, made nothing; made with one; resumed without',
    async (kind, source, line, yes, effect) => {
      const name = `${prefix}-${kind}`;
      const refused = await devc(['up', `github/acme/${name}`], { ...env, DEVC_TRUST: '0' });
      expect(refused.exitCode, refused.stderr).toBe(2);
      expect(errorLine(refused)).toBe(
        `error: .devcontainer/devcontainer.json asks for access to this machine: ${source}.`,
      );
      expect(refused.stderr).toContain(`  ${line()}\n`);
      expect(refused.stderr).toContain('Run again with --trust (or DEVC_TRUST=1) if you trust it.');
      if (kind === 'init') expect(existsSync(marker('init'))).toBe(false);
      await expectNothingLeft(name);

      const trusted = await devc(
        ['up', `github/acme/${name}`, '--json', ...(yes.flag ? [yes.flag] : [])],
        yes.DEVC_TRUST ? { ...env, DEVC_TRUST: yes.DEVC_TRUST } : env,
      );
      expect(trusted.exitCode, trusted.stderr).toBe(0);
      expect(json(trusted).name).toBe(name);
      await effect();
      const store = JSON.parse(await readFile(path.join(env.DEVC_HOME!, 'trust.json'), 'utf8')) as {
        trusted: { repository: string }[];
      };
      expect(store.trusted.map((t) => t.repository)).toContain(`${git.baseUrl}/acme/${name}.git`);

      const resumed = await devc(['up', `github/acme/${name}`], env);
      expect(resumed.exitCode, resumed.stderr).toBe(0);
      expect(resumed.stderr).not.toContain('asks for access');
    },
  );

  it('--privileged is refused the same way', async () => {
    const run = await devc(['up', `github/acme/${prefix}-priv`], env);
    expect(run.exitCode).toBe(2);
    expect(errorLine(run)).toBe(
      'error: .devcontainer/devcontainer.json asks for access to this machine: runArgs --privileged.',
    );
    await expectNothingLeft(`${prefix}-priv`);
  });

  it('the yes is remembered: made again after a delete, without --trust, the command runs again', async () => {
    const name = `${prefix}-init`;
    expect((await devc(['delete', '-w', name, '--force'], env)).exitCode).toBe(0);
    await rm(marker('init'));
    const run = await devc(['up', `github/acme/${name}`], env);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(existsSync(marker('init'))).toBe(true);
  });

  it("a local tree is the user's own: its initializeCommand runs without a question", async () => {
    const dir = path.join(await mkdtemp(path.join(os.tmpdir(), 'devc-trust-local-')), `${prefix}-local`);
    scratch.push(path.dirname(dir));
    await mkdir(path.join(dir, '.devcontainer'), { recursive: true });
    await writeFile(
      path.join(dir, '.devcontainer', 'devcontainer.json'),
      JSON.stringify({ image: IMAGE, initializeCommand: `touch ${marker('local')}` }),
    );
    const gitIn = (...args: string[]) => execa('git', ['-C', dir, ...args]);
    await gitIn('init', '-q', '-b', 'main');
    await gitIn('add', '-A');
    await gitIn('-c', 'user.name=T', '-c', 'user.email=t@example.invalid', 'commit', '-q', '-m', 'initial');
    const run = await devc(['up', dir], env);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(existsSync(marker('local'))).toBe(true);

    // Changed afterwards (the workspace can write the tree): a rebuild asks.
    await writeFile(
      path.join(dir, '.devcontainer', 'devcontainer.json'),
      JSON.stringify({ image: IMAGE, initializeCommand: `touch ${marker('local-edited')}` }),
    );
    const before = await containerId(`${prefix}-local`);
    const rebuild = await devc(['rebuild', '-w', `${prefix}-local`], env);
    expect(rebuild.exitCode).toBe(2);
    expect(errorLine(rebuild)).toBe(
      'error: .devcontainer/devcontainer.json has changed since you trusted it and asks for access to this machine: initializeCommand.',
    );
    expect(existsSync(marker('local-edited'))).toBe(false);
    expect(await containerId(`${prefix}-local`)).toBe(before);
  });
});

describe('rebuild reads the config, and asks, before it removes anything', () => {
  const name = `${prefix}-init`;
  const inWorkspace = (script: string) => devc(['exec', '-w', name, '--', 'sh', '-c', script], env);

  it('D12b: an initializeCommand edited inside the workspace is refused at rebuild; the workspace stays', async () => {
    const edit = await inWorkspace(
      `sed -i 's#${marker('init')}#${marker('edited')}#' .devcontainer/devcontainer.json`,
    );
    expect(edit.exitCode, edit.stderr).toBe(0);
    const before = await containerId(name);
    const run = await devc(['rebuild', '-w', name], env);
    expect(run.exitCode).toBe(2);
    expect(errorLine(run)).toBe(
      'error: .devcontainer/devcontainer.json has changed since you trusted it and asks for access to this machine: initializeCommand.',
    );
    expect(run.stderr).toContain(`initializeCommand: runs \`touch ${marker('edited')}\` on this machine`);
    expect(existsSync(marker('edited'))).toBe(false);
    expect(await containerId(name)).toBe(before);
    await expectRunning(name);
  });

  it('with --trust the rebuild runs the edited command', async () => {
    const run = await devc(['rebuild', '-w', name, '--trust'], env);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(existsSync(marker('edited'))).toBe(true);
    await expectRunning(name);
  });

  it('D16: a config broken inside the workspace fails the rebuild with the JSON error; nothing is removed', async () => {
    expect((await inWorkspace('printf "{ oops" > .devcontainer/devcontainer.json')).exitCode).toBe(0);
    const before = await containerId(name);
    const run = await devc(['rebuild', '-w', name], env);
    expect(run.exitCode).toBe(1);
    expect(errorLine(run)).toMatch(
      /^error: \.devcontainer\/devcontainer\.json is not valid JSON: .* line 1, column \d+\.$/,
    );
    expect(run.stderr).toContain(`Workspace ${name} is unchanged.`);
    expect(await containerId(name)).toBe(before);
    await expectRunning(name);
  });
});

describe('the question in a terminal', () => {
  /** Runs `devc ARGS` in a pseudo-terminal and types `answer` at the question. */
  async function inTerminal(args: string[], answer: string): Promise<{ exitCode: number; output: string }> {
    const terminalEnv: NodeJS.ProcessEnv = { ...env, TERM: 'xterm-256color' };
    delete terminalEnv.CI;
    const quoted = [bin, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    // A size, or progress spinners think the terminal is zero columns wide.
    const child = execa('script', ['-qfec', `stty cols 100 rows 30; exec ${quoted}`, '/dev/null'], {
      env: terminalEnv,
      extendEnv: false,
      reject: false,
      stdin: 'pipe',
      timeout: 600_000,
    });
    let output = '';
    let answered = false;
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (!answered && output.includes('[y/N]:')) {
        answered = true;
        child.stdin.write(`${answer}\r`);
      }
    });
    const result = await child;
    child.stdin.destroy();
    return { exitCode: result.exitCode ?? -1, output };
  }

  const name = `${prefix}-tty`;

  it('shows what is asked, one line each; n cancels (130) and makes nothing', async () => {
    const run = await inTerminal(['up', `github/acme/${name}`, '--ide', 'none'], 'n');
    expect(run.exitCode, run.output).toBe(130);
    expect(run.output).toContain(
      `.devcontainer/devcontainer.json of ${git.baseUrl}/acme/${name}.git asks for access to this machine:`,
    );
    expect(run.output).toContain(`  initializeCommand: runs \`touch ${marker('tty')}\` on this machine`);
    expect(run.output).toContain(
      "Trust this repository's devcontainer.json to do this on this machine? [y/N]:",
    );
    expect(run.output).toContain('Cancelled: not trusted.');
    expect(existsSync(marker('tty'))).toBe(false);
    await expectNothingLeft(name);
  });

  it('y goes on and runs it', async () => {
    const run = await inTerminal(['up', `github/acme/${name}`, '--ide', 'none'], 'y');
    expect(run.exitCode, run.output).toBe(0);
    expect(existsSync(marker('tty'))).toBe(true);
    await expectRunning(name);
  });
});
