import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bin, devc, devcEnv, json, uniquePrefix } from './support/devc.js';
import { dockerOut, removeWorkspaces } from './support/docker.js';
import { startGitServer, type GitServer } from './support/git-server.js';
import { PROMPT, row, Terminal } from './support/terminal.js';

// A real terminal: tmux runs a shell, the shell runs the built devc; the test types keys and reads the screen.
const prefix = uniquePrefix('db');
let term: Terminal;
let git: GitServer;
let env: NodeJS.ProcessEnv;
const names = [`${prefix}-one`, `${prefix}-two`];

const tmux = (...args: string[]): Promise<string> => term.tmux(...args);
const keys = (...k: string[]): Promise<string> => term.keys(...k);
const text = (t: string): Promise<string> => term.text(t);
const waitForScreen = (what: string, check: (s: string) => boolean, timeoutMs?: number): Promise<string> =>
  term.waitForScreen(what, check, timeoutMs);

beforeAll(async () => {
  git = await startGitServer();
  env = await devcEnv({ DEVC_GITHUB_URL: git.baseUrl });
  for (const name of names) {
    await git.createRepo(`acme/${name}`, { 'README.md': `# ${name}\n` });
    const run = await devc(['up', `github/acme/${name}`, '--json'], env);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(json(run).name).toBe(name);
  }
  term = new Terminal(`devc-test-${prefix}`, env);
});

afterAll(async () => {
  await term?.close();
  await removeWorkspaces(prefix);
  await git?.close();
});

describe('devc dashboard in a real terminal', () => {
  it('shows both workspaces live, selects, steps aside for SSH, stops one with s, and quits clean with q', async () => {
    // A fresh terminal each try: a failed first try leaves its dashboard running, and a retry typing
    // into it would fail on that alone.
    await term.close();
    await term.start();
    await text(`${bin} dashboard`);
    await keys('Enter');
    let s = await waitForScreen('both workspaces', (x) => names.every((n) => row(x, n).includes('running')));
    expect(s).toMatch(/devc dashboard/);

    // Narrow to this test's workspaces (other tests' may come and go), then move the selection.
    await keys('/');
    await waitForScreen('the filter prompt', (x) => x.includes('filter:'));
    await text(prefix);
    await waitForScreen('the filtered count', (x) => x.includes(`2 of`) && x.includes(`match "${prefix}"`));
    await keys('Enter');
    s = await waitForScreen('the filter kept', (x) => x.includes('enter ssh · o code'));
    expect(row(s, names[0]!).startsWith('›')).toBe(true);
    await keys('j');
    s = await waitForScreen('the second one selected', (x) => row(x, names[1]!).startsWith('›'));
    expect(row(s, names[0]!).startsWith('›')).toBe(false);

    // Resized to 80×24, it redraws cleanly: one header at the top, the key line at the bottom, no leftovers.
    await tmux('resize-window', '-t', 'dash', '-x', '80', '-y', '24');
    s = await waitForScreen('the 80×24 redraw', (x) => {
      const lines = x.split('\n');
      // tmux first cuts the old frame to size (its top goes); then ink redraws it whole.
      return (
        lines.length === 24 &&
        /^devc dashboard /.test(lines[0] ?? '') &&
        /^enter ssh · o code/.test(lines[22] ?? '')
      );
    });
    expect(s.split('\n').filter((line) => line.startsWith('devc dashboard'))).toHaveLength(1);
    expect(s.split('\n')[0]).toMatch(/^devc dashboard /);
    expect(row(s, names[1]!).startsWith('›')).toBe(true);

    // Enter: the dashboard steps aside for a shell in the workspace and comes back when it exits.
    await keys('Enter');
    await waitForScreen('the workspace shell', (x) => x.includes(`dev@${names[1]}:`), 60_000);
    await text('echo devc-marker-$((6*7)); hostname');
    await keys('Enter');
    s = await waitForScreen('the command output', (x) => x.includes('devc-marker-42'), 60_000);
    expect(s).toContain(names[1]);
    await text('exit');
    await keys('Enter');
    s = await waitForScreen('the dashboard again', (x) => row(x, names[1]!).startsWith('›'));
    expect(s).toContain(`match "${prefix}"`);

    // l follows the workspace's log: the SSH session just made is in it.
    await keys('l');
    await waitForScreen(
      'the log pane with the SSH login',
      (x) => x.includes(`logs: ${names[1]}`) && /Accepted publickey for dev/.test(x),
    );
    await keys('l');
    await waitForScreen('the details pane again', (x) => x.includes(`── ${names[1]} ─`));

    // d asks first, then refuses, like `devc delete`, to drop work that is not pushed.
    const source = await dockerOut([
      'inspect',
      '-f',
      '{{index .Config.Labels "dev.devc.source"}}',
      `devc-${names[0]}`,
    ]);
    writeFileSync(path.join(source, 'notes.txt'), 'not committed\n');
    await keys('k');
    await waitForScreen('the first one selected again', (x) => row(x, names[0]!).startsWith('›'));
    await keys('d');
    await waitForScreen('the delete question', (x) =>
      x.includes(`Delete ${names[0]} (container, volumes, clone)?`),
    );
    await keys('y');
    s = await waitForScreen('the refusal', (x) => x.includes('has work that is not pushed anywhere'), 60_000);
    expect(s).toContain('uncommitted: notes.txt');
    expect(row(s, names[0]!)).toMatch(/\brunning\b/);
    expect(await dockerOut(['inspect', '-f', '{{.State.Running}}', `devc-${names[0]}`])).toBe('true');
    await keys('j');
    await waitForScreen('the second one selected again', (x) => row(x, names[1]!).startsWith('›'));

    // s stops the selected workspace; engine events redraw its row, no restart needed.
    await keys('s');
    s = await waitForScreen('the workspace stopped', (x) => /\bstopped\b/.test(row(x, names[1]!)), 120_000);
    expect(row(s, names[0]!)).toMatch(/\brunning\b/);
    expect(s).toContain(`Stopped workspace ${names[1]}`);
    expect(await dockerOut(['inspect', '-f', '{{.State.Running}}', `devc-${names[1]}`])).toBe('false');

    // q quits: the shell prompt is back, the alternate screen is gone and the cursor is visible.
    await keys('q');
    s = await waitForScreen(
      'the prompt back',
      (x) => x.trimEnd().split('\n').at(-1)?.startsWith(PROMPT) ?? false,
    );
    expect(s).not.toMatch(/^devc dashboard /m); // the header line: the alternate screen is gone
    expect(
      await tmux('display', '-p', '-t', 'dash', '#{alternate_on} #{cursor_flag} #{pane_current_command}'),
    ).toBe('0 1 bash');
  });
});
