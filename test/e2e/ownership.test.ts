// A workspace belongs to the DEVC_HOME that made it, names read from labels or flags are names, and a
// workspace whose container was removed behind devc's back is still listed and deletable
// (research/adversarial-turn2.md: S10, S11, L07a, L07b, M15).
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { caseRunner, literal, message } from './support/cases.js';
import { devc, devcEnv, json, uniquePrefix } from './support/devc.js';
import { dockerOut, removeWorkspaces, workspaceContainers } from './support/docker.js';
import { startGitServer, type GitServer } from './support/git-server.js';
import { leftovers, nothing } from './support/leftovers.js';

const prefix = uniquePrefix('own');
/** Made by `owner`, then reached from `other`'s DEVC_HOME (S10). */
const shared = `${prefix}-shared`;
/** Its container is removed with `docker rm -f` (L07). */
const gone = `${prefix}-gone`;
/** A container anyone could start with a workspace label that is no name (S11). */
const planted = `${prefix}-dotdot`;
const user = os.userInfo().username;
let git: GitServer;
let owner: NodeJS.ProcessEnv;
let other: NodeJS.ProcessEnv;
let sandbox: string;

type Listed = {
  name: string;
  state: string;
  stateReason: string | null;
  owner: string | null;
  mine: boolean;
};

beforeAll(async () => {
  git = await startGitServer();
  owner = await devcEnv({ DEVC_GITHUB_URL: git.baseUrl });
  other = await devcEnv({ DEVC_GITHUB_URL: git.baseUrl });
  sandbox = await mkdtemp(path.join(os.tmpdir(), `${prefix}-`));
  for (const name of [shared, gone]) await git.createRepo(`acme/${name}`, { 'README.md': `# ${name}\n` });
  for (const name of [shared, gone]) {
    const up = await devc(['up', `acme/${name}`, '--idle-timeout', '0'], owner);
    expect(up.exitCode, up.stderr).toBe(0);
  }
  // Unsaved work in both clones: what another DEVC_HOME must not drop unasked.
  for (const name of [shared, gone]) await writeFile(path.join(await clone(name), 'wip.txt'), 'draft\n');
  const plant = await execa(
    'docker',
    [
      'run',
      '-d',
      '--label',
      'dev.devc.workspace=..',
      '--name',
      planted,
      'debian:bookworm-slim',
      'sleep',
      '600',
    ],
    { reject: false },
  );
  expect(plant.exitCode, String(plant.stderr)).toBe(0);
});

afterAll(async () => {
  await execa('docker', ['rm', '-f', planted], { reject: false });
  await removeWorkspaces(prefix);
  await git?.close();
  for (const dir of [owner?.DEVC_HOME, other?.DEVC_HOME, sandbox])
    if (dir) await rm(dir, { recursive: true, force: true });
});

/** The clone on the host, under the owner's DEVC_HOME. */
function clone(name: string): Promise<string> {
  return dockerOut(['inspect', '-f', '{{index .Config.Labels "dev.devc.source"}}', `devc-${name}`]);
}

const list = async (env: NodeJS.ProcessEnv) => json<Listed[]>(await devc(['list', '--json'], env));
const volumes = async (name: string) =>
  (await dockerOut(['volume', 'ls', '-q', '--filter', `label=dev.devc.workspace=${name}`]))
    .split('\n')
    .filter(Boolean);

describe('another DEVC_HOME’s workspace (S10)', () => {
  const whose = `Workspace ${shared} was made by another devc home (owner ${user}).`;

  it.each([
    ['delete', ['delete', '-w', shared]],
    ['stop', ['stop', '-w', shared]],
    ['rebuild', ['rebuild', '-w', shared]],
  ])('%s is refused without --force, naming whose it is; nothing changes', async (_verb, args) => {
    const cases = caseRunner(other, prefix, sandbox);
    const before = await leftovers(owner.DEVC_HOME!, prefix);
    const run = await cases.expectCase(args, 1, new RegExp(`^error: ${literal(whose)}$`));
    expect(run.stderr).toContain('--force');
    expect(await leftovers(owner.DEVC_HOME!, prefix)).toEqual(before);
    expect(existsSync(path.join(await clone(shared), 'wip.txt'))).toBe(true);
    expect((await list(owner)).find((w) => w.name === shared)?.state).toBe('running');
  });

  it('list shows it to both, and says whose it is', async () => {
    expect((await list(other)).find((w) => w.name === shared)).toMatchObject({ owner: user, mine: false });
    expect((await list(owner)).find((w) => w.name === shared)).toMatchObject({ owner: user, mine: true });
    const text = await devc(['list'], other);
    expect(text.stdout.split('\n')[0]).toMatch(/ OWNER$/);
    expect(text.stdout.split('\n').find((l) => l.startsWith(`${shared} `))).toContain(
      `${user} (another devc home)`,
    );
  });

  it('delete --force goes ahead and says whose it was; the owner’s DEVC_HOME is not touched', async () => {
    const source = await clone(shared);
    const run = await devc(['delete', '-w', shared, '--force'], other);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stderr.split('\n')[0]).toContain(
      `Workspace ${shared} was made by another devc home (owner ${user}); --force is deleting it anyway.`,
    );
    expect(run.stderr).toContain(`Deleted workspace ${shared}`);
    expect(await workspaceContainers(shared)).toEqual([]);
    expect(await volumes(shared)).toEqual([]);
    expect(existsSync(path.join(source, 'wip.txt'))).toBe(true);
    expect(await leftovers(other.DEVC_HOME!, shared)).toEqual(nothing);
  });
});

describe('a container whose workspace label is no name (S11, M15)', () => {
  it('list warns about it, naming the container, and leaves it out', async () => {
    const run = await devc(['list', '--json'], owner);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stderr).toContain(
      `Ignored container ${planted}: its dev.devc.workspace label ".." is not a valid workspace name.`,
    );
    expect(json<Listed[]>(run).map((w) => w.name)).not.toContain('..');
  });

  it('delete --all of a fresh DEVC_HOME deletes nothing: its key, its parent and the container stay', async () => {
    const parent = await mkdtemp(path.join(sandbox, 'parent-'));
    const home = path.join(parent, 'home');
    await mkdir(path.join(home, 'ssh'), { recursive: true });
    await writeFile(path.join(home, 'ssh', 'id_ed25519'), 'key\n');
    await writeFile(path.join(parent, 'beside-home'), 'keep\n');
    const run = await devc(['delete', '--all'], { ...owner, DEVC_HOME: home });
    expect(run.exitCode, run.stderr).toBe(0);
    expect(message(run)).toBe('No workspace to delete.');
    expect(existsSync(path.join(home, 'ssh', 'id_ed25519'))).toBe(true);
    expect(existsSync(path.join(parent, 'beside-home'))).toBe(true);
    expect(await dockerOut(['inspect', '-f', '{{.State.Running}}', planted])).toBe('true');
  });

  it.each([
    ['S11', ['delete', '-w', '..'], '..'],
    ['S11', ['delete', '-w', '..', '--force'], '..'],
    ['S11', ['delete', '-w', '../x'], '../x'],
    ['M15', ['view', '-w', ''], ''],
    ['M15', ['delete', '-w', ''], ''],
  ])('%s: %j is a usage error (exit 2) that changes nothing', async (_id, args, name) => {
    const cases = caseRunner(owner, prefix, sandbox);
    await cases.expectCase(
      args,
      2,
      new RegExp(`^error: ${literal(`"${name}" is not a valid workspace name.`)}$`),
    );
    expect(await dockerOut(['inspect', '-f', '{{.State.Running}}', planted])).toBe('true');
  });
});

describe('a workspace whose container was removed behind devc’s back (L07)', () => {
  let source: string;

  const removeContainer = async () => {
    const removed = await execa('docker', ['rm', '-f', `devc-${gone}`], { reject: false });
    expect(removed.exitCode, String(removed.stderr)).toBe(0);
  };

  beforeAll(async () => {
    source = await clone(gone);
    await removeContainer();
  });

  it('L07a: list shows it as missing and says how to bring it back or remove it', async () => {
    const listed = (await list(owner)).find((w) => w.name === gone);
    expect(listed).toMatchObject({ state: 'missing', mine: true });
    expect(listed?.stateReason).toContain('its container is gone');
    const text = await devc(['list'], owner);
    expect(text.stdout.split('\n').find((l) => l.startsWith(`${gone} `))).toContain('missing');
    expect(text.stderr).toContain(
      `${gone} is missing: its container is gone; \`devc up ${git.baseUrl}/acme/${gone}.git --name ${gone}\` brings it back, \`devc delete -w ${gone}\` removes what is left.`,
    );
  });

  it('L07c: the `devc up` it names brings it back with its clone; then its container goes again', async () => {
    const up = await devc(['up', `acme/${gone}`, '--name', gone, '--idle-timeout', '0'], owner);
    expect(up.exitCode, up.stderr).toBe(0);
    expect(up.stderr).toContain('Using the files kept in');
    expect(existsSync(path.join(source, 'wip.txt'))).toBe(true);
    expect((await list(owner)).find((w) => w.name === gone)?.state).toBe('running');
    await removeContainer();
  });

  it('another DEVC_HOME still can’t delete what is left without --force', async () => {
    const cases = caseRunner(other, prefix, sandbox);
    await cases.expectCase(
      ['delete', '-w', gone],
      1,
      new RegExp(`^error: ${literal(`Workspace ${gone} was made by another devc home (owner ${user}).`)}$`),
    );
    expect(await volumes(gone)).toEqual([`devc-${gone}-home`]);
  });

  it('L07b: delete checks the clone for unsaved work, then --force removes the clone and the volume', async () => {
    const refused = await devc(['delete', '-w', gone], owner);
    expect(refused.exitCode).toBe(1);
    expect(message(refused)).toBe(`error: Workspace ${gone} has work that is not pushed anywhere.`);
    expect(refused.stderr).toContain('uncommitted: wip.txt');
    expect(existsSync(path.join(source, 'wip.txt'))).toBe(true);
    const run = await devc(['delete', '-w', gone, '--force'], owner);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stderr).toContain(`Deleted workspace ${gone}`);
    expect(await volumes(gone)).toEqual([]);
    expect(existsSync(path.join(owner.DEVC_HOME!, 'workspaces', gone))).toBe(false);
    expect((await list(owner)).map((w) => w.name)).not.toContain(gone);
  });
});
