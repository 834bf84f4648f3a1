import { render } from 'ink-testing-library';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DevcError } from '../../src/errors.js';
import type { DashboardActions } from '../../src/services/dashboard.js';
import type { Snapshot } from '../../src/services/watch.js';
import { App } from '../../src/ui/dashboard/App.js';
import { plainFrame } from '../../src/ui/dashboard/plain-frame.js';
import { createSnapshotStore } from '../../src/ui/dashboard/store.js';
import { ColorContext } from '../../src/ui/dashboard/theme.js';
import type { ExitRequest } from '../../src/ui/dashboard/types.js';
import type { Workspace } from '../../src/workspace/model.js';
import { testIO } from './support/io.js';

const NOW = Date.parse('2026-01-01T12:00:00Z');
const DOWN = '\u001b[B';
const UP = '\u001b[A';

function workspace(name: string, overrides: Partial<Workspace> = {}): Workspace {
  return {
    name,
    backend: 'docker',
    state: 'running',
    stateReason: undefined,
    repository: { url: `https://github.com/acme/${name}.git`, branch: 'main' },
    image: 'devc/dev8-base:0.1.0',
    variant: 'base',
    folder: `/workspaces/${name}`,
    sourcePath: undefined,
    createdAt: '2026-01-01T10:00:00Z',
    id: name,
    user: 'dev',
    idleTimeoutSeconds: 1800,
    startedAt: '2026-01-01T11:48:00Z',
    ...overrides,
  };
}

function snapshot(workspaces: Workspace[], change: Partial<Snapshot> = {}): Snapshot {
  return {
    loaded: true,
    workspaces,
    usage: new Map([['alpha', { cpuPercent: 2.5, memoryBytes: 300 * 1024 * 1024 }]]),
    engineError: undefined,
    live: true,
    ...change,
  };
}

function fakeActions(): { [K in keyof DashboardActions]: ReturnType<typeof vi.fn> } & DashboardActions {
  return {
    toggle: vi.fn((w: Workspace) => Promise.resolve(`Stopped workspace ${w.name}`)),
    remove: vi.fn((w: Workspace) => Promise.resolve(`Deleted workspace ${w.name}`)),
    ports: vi.fn(() => Promise.resolve([{ label: 'SSH', remote: 2222, url: 'ssh://127.0.0.1:40001' }])),
    forwarded: vi.fn(() => Promise.resolve(new Map([['alpha', [3000]]]))),
    openCodeServer: vi.fn(() =>
      Promise.resolve(
        'Open this link within 2 minutes; it signs you in once:\nhttp://127.0.0.1:40002/devc-login/abc',
      ),
    ),
    rebuild: vi.fn((w: Workspace, onPhase: (label: string) => void) => {
      onPhase(`Building the image of ${w.name}`);
      return new Promise<string>(() => undefined);
    }),
    followLogs: vi.fn((_w: Workspace, onLine: (line: string) => void) => {
      onLine('devc-agent: ready');
      return new Promise<void>(() => undefined);
    }),
    details: vi.fn(() =>
      Promise.resolve({
        agentStopReason: undefined,
        lastActiveAt: '2026-01-01T11:50:00Z',
        activeConnections: 0,
        homeBytes: undefined,
      }),
    ),
  };
}

const ALL = [
  workspace('alpha'),
  workspace('beta', { state: 'stopped', startedAt: undefined }),
  workspace('gamma'),
];

function mount(initial: Snapshot = snapshot(ALL), actions = fakeActions()) {
  const store = createSnapshotStore(initial);
  const exits: ExitRequest[] = [];
  const app = render(
    <ColorContext.Provider value={false}>
      <App
        source={store}
        actions={actions}
        onExit={(r) => exits.push(r)}
        size={{ columns: 80, rows: 24 }}
        clock={() => NOW}
      />
    </ColorContext.Provider>,
  );
  const frame = (): string => app.lastFrame() ?? '';
  const press = async (keys: string, expected: string | RegExp): Promise<void> => {
    app.stdin.write(keys);
    await vi.waitFor(() => expect(frame()).toMatch(expected), { timeout: 5000 });
  };
  cleanups.push(app.unmount);
  return { app, store, actions, exits, frame, press };
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** The frame line that shows a workspace's row. */
function row(frame: string, name: string): string {
  return frame.split('\n').find((line) => line.slice(2).startsWith(`${name} `)) ?? '';
}

describe('dashboard at 80×24', () => {
  it('draws every workspace: state, repository@branch, backend, uptime, ports, CPU, memory', async () => {
    const { frame } = mount();
    await vi.waitFor(() => expect(row(frame(), 'alpha')).toContain('3000'), { timeout: 5000 });
    const lines = frame().split('\n');
    expect(lines[0]).toMatch(/^devc dashboard {2}3 workspaces +● live$/);
    expect(lines[1]).toMatch(/NAME +STATE +REPOSITORY +BACKEND +UPTIME +PORTS +CPU +MEM/);
    expect(row(frame(), 'alpha')).toMatch(
      /^› alpha +running +acme\/alpha@main +docker +12m +3000 +2\.5% +315 MB$/,
    );
    expect(row(frame(), 'beta')).toMatch(/^ {2}beta +stopped +acme\/beta@main +docker +- +- +- +-$/);
    expect(lines.every((line) => line.length <= 80)).toBe(true);
    expect(lines.length).toBeLessThanOrEqual(23);
  });

  it('draws the same table as the plain first frame, so nothing jumps when ink takes over', async () => {
    const actions = fakeActions();
    actions.forwarded.mockResolvedValue(new Map());
    const { frame } = mount(snapshot(ALL), actions);
    await vi.waitFor(() => expect(row(frame(), 'alpha')).toContain('2.5%'), { timeout: 5000 });
    const live = frame()
      .split('\n')
      .slice(1, 2 + ALL.length)
      .map((line) => line.replace(/^›/, ' '));
    const plain = plainFrame(testIO().io, snapshot(ALL), 80, NOW).split('\n');
    expect(plain[0]).toBe('devc dashboard  3 workspaces');
    expect(plain.slice(1)).toEqual(live);
  });

  it('shows the selected workspace in the details pane with its idle countdown', async () => {
    const { frame } = mount();
    await vi.waitFor(() => expect(frame()).toContain('idle stop after 30m (stops in 20m)'), {
      timeout: 5000,
    });
    expect(frame()).toMatch(/── alpha ─+/);
    expect(frame()).toContain('repository  https://github.com/acme/alpha.git  (branch main)');
  });

  it('moves the selection with j/k and the arrows, and stops at the ends', async () => {
    const { press, frame } = mount();
    await press('j', /› beta/);
    await press(DOWN, /› gamma/);
    await press(DOWN, /── gamma/);
    expect(row(frame(), 'gamma').startsWith('›')).toBe(true);
    await press('k', /› beta/);
    await press(UP, /› alpha/);
    await press('k', /› alpha/);
  });

  it('filters by what is typed after /, keeps it on enter, clears it on esc', async () => {
    const { press, frame } = mount();
    await press('/', /filter: ▏/);
    await press('gam', /1 of 3 workspaces match "gam"/);
    expect(row(frame(), 'alpha')).toBe('');
    expect(row(frame(), 'gamma')).toMatch(/^› gamma/);
    await press('\r', /enter ssh · o code/);
    expect(frame()).toContain('1 of 3 workspaces match "gam"');
    await press('\u001b', /3 workspaces {2}/);
    expect(row(frame(), 'alpha')).not.toBe('');
  });

  it('says so when nothing matches the filter', async () => {
    const { press } = mount();
    await press('/', /filter: ▏/);
    await press('zzz', /No workspace matches "zzz"/);
  });

  it('asks before deleting; any key but y keeps the workspace', async () => {
    const { press, actions } = mount();
    await press('d', /Delete alpha \(container, volumes, clone\)\? y deletes, other keys keep it:/);
    await press('n', /Kept it\./);
    expect(actions.remove).not.toHaveBeenCalled();
  });

  it('deletes on y through the delete service', async () => {
    const { press, actions } = mount();
    await press('j', /› beta/);
    await press('d', /Delete beta/);
    await press('y', /Deleted workspace beta/);
    expect(actions.remove).toHaveBeenCalledWith(expect.objectContaining({ name: 'beta' }));
  });

  it("shows delete's refusal of unpushed work, hint first", async () => {
    const actions = fakeActions();
    actions.remove.mockRejectedValue(
      new DevcError('Workspace alpha has work that is not pushed anywhere.', {
        hint: 'Commit and push it first, or delete anyway with `devc delete -w alpha --force`.',
        details: 'uncommitted: notes.txt',
      }),
    );
    const { press, frame } = mount(snapshot(ALL), actions);
    await press('d', /Delete alpha/);
    await press('y', /has work that is not pushed anywhere/);
    expect(frame()).toContain('Commit and push it first');
    expect(frame()).toContain('uncommitted: notes.txt');
  });

  it('follows engine changes without a restart', async () => {
    const { store, frame } = mount();
    await vi.waitFor(() => expect(row(frame(), 'gamma')).toMatch(/running/), { timeout: 5000 });
    store.set(snapshot([ALL[0]!, ALL[1]!, workspace('gamma', { state: 'stopped' })]));
    await vi.waitFor(() => expect(row(frame(), 'gamma')).toMatch(/gamma +stopped/), { timeout: 5000 });
  });

  it('stops with s and says when it is done', async () => {
    const { press, actions } = mount();
    await press('s', /Stopped workspace alpha/);
    expect(actions.toggle).toHaveBeenCalledWith(expect.objectContaining({ name: 'alpha' }));
  });

  it('opens the logs pane with l and the ports pane with p', async () => {
    const { press, frame } = mount();
    await press('l', /logs: alpha \(following/);
    // The log lines arrive from the (fake) stream after the pane opens: a loaded machine renders them later.
    await vi.waitFor(() => expect(frame()).toContain('devc-agent: ready'), { timeout: 5000 });
    await press('p', /ports: alpha/);
    await vi.waitFor(() => expect(frame()).toContain('ssh://127.0.0.1:40001'), { timeout: 5000 });
  });

  it('opens code-server with o, showing the one-time link on a line of its own', async () => {
    const { press, frame } = mount();
    await press('o', /Open this link within 2 minutes; it signs you in once:/);
    expect(frame()).toMatch(/^ {2}http:\/\/127\.0\.0\.1:40002\/devc-login\/abc$/m);
  });

  it('rebuilds with r, showing the phase it is in and the row busy', async () => {
    const { press, frame, actions } = mount();
    await press('r', /Building the image of alpha…/);
    expect(row(frame(), 'alpha')).toMatch(/^› alpha +building/);
    expect(actions.rebuild).toHaveBeenCalledWith(
      expect.objectContaining({ name: 'alpha' }),
      expect.any(Function),
    );
  });

  it('shows help with ? and closes it with any key', async () => {
    const { press, frame } = mount();
    await press('?', /keys \(any key closes\)/);
    expect(frame()).toContain('delete (asks first; refuses unpushed work)');
    await press('x', /── alpha/);
  });

  it('asks to step aside for SSH on enter, keeping the selection and filter', async () => {
    const { app, press, exits } = mount();
    await press('j', /› beta/);
    exits.length = 0;
    // Enter leaves the screen at once: the frame may already be cleared, so only the request counts.
    app.stdin.write('\r');
    await vi.waitFor(() =>
      expect(exits).toEqual([{ kind: 'ssh', name: 'beta', ui: { filter: '', selected: 'beta' } }]),
    );
  });

  it('quits on q', async () => {
    const { app, exits } = mount();
    app.stdin.write('q');
    await vi.waitFor(() => expect(exits).toEqual([{ kind: 'quit' }]));
  });

  it('scrolls a long list to keep the selection in view, within 23 lines', async () => {
    const many = Array.from({ length: 40 }, (_, i) => workspace(`ws${String(i).padStart(2, '0')}`));
    const { press, frame } = mount(snapshot(many));
    for (let i = 1; i < 40; i++) await press('j', new RegExp(`› ws${String(i).padStart(2, '0')} `));
    expect(row(frame(), 'ws00')).toBe('');
    expect(frame().split('\n').length).toBeLessThanOrEqual(23);
    expect(frame()).toMatch(/── ws39 ─/);
  });

  it('says how to start when there are no workspaces', () => {
    const { frame } = mount(snapshot([]));
    expect(frame()).toContain('No workspaces yet.');
    expect(frame()).toContain('Create one with devc up REPO in another terminal');
    expect(frame()).toMatch(/0 workspaces/);
  });

  it('says what to do when the engine cannot be reached', () => {
    const { frame } = mount(
      snapshot([], {
        live: false,
        engineError: {
          message: "Can't reach the Docker engine.",
          hint: 'Start Docker, or run `devc doctor`.',
        },
      }),
    );
    expect(frame()).toContain("Can't reach the Docker engine.");
    expect(frame()).toContain('Start Docker, or run `devc doctor`.');
    expect(frame()).toContain('● engine unreachable');
    expect(frame()).not.toMatch(/\d workspaces/);
  });
});
