import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { devc, devcEnv, json, root, uniquePrefix, type Run } from './support/devc.js';
import { removeWorkspaces, workspaceContainers } from './support/docker.js';
import { workflowSteps } from './support/workflow.js';

// CI mode: piped output (with CI set, and without) carries no escape sequences, nothing prompts, and
// the GitHub Actions template's commands run against the real engine.
const prefix = uniquePrefix('ci');
const ESC = '\u001b';
let ciEnv: NodeJS.ProcessEnv;
let pipedEnv: NodeJS.ProcessEnv;
let repo: string;

/** A local repository folder whose tests pass (test.sh), named so its workspace carries our prefix. */
async function makeRepo(name: string): Promise<string> {
  const dir = path.join(await mkdtemp(path.join(os.tmpdir(), 'devc-ci-')), name);
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'README.md'), `# ${name}\n`);
  await writeFile(path.join(dir, 'test.sh'), 'test -f README.md && echo "tests passed in $(hostname)"\n');
  const git = (...args: string[]) => execa('git', ['-C', dir, ...args]);
  await git('init', '-q', '-b', 'main');
  await git('add', '-A');
  await git('-c', 'user.name=T', '-c', 'user.email=t@example.invalid', 'commit', '-q', '-m', 'initial');
  return dir;
}

function expectPlain(run: Run, what: string): void {
  expect(run.stdout.includes(ESC), `${what}: escape sequence on stdout:\n${JSON.stringify(run.stdout)}`).toBe(
    false,
  );
  expect(run.stderr.includes(ESC), `${what}: escape sequence on stderr:\n${JSON.stringify(run.stderr)}`).toBe(
    false,
  );
}

/** Top-level commands and subcommands, read from the help itself so new commands are covered too. */
async function commandPaths(env: NodeJS.ProcessEnv, parent: string[] = []): Promise<string[][]> {
  const help = await devc([...parent, '--help'], env);
  const section = help.stdout.split(/^Commands:$/m)[1]?.split(/^\S/m)[0] ?? '';
  const names = [...section.matchAll(/^ {2}([a-z][\w-]*)/gm)].map((m) => m[1]!).filter((n) => n !== 'help');
  const paths: string[][] = [];
  for (const name of names) {
    paths.push([...parent, name]);
    if (parent.length === 0) paths.push(...(await commandPaths(env, [name])));
  }
  return paths;
}

beforeAll(async () => {
  ciEnv = await devcEnv();
  pipedEnv = { ...ciEnv };
  delete pipedEnv.CI;
  repo = await makeRepo(`${prefix}-app`);
});

afterAll(async () => {
  await removeWorkspaces(prefix);
});

describe('help, piped', () => {
  it('every command and subcommand prints its help with no escape sequences, with CI set or not', async () => {
    const paths = await commandPaths(ciEnv);
    expect(paths.map((p) => p.join(' '))).toEqual(
      expect.arrayContaining(['up', 'list', 'ssh', 'exec', 'delete', 'dashboard', 'doctor', 'images list']),
    );
    for (const env of [ciEnv, pipedEnv]) {
      for (const command of [[], ...paths]) {
        const run = await devc([...command, '--help'], env);
        expect(run.exitCode, `${command.join(' ')} --help`).toBe(0);
        expectPlain(run, `${command.join(' ')} --help`);
      }
    }
  });

  it('ends quietly when the reader goes away (`devc --help | head -1`)', async () => {
    const run = await execa('sh', ['-c', `'${path.join(root, 'bin', 'devc')}' serve --help | head -1`], {
      env: ciEnv,
      reject: false,
    });
    expect(run.stdout).toBe('Usage: devc serve [options]');
    expect(run.stderr).toBe('');
  });

  it('a failing up names the failing phase and shows the tail of its log on stderr, nothing on stdout', async () => {
    // Port 9 on loopback: nothing listens, so the clone fails at once.
    const run = await devc(['up', `github/acme/${prefix}-nowhere`], {
      ...ciEnv,
      DEVC_GITHUB_URL: 'http://127.0.0.1:9',
    });
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^✗ Cloning github\/acme\/.+: failed$/m);
    expect(run.stderr).toMatch(/^error: .+$/m);
    expect(run.stderr).toMatch(/^ {2}fatal: .+/m); // git's own last lines, indented
    expectPlain(run, 'failing up');
  });

  it('usage errors and unknown workspaces are plain too, with their exit codes', async () => {
    for (const env of [ciEnv, pipedEnv]) {
      const usage = await devc(['up', '.', '--variant', 'nope'], env);
      expect(usage.exitCode).toBe(2);
      expectPlain(usage, 'up --variant nope');
      const missing = await devc(['view', '-w', `${prefix}-nothing`], env);
      expect(missing.exitCode).toBe(1);
      expect(missing.stderr).toMatch(/no workspace named/i);
      expectPlain(missing, 'view -w missing');
    }
  });
});

describe('a workspace in CI mode, output piped, stdin closed', () => {
  let name: string;

  it('up --json prints only the JSON object on stdout, progress as plain lines on stderr', async () => {
    const run = await devc(['up', repo, '--json'], ciEnv);
    expect(run.exitCode, run.stderr).toBe(0);
    expectPlain(run, 'up --json');
    name = json<{ name: string }>(run).name;
    expect(name).toBe(`${prefix}-app`);
    expect(run.stderr).toMatch(/^✓ .+\(\d/m); // a finished phase with its duration
  });

  it.each([
    ['list'],
    ['list --json'],
    ['view -w NAME'],
    ['view -w NAME --json'],
    ['ssh -w NAME -- true'],
    ['exec -w NAME -- true'],
    ['logs -w NAME --tail 5'],
    ['ports -w NAME'],
    ['ports -w NAME --json'],
    ['code -w NAME'],
    ['config-ssh --dry-run'],
    ['dashboard'],
    ['images list'],
    ['images list --json'],
  ])('%s: completes, exit 0, no escape sequences (CI set, and piped without CI)', async (command) => {
    const args = command.split(' ').map((a) => (a === 'NAME' ? name : a));
    for (const env of [ciEnv, pipedEnv]) {
      const run = await devc(args, env, { timeoutMs: 300_000 });
      expect(run.exitCode, `${command}\n${run.stderr}`).toBe(0);
      expectPlain(run, command);
    }
  });

  it('doctor is plain whatever it finds', async () => {
    for (const env of [ciEnv, pipedEnv]) expectPlain(await devc(['doctor'], env), 'doctor');
  });

  it('dashboard without a terminal prints one frame with the workspace and exits', async () => {
    const run = await devc(['dashboard'], ciEnv);
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toMatch(/^devc dashboard {2}\d+ workspaces?$/m);
    expect(run.stdout).toMatch(new RegExp(`^ {2}${name} +running +${prefix}-app@main +docker `, 'm'));
  });

  it('with several workspaces and no -w, a command fails naming the flag instead of prompting', async () => {
    const second = await devc(['up', repo, '--name', `${prefix}-second`, '--json'], ciEnv);
    expect(second.exitCode, second.stderr).toBe(0);
    for (const command of [['ssh', '--', 'true'], ['exec', '--', 'true'], ['stop']]) {
      const run = await devc(command, ciEnv);
      expect(run.exitCode, command.join(' ')).toBe(2);
      expect(run.stderr).toMatch(/-w NAME/);
      expectPlain(run, command.join(' '));
    }
  });

  it('stop, start, rebuild and delete --force run to the end in CI mode', async () => {
    for (const command of [
      ['stop', '-w', name],
      ['start', '-w', name],
      ['rebuild', '-w', name],
      ['delete', '-w', name, '--force'],
      ['delete', '-w', `${prefix}-second`, '--force'],
    ]) {
      const run = await devc(command, ciEnv, { timeoutMs: 300_000 });
      expect(run.exitCode, `${command.join(' ')}\n${run.stderr}`).toBe(0);
      expectPlain(run, command.join(' '));
    }
    expect(await workspaceContainers(prefix)).toEqual([]);
  });
});

describe('the GitHub Actions template, run as a script against the real engine', () => {
  const template = path.join(root, 'templates', 'github-actions');
  const scriptEnv = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
    ...ciEnv,
    PATH: `${path.join(root, 'bin')}${path.delimiter}${ciEnv.PATH ?? ''}`,
    ...extra,
  });

  it('run-tests.sh: the tests pass inside the workspace, and the workspace is gone after', async () => {
    const dir = await makeRepo(`${prefix}-pass`);
    const run = await execa('bash', [path.join(template, 'run-tests.sh'), '.', '--', 'sh', 'test.sh'], {
      cwd: dir,
      env: scriptEnv(),
      extendEnv: false,
      reject: false,
      stdin: 'ignore',
      timeout: 600_000,
    });
    expect(run.exitCode, String(run.stderr)).toBe(0);
    expect(String(run.stdout)).toBe(`tests passed in ${prefix}-pass`);
    expect(await workspaceContainers(`${prefix}-pass`)).toEqual([]);
  });

  it("run-tests.sh: failing tests fail the job with the tests' own exit code, and still clean up", async () => {
    const dir = await makeRepo(`${prefix}-fail`);
    const run = await execa('bash', [path.join(template, 'run-tests.sh')], {
      cwd: dir,
      env: scriptEnv({ TEST_COMMAND: 'echo failing >&2; exit 3' }),
      extendEnv: false,
      reject: false,
      stdin: 'ignore',
      timeout: 600_000,
    });
    expect(run.exitCode).toBe(3);
    expect(String(run.stderr)).toContain('failing');
    expect(await workspaceContainers(`${prefix}-fail`)).toEqual([]);
  });

  it('devc-test.yml: its run steps, in order, as Actions would run them', async () => {
    const dir = await makeRepo(`${prefix}-yml`);
    const temp = await mkdtemp(path.join(os.tmpdir(), 'devc-runner-'));
    const output = path.join(temp, 'github-output');
    await writeFile(output, '');
    const steps = workflowSteps(await readFile(path.join(template, 'devc-test.yml'), 'utf8'));
    expect(steps.map((s) => s.name)).toEqual([
      'Install devc',
      'Start the devcontainer',
      'Run the tests inside it',
      'Delete the workspace',
    ]);
    const log: string[] = [];
    let failed = false;
    for (const step of steps) {
      if (step.name === 'Install devc') continue; // bin/devc of this checkout is on PATH instead
      if (failed && !step.if?.startsWith('always()')) continue;
      const outputs = Object.fromEntries(
        (await readFile(output, 'utf8'))
          .split('\n')
          .filter(Boolean)
          .map((l) => l.split('=', 2) as [string, string]),
      );
      const script = step.run.replace(
        /\$\{\{ steps\.up\.outputs\.(\w+) \}\}/g,
        (_, key: string) => outputs[key] ?? '',
      );
      const run = await execa('bash', ['-e', '-c', script], {
        cwd: dir,
        env: scriptEnv({ TEST_COMMAND: 'sh test.sh', RUNNER_TEMP: temp, GITHUB_OUTPUT: output }),
        extendEnv: false,
        reject: false,
        stdin: 'ignore',
        timeout: 600_000,
      });
      log.push(`${step.name}: exit ${run.exitCode}\n${String(run.stdout)}\n${String(run.stderr)}`);
      if (run.exitCode !== 0) failed = true;
    }
    expect(failed, log.join('\n')).toBe(false);
    expect(log.join('\n')).toContain(`tests passed in ${prefix}-yml`);
    expect(await workspaceContainers(`${prefix}-yml`)).toEqual([]);
  });
});
