// `devc serve --backend kubernetes` on the real test cluster, run outside it as on a host with a
// kubeconfig: the gateway reaches each workspace's code-server through the API server's port-forward.
// One workspace (CI time): opened from /github/acme/REPO by a user whose name is not a valid label
// value, reached through the gateway (HTTP and WebSocket), hidden from another user, stopped by the
// idle timeout (pod ended, PVC kept), found again by a restarted gateway, woken with its files; the
// metrics on the way.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { devc, devcEnv, uniquePrefix } from '../e2e/support/devc.js';
import {
  gatewayRequest,
  HEADERS_GATEWAY,
  openWebSocket,
  startGateway,
  type Answer,
  type RequestOptions,
} from '../e2e/support/gateway.js';
import { editor, followLog, isWorkbench } from '../e2e/support/gateway-editor.js';
import { startGitServer, type GitServer } from '../e2e/support/git-server.js';
import { api, createNamespace, deleteNamespace } from './support/backend-env.js';
import { clusterEnv, waitFor } from './support/cluster.js';

clusterEnv(); // fails the file (never skips) without the cluster's environment
const nodeIp = process.env.DEVC_NODE_IP ?? '10.213.0.1';
const prefix = uniquePrefix('ks');
const namespace = `${prefix}-gw`;
const repo = `${prefix}-shop`;
// An e-mail address: not a valid label value, so the label is its safe form and the annotation the name.
const alice = 'alice@example.com';
const csrf = { 'X-Devc-Request': '1' };

let git: GitServer;
let env: NodeJS.ProcessEnv;
let name = '';

/** The gateway this file runs: on this host, with the test's kubeconfig, idle workspaces stopping after 30 s. */
const gateway = {
  base: '',
  process: undefined as Awaited<ReturnType<typeof startGateway>>['process'] | undefined,
  async start(): Promise<void> {
    const started = await startGateway(
      [...HEADERS_GATEWAY, '--backend', 'kubernetes', '--idle-timeout', '30s'],
      env,
      1_800_000,
    );
    this.base = started.base;
    this.process = started.process;
  },
  async stop(): Promise<void> {
    this.process?.kill('SIGTERM');
    await this.process;
    this.process = undefined;
  },
  request(path: string, options: RequestOptions = {}): Promise<Answer> {
    return gatewayRequest(this.base, path, { timeoutMs: 20_000, ...options });
  },
  followLog: (workspace: string, user: string) => followLog(gateway.base, workspace, user),
  editor: (workspace: string, user: string) => editor(gateway.base, workspace, user),
  upgradeStatus: async (path: string, user: string, origin: string): Promise<number> => {
    const { status, socket } = await openWebSocket(gateway.base, path, user, origin);
    socket?.destroy();
    return status;
  },
};

beforeAll(async () => {
  git = await startGitServer(nodeIp);
  await git.createRepo(`acme/${repo}`, { 'README.md': '# shop\n' });
  await createNamespace(namespace);
  env = await devcEnv({ DEVC_GITHUB_URL: git.baseUrl, DEVC_NAMESPACE: namespace });
  await gateway.start();
});

afterAll(async () => {
  await gateway?.stop();
  await deleteNamespace(namespace);
  await git?.close();
});

/** The workspace's state through the API, as alice. */
async function state(): Promise<string> {
  const view = await gateway.request(`/api/v1/workspaces/${name}`, { user: alice });
  return (JSON.parse(view.body) as { state: string }).state;
}

/** The metrics a scraper on this host reads (127.0.0.2: loopback, not the proxy). */
async function metrics(): Promise<string> {
  const res = await gateway.request('/metrics', { from: '127.0.0.2' });
  expect(res.status).toBe(200);
  return res.body;
}

describe('devc serve --backend kubernetes', () => {
  it('opens /github/acme/REPO: waiting page, log, then code-server through the gateway', async () => {
    const page = await gateway.request(`/github/acme/${repo}`, { user: alice });
    expect(page.status).toBe(200);
    name = /\/api\/v1\/workspaces\/([a-z0-9-]+)\/logs/.exec(page.body)?.[1] ?? '';
    expect(name).toBe(`${repo}-alice-example-co`);
    const log = await gateway.followLog(name, alice);
    expect(log.end, log.text).toBe('ready');
    const workbench = await gateway.editor(name, alice);
    expect(isWorkbench(workbench.body), `${workbench.status} ${workbench.body.slice(0, 300)}`).toBe(true);
    expect(await gateway.upgradeStatus(`/w/${name}/?reconnectionToken=t`, alice, gateway.base)).toBe(101);

    // Alice's by label (label-safe) and annotation (her name), and so in the API's JSON.
    const pvc = await api().core.readNamespacedPersistentVolumeClaim({ name: `devc-${name}`, namespace });
    expect(pvc.metadata?.labels?.['dev.devc.owner']).toMatch(/^alice-example\.com-[0-9a-f]{10}$/);
    expect(pvc.metadata?.annotations?.['dev.devc.owner']).toBe(alice);
    const listed = JSON.parse((await gateway.request('/api/v1/workspaces', { user: alice })).body) as {
      name: string;
      owner: string;
      backend: string;
    }[];
    expect(listed.map((w) => [w.name, w.owner, w.backend])).toEqual([[name, alice, 'kubernetes']]);
    // Its NetworkPolicy still admits nothing over the pod network: the gateway comes in through the API server.
    const policy = await api().net.readNamespacedNetworkPolicy({ name: `devc-${name}`, namespace });
    expect(policy.spec?.policyTypes).toEqual(['Ingress']);
    expect(policy.spec?.ingress ?? []).toEqual([]);

    const text = await metrics();
    expect(text).toContain('devc_workspaces{state="running"} 1');
    expect(text).toContain('devc_cold_start_seconds_count 1');
    expect(text).toContain('devc_wake_seconds_count 0');
    console.log(`cold start on Kubernetes: ${/devc_cold_start_seconds_sum (\S+)/.exec(text)?.[1]} s`);
  });

  it("another user reaches nothing of alice's: page, API, logs, WebSocket are 404", async () => {
    expect((await gateway.request(`/w/${name}/`, { user: 'bob' })).status).toBe(404);
    expect((await gateway.request(`/api/v1/workspaces/${name}`, { user: 'bob' })).status).toBe(404);
    expect((await gateway.request(`/api/v1/workspaces/${name}/logs`, { user: 'bob' })).status).toBe(404);
    expect(JSON.parse((await gateway.request('/api/v1/workspaces', { user: 'bob' })).body)).toEqual([]);
    expect(await gateway.upgradeStatus(`/w/${name}/`, 'bob', gateway.base)).toBe(404);
    // Nor does a user whose name makes the same label-safe form (the label's hash tells them apart).
    expect((await gateway.request(`/w/${name}/`, { user: 'alice+example.com' })).status).toBe(404);
  });

  it('stops when idle (pod ended, PVC kept), a restarted gateway finds it, and a visit wakes it with its files', async () => {
    const put = await gateway.request(`/api/v1/workspaces/${name}/files?path=note.txt`, {
      user: alice,
      method: 'PUT',
      headers: { ...csrf, 'Content-Length': '5' },
      body: 'kept\n',
    });
    expect(put.status, put.body).toBe(200);

    await waitFor('the idle stop', 180_000, async () => ((await state()) === 'running' ? undefined : true));
    const pods = await api().core.listNamespacedPod({
      namespace,
      labelSelector: `dev.devc.workspace=${name}`,
    });
    expect(pods.items.filter((p) => !['Succeeded', 'Failed'].includes(p.status?.phase ?? ''))).toEqual([]);
    await api().core.readNamespacedPersistentVolumeClaim({ name: `devc-${name}`, namespace });
    expect(await metrics()).toContain('devc_workspaces{state="stopped"} 1');

    await gateway.stop();
    await gateway.start();
    expect(await state()).toBe('stopped');
    const waiting = await gateway.request(`/w/${name}/`, { user: alice });
    expect(waiting.body).toContain(`Starting ${name}`);
    const log = await gateway.followLog(name, alice);
    expect(log.end, log.text).toBe('ready');
    expect(isWorkbench((await gateway.editor(name, alice)).body)).toBe(true);
    const note = await gateway.request(`/api/v1/workspaces/${name}/files?path=note.txt`, { user: alice });
    expect(note.body).toBe('kept\n');
    const text = await metrics();
    expect(text).toContain('devc_wake_seconds_count 1');
    console.log(`wake on Kubernetes: ${/devc_wake_seconds_sum (\S+)/.exec(text)?.[1]} s`);
    expect(text).toContain('devc_cold_start_seconds_count 0');
    expect(text).toContain('devc_workspaces{state="running"} 1');
  });

  it('deletes through the API: every object goes', async () => {
    const res = await gateway.request(`/api/v1/workspaces/${name}?force=1`, {
      user: alice,
      method: 'DELETE',
      headers: csrf,
    });
    expect(res.status, res.body).toBe(200);
    const list = await devc(['list', '--json'], env);
    expect(list.stdout).not.toContain(name);
  });
});
