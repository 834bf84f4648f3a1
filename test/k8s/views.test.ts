// Same answers on Kubernetes as on Docker: `view`'s details, the dashboard's live state and CPU and
// memory, and the backend's event stream, for workspaces on the real test cluster (the built bin/devc;
// the backend itself, from the sources, for the event stream and exact usage figures).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkspaceEvent } from '../../src/backends/backend.js';
import { KubernetesBackend } from '../../src/backends/kubernetes/backend.js';
import { bin, devc, devcEnv, devcProcess, json, uniquePrefix, removeHome } from '../e2e/support/devc.js';
import { row, Terminal } from '../e2e/support/terminal.js';
import { createNamespace, deleteNamespace } from './support/backend-env.js';
import { clusterEnv, loadKubeConfig, waitFor } from './support/cluster.js';

clusterEnv(); // fails the file (never skips) without the cluster's environment
const prefix = uniquePrefix('kv');
const namespace = `${prefix}-ws`;
const busy = `${prefix}-busy`;
const idle = `${prefix}-idle`;
let env: NodeJS.ProcessEnv;
let tree: string;
let term: Terminal;

const k8s = (args: string[]) => devc(args, env);
interface View {
  state: string;
  stateReason: string;
  stoppedBy: string | null;
  stoppedAt: string | null;
  lastUsedAt: string | null;
  activeConnections: number | null;
  idleTimeoutSeconds: number | null;
  disk: { homeBytes: number | null };
}
const view = async (name: string): Promise<View> => {
  const run = await k8s(['view', '-w', name, '--json']);
  expect(run.exitCode, run.stderr).toBe(0);
  return json<View>(run);
};

beforeAll(async () => {
  await createNamespace(namespace);
  env = await devcEnv({ DEVC_NAMESPACE: namespace, DEVC_BACKEND: 'kubernetes' });
  tree = await mkdtemp(path.join(os.tmpdir(), `${prefix}-tree-`));
  await writeFile(path.join(tree, 'README.md'), '# views\n');
  const up = await k8s(['up', tree, '--name', busy, '--idle-timeout', '0', '--json']);
  expect(json(up), up.stderr).toMatchObject({ outcome: 'success', state: 'running', backend: 'kubernetes' });
  term = new Terminal(`devc-test-${prefix}`, env);
});

afterAll(async () => {
  await term?.close();
  await deleteNamespace(namespace);
  if (tree) await rm(tree, { recursive: true, force: true });
  await removeHome(env?.DEVC_HOME);
});

describe('view --json of a Kubernetes workspace', () => {
  it("shows a running workspace's home disk use, activity and open SSH sessions", async () => {
    // Something in home to count: 3 MiB.
    await k8s(['exec', '-w', busy, '--', 'sh', '-c', 'head -c 3145728 /dev/zero >"$HOME/blob"']);
    // `up`'s own SSH check through a port-forward may still be closing: quiet within seconds.
    const quiet = await waitFor('no connection left from up', 15_000, async () => {
      const v = await view(busy);
      return v.activeConnections === 0 ? v : undefined;
    });
    expect(quiet).toMatchObject({
      state: 'running',
      stoppedBy: null,
      activeConnections: 0,
      idleTimeoutSeconds: 0,
    });
    expect(quiet.disk.homeBytes).toBeGreaterThan(3 * 1024 * 1024);
    expect(quiet.lastUsedAt).not.toBeNull();

    // An SSH session held open is an active connection (the agent's count, through exec in the pod).
    const session = devcProcess(['ssh', '-w', busy, '--', 'sleep', '20'], env);
    try {
      const open = await waitFor('the SSH session counted', 30_000, async () => {
        const v = await view(busy);
        return (v.activeConnections ?? 0) >= 1 ? v : undefined;
      });
      expect(Date.parse(open.lastUsedAt ?? '')).toBeGreaterThan(Date.now() - 60_000);
    } finally {
      session.kill();
    }
  });
});

describe('usage of a Kubernetes workspace (this cluster has no metrics API: from the pod cgroup)', () => {
  it('gives nonzero CPU and memory for a busy workspace', async () => {
    // The test is about the cgroup path: the cluster must really lack metrics.k8s.io.
    const groups = await fetchApis();
    expect(groups).not.toContain('metrics.k8s.io');
    const spin = await k8s([
      'exec',
      '-w',
      busy,
      '--',
      'sh',
      '-c',
      'setsid sh -c "while :; do :; done" >/dev/null 2>&1 </dev/null &',
    ]);
    expect(spin.exitCode, spin.stderr).toBe(0);
    const backend = new KubernetesBackend(env);
    await backend.list();
    const usage = await waitFor('CPU use of the busy loop', 30_000, async () => {
      const found = (await backend.usage([busy])).get(busy);
      return found && found.cpuPercent > 20 ? found : undefined;
    });
    expect(usage.memoryBytes).toBeGreaterThan(1024 * 1024);
    expect(usage.memoryBytes).toBeLessThan(8 * 1024 ** 3);
  });
});

describe('the dashboard with Kubernetes workspaces', () => {
  it("shows a busy workspace's CPU and memory, and an idle one stopping by itself, as it happens", async () => {
    const up = await k8s(['up', tree, '--name', idle, '--idle-timeout', '25s', '--json']);
    expect(json(up), up.stderr).toMatchObject({ outcome: 'success', state: 'running' });
    await term.start(120, 30);
    await term.text(`${bin} dashboard`);
    await term.keys('Enter');
    let s = await term.waitForScreen('both workspaces running', (x) =>
      [busy, idle].every((n) => /\brunning\b/.test(row(x, n))),
    );
    // CPU and memory columns fill in a few seconds later (the busy loop from the usage test still spins).
    s = await term.waitForScreen(
      'the busy one using CPU',
      (x) => /\brunning\b.*\s\d+(\.\d+)?%\s+\d/.test(row(x, busy)),
      60_000,
    );
    expect(s).toMatch(/● live/);
    // The agent ends the idle pod after 25 s without use; the pod's watch redraws the row.
    s = await term.waitForScreen('the idle one stopped', (x) => /\bstopped\b/.test(row(x, idle)), 120_000);
    expect(row(s, busy)).toMatch(/\brunning\b/);
    await term.keys('q');
  });

  it('view --json says the agent stopped it for inactivity', async () => {
    const v = await view(idle);
    expect(v).toMatchObject({ state: 'stopped', stoppedBy: 'idle', idleTimeoutSeconds: 25 });
    expect(v.stateReason).toMatch(/idle timeout/);
    expect(v.stoppedAt).not.toBeNull();
    expect(v.lastUsedAt).not.toBeNull();
  });
});

describe('the event stream of the Kubernetes backend', () => {
  it('sees a stop and a start, and view then says the user stopped it', async () => {
    const backend = new KubernetesBackend(env);
    const seen: WorkspaceEvent[] = [];
    const abort = new AbortController();
    const stream = backend.events((e) => seen.push(e), abort.signal);
    try {
      // The watches start at the current version: what exists already is not reported.
      await new Promise((r) => setTimeout(r, 1000));
      expect(seen).toEqual([]);
      const stop = await k8s(['stop', '-w', busy]);
      expect(stop.exitCode, stop.stderr).toBe(0);
      await waitFor('the stop in the stream', 10_000, () =>
        Promise.resolve(seen.some((e) => e.name === busy && e.action === 'destroy') || undefined),
      );
      expect(seen.filter((e) => e.name === busy).map((e) => e.action)).toContain('stop');
      const v = await view(busy);
      expect(v).toMatchObject({ state: 'stopped', stoppedBy: 'user' });
      const start = await k8s(['start', '-w', busy]);
      expect(start.exitCode, start.stderr).toBe(0);
      await waitFor('the start in the stream', 10_000, () =>
        Promise.resolve(seen.some((e) => e.name === busy && e.action === 'start') || undefined),
      );
      expect(seen.filter((e) => e.name === busy).map((e) => e.action)).toContain('create');
    } finally {
      abort.abort();
    }
    await stream; // resolves once aborted
  });
});

/** The API groups the cluster serves. */
async function fetchApis(): Promise<string[]> {
  const kc = loadKubeConfig();
  const { ApisApi } = await import('@kubernetes/client-node');
  const groups = await kc.makeApiClient(ApisApi).getAPIVersions();
  return groups.groups.map((g) => g.name);
}
