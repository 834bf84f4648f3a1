// The good cases of the adversarial report (research/adversarial-turn2.md) about devcontainer.json and
// about more than one workspace. Two workspaces, `b` and `c`, come from one local tree that is not a git
// repository, with an `image` config written as JSONC (the image is on the engine already). Each case
// asserts the exit code, the message, and that it left nothing behind; the last ones delete both.
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { caseRunner, message, settled, writeTree, type Row } from './support/cases.js';
import { devcEnv, json, uniquePrefix, type Run } from './support/devc.js';
import { removeWorkspaces } from './support/docker.js';
import { leftovers, nothing } from './support/leftovers.js';

const prefix = uniquePrefix('adc');
const b = `${prefix}-b`;
const c = `${prefix}-c`;
const sandbox = path.join(os.tmpdir(), `${prefix}-sandbox`);
const cwd = path.join(sandbox, 'cwd');
const tree = path.join(sandbox, 'tree');
const treeHook = path.join(sandbox, 'tree-hook');
let env: NodeJS.ProcessEnv;
let cases: ReturnType<typeof caseRunner>;
let upB: Run;

beforeAll(async () => {
  env = await devcEnv();
  cases = caseRunner(env, prefix, cwd);
  await mkdir(cwd, { recursive: true });
  await writeTree(tree, {
    '.devcontainer/devcontainer.json': `// JSONC, as VS Code allows: comments and trailing commas (D02)
{
  "image": "debian:bookworm-slim",
  /* D09b */ "workspaceFolder": "/opt/elsewhere",
  "containerEnv": { "A": "1", },
  "forwardPorts": [3000,],
  "hostRequirements": { "cpus": 512, "memory": "1tb", }, // D08
}
`,
    'README.md': '# b\n',
  });
  await writeTree(treeHook, {
    '.devcontainer.json': JSON.stringify({
      image: 'debian:bookworm-slim',
      postCreateCommand: 'echo about-to-fail; exit 3',
    }),
  });
  upB = await cases.run(['up', tree, '--name', b, '--idle-timeout', '0']);
  expect(upB.exitCode, upB.stderr).toBe(0);
  const upC = await cases.run(['up', tree, '--name', c, '--idle-timeout', '0']);
  expect(upC.exitCode, upC.stderr).toBe(0);
});

afterAll(async () => {
  await removeWorkspaces(prefix);
  await rm(sandbox, { recursive: true, force: true });
});

describe('a JSONC image config in a local tree that is not a git repository (D)', () => {
  it('D13 comes up (no git repository, image already present)', async () => {
    expect(existsSync(path.join(tree, '.git'))).toBe(false);
    const view = json<{ state: string; image: string }>(await cases.run(['view', '-w', b, '--json']));
    expect(view).toMatchObject({ state: 'running', image: 'debian:bookworm-slim' });
  });

  it('D02 comments and trailing commas are read: containerEnv and forwardPorts apply', async () => {
    const env = await cases.exec(b, 'echo "A=$A"');
    expect(env.stdout.trim(), env.stderr).toBe('A=1');
    const ports = json<{ remote: number }[]>(await cases.run(['ports', '-w', b, '--json']));
    expect(ports.map((p) => p.remote)).toContain(3000);
  });

  it('D08 hostRequirements beyond the engine are a warning, not an error', () => {
    expect(upB.stderr).toMatch(/^! This workspace asks for 512 CPUs; the Docker engine has \d+\./m);
  });

  it('D09b workspaceFolder elsewhere: the source is there, and exec and ssh start there', async () => {
    const inExec = await cases.exec(b, 'pwd; cat README.md');
    expect(inExec.stdout, inExec.stderr).toBe('/opt/elsewhere\n# b\n');
    const inSsh = await cases.run(['ssh', '-w', b, '--', 'pwd']);
    expect(inSsh.stdout.trim(), inSsh.stderr).toBe('/opt/elsewhere');
  });
});

describe('failures with workspaces around (D05, L05)', () => {
  const rows: Row[] = [
    [
      'D05',
      ['up', treeHook, '--name', `${prefix}-hook`],
      1,
      /^error: The dev container failed at the postCreateCommand step: .*exit 3/,
    ],
    ['L05', ['ssh', '--', 'true'], 2, /^error: You have \d+ workspaces; say which one with -w NAME\./],
    ['L05b', ['delete'], 2, /^error: You have \d+ workspaces; say which one with -w NAME\./],
  ];
  it.each(rows)('%s devc %j exits %i', async (_id, args, exitCode, pattern) => {
    await cases.expectCase(args, exitCode, pattern);
  });
});

describe('the last cases: they delete both workspaces (K02)', () => {
  it('K02 up (resume) and delete --force at once leave a whole workspace or nothing', async () => {
    expect((await cases.run(['stop', '-w', c])).exitCode).toBe(0);
    const [up, del] = await Promise.all([
      cases.run(['up', tree, '--name', c, '--idle-timeout', '0']),
      cases.run(['delete', '-w', c, '--force']),
    ]);
    expect(del.exitCode, del.stderr).toBe(0);
    if (up.exitCode !== 0) {
      expect(up.exitCode).toBe(1);
      expect(message(up)).toMatch(new RegExp(`^error: Workspace ${c} disappeared while starting\\.`));
    }
    const after = await leftovers(env.DEVC_HOME!, prefix);
    const whole =
      after.containers.includes(c) && after.folders.includes(c) && after.volumes.includes(`devc-${c}-home`);
    // Either up resumed it before delete came, and it is whole; or nothing of it is left.
    if (whole) expect((await cases.run(['delete', '-w', c, '--force'])).exitCode).toBe(0);
    else {
      expect(after.containers).not.toContain(c);
      expect(after.volumes.filter((v) => v.startsWith(`devc-${c}-`))).toEqual([]);
      expect(after.folders).not.toContain(c);
    }
  });

  it('deleting the other leaves nothing: no container, volume, folder, lock or process', async () => {
    expect((await cases.run(['delete', '-w', b, '--force'])).exitCode).toBe(0);
    expect(await settled(env.DEVC_HOME!, prefix, (s) => s.processes.length === 0)).toEqual(nothing);
  });
});
