// The gateway deployed the way templates/kubernetes/ says: its image (the Dockerfile, FROM the project's
// dev8-node image, with this worktree's `npm pack`), the manifests applied to a namespace of the real
// test cluster, its service account's Role the only thing it may use. Reached through a port-forward
// (its pod's loopback is the trusted proxy), it answers /healthz and opens a workspace for a user.
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFile, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniquePrefix } from '../e2e/support/devc.js';
import { freePort, gatewayRequest, type RequestOptions } from '../e2e/support/gateway.js';
import { editor, followLog, isWorkbench } from '../e2e/support/gateway-editor.js';
import { startGitServer, type GitServer } from '../e2e/support/git-server.js';
import { api, createNamespace, deleteNamespace } from './support/backend-env.js';
import { clusterEnv, loadKubeConfig, waitFor } from './support/cluster.js';

const { kubeconfig, registry } = clusterEnv(); // fails the file (never skips) without the cluster
const nodeIp = process.env.DEVC_NODE_IP ?? '10.213.0.1';
const root = path.resolve(import.meta.dirname, '../..');
const templates = path.join(root, 'templates/kubernetes');
const prefix = uniquePrefix('kd');
const namespace = `${prefix}-gw`;
const repo = `${prefix}-shop`;
const image = `${registry}/devc/gateway-test:${prefix}`;

let git: GitServer;
let work: string;
let forward: ChildProcess | undefined;
/** The deployed gateway, through this test's port-forward. */
const gateway = {
  base: '',
  request: (path: string, options: RequestOptions = {}) =>
    gatewayRequest(gateway.base, path, { timeoutMs: 20_000, ...options }),
  followLog: (workspace: string, user: string) => followLog(gateway.base, workspace, user),
  editor: (workspace: string, user: string) => editor(gateway.base, workspace, user),
};

/**
 * The templates as this test applies them: its namespace, image, registry, git host and proxy. And
 * one thing the test cluster needs: it has no Service routing (no kube-proxy) and its API server
 * listens on the node's loopback only, so the gateway's pod runs in the node's network, reaching the
 * API server at 127.0.0.1 (the in-cluster config's KUBERNETES_SERVICE_HOST) on a free port of its own.
 */
async function manifests(publicUrl: string, podPort: number): Promise<string> {
  const docs: string[] = [];
  for (const file of ['serviceaccount.yaml', 'deployment.yaml', 'service.yaml', 'networkpolicy.yaml'])
    docs.push(await readFile(path.join(templates, file), 'utf8'));
  const text = docs
    .join('\n---\n')
    .replaceAll('namespace: devc', `namespace: ${namespace}`)
    .replace(/image: \S+/, `image: ${image}`)
    .replace(/--public-url=\S+/, `--public-url=${publicUrl}`)
    .replace(/--user-header=\S+/, '--user-header=X-Auth-Request-User')
    .replace(/value: registry\.example\.com\/devc/, `value: ${registry}`)
    .replace('value: https://github.com', `value: ${git.baseUrl}`)
    .replace(
      '      serviceAccountName: devc-gateway',
      '      hostNetwork: true\n      serviceAccountName: devc-gateway',
    )
    .replace('--listen=0.0.0.0:8800', `--listen=0.0.0.0:${podPort}`)
    .replace('containerPort: 8800', `containerPort: ${podPort}`)
    .replace(
      '          env:\n',
      `          env:\n${[
        ['KUBERNETES_SERVICE_HOST', '127.0.0.1'],
        ['KUBERNETES_SERVICE_PORT', new URL(apiServer()).port || '443'],
      ]
        .map(([k, v]) => `            - { name: ${k}, value: "${v}" }\n`)
        .join('')}`,
    );
  expect(text).not.toContain('example.com');
  // As shipped: identity headers only from the pod's loopback, which a port-forward arrives on (the test is the proxy).
  expect(text).toContain('--trusted-proxy=127.0.0.1/32');
  return text;
}

/** The API server's URL in the test's kubeconfig. */
function apiServer(): string {
  return loadKubeConfig().getCurrentCluster()?.server ?? 'https://127.0.0.1:6443';
}

const kubectl = (args: string[], input?: string) =>
  execa('kubectl', args, { env: { KUBECONFIG: kubeconfig }, input, timeout: 300_000 });

beforeAll(async () => {
  git = await startGitServer(nodeIp);
  await git.createRepo(`acme/${repo}`, { 'README.md': '# shop\n' });
  await createNamespace(namespace);
  // The image: this worktree's package on the project's Node image (no Docker Hub here).
  work = await mkdtemp(path.join(os.tmpdir(), 'devc-gateway-image-'));
  await execa('npm', ['pack', '--ignore-scripts', '--pack-destination', work], { cwd: root });
  const tgz = (await readdir(work)).find((f) => f.endsWith('.tgz'))!;
  await copyFile(path.join(templates, 'Dockerfile'), path.join(work, 'Dockerfile'));
  await execa(
    'docker',
    [
      'build',
      '-q',
      '--build-arg',
      'BASE=devc/dev8-node:0.1.0',
      '--build-arg',
      `PACKAGE=${tgz}`,
      '-t',
      image,
      work,
    ],
    { timeout: 600_000 },
  );
  await execa('docker', ['push', '-q', image], { timeout: 300_000 });
});

afterAll(async () => {
  forward?.kill();
  await deleteNamespace(namespace);
  await git?.close();
  await execa('docker', ['rmi', image], { reject: false });
  if (work) await rm(work, { recursive: true, force: true });
});

describe('templates/kubernetes: the gateway in the cluster', () => {
  it('applies (server-side dry run, then for real) and becomes ready', async () => {
    const port = await freePort();
    gateway.base = `http://127.0.0.1:${port}`;
    const podPort = await freePort();
    const text = await manifests(gateway.base, podPort);
    const dry = await kubectl(['apply', '--dry-run=server', '-f', '-'], text);
    expect(dry.stdout).toMatch(/deployment\.apps\/devc-gateway created \(server dry run\)/);
    await kubectl(['apply', '-f', '-'], text);
    await kubectl(['rollout', 'status', '-n', namespace, 'deployment/devc-gateway', '--timeout=240s']);
    forward = spawn(
      'kubectl',
      ['port-forward', '-n', namespace, 'deployment/devc-gateway', `${port}:${podPort}`],
      {
        env: { ...process.env, KUBECONFIG: kubeconfig },
        stdio: 'ignore',
      },
    );
    const health = await waitFor('the gateway through the port-forward', 60_000, async () => {
      const res = await gateway.request('/healthz');
      return res.status === 200 ? res : undefined;
    });
    expect(JSON.parse(health.body)).toEqual({ status: 'ok' });
  });

  it('opens a workspace for a signed-in user with only its Role, and refuses one without identity', async () => {
    expect((await gateway.request(`/github/acme/${repo}`)).status).toBe(401);
    const page = await gateway.request(`/github/acme/${repo}`, { user: 'carol' });
    expect(page.status).toBe(200);
    const name = /\/api\/v1\/workspaces\/([a-z0-9-]+)\/logs/.exec(page.body)?.[1] ?? '';
    expect(name).toBe(`${repo}-carol`);
    const log = await gateway.followLog(name, 'carol');
    expect(log.end, log.text).toBe('ready');
    const workbench = await gateway.editor(name, 'carol');
    expect(isWorkbench(workbench.body), `${workbench.status} ${workbench.body.slice(0, 300)}`).toBe(true);
    const pvc = await api().core.readNamespacedPersistentVolumeClaim({ name: `devc-${name}`, namespace });
    expect(pvc.metadata?.labels?.['dev.devc.owner']).toBe('carol');
    expect((await gateway.request(`/w/${name}/`, { user: 'dave' })).status).toBe(404);
    const del = await gateway.request(`/api/v1/workspaces/${name}?force=1`, {
      user: 'carol',
      method: 'DELETE',
      headers: { 'X-Devc-Request': '1' },
    });
    expect(del.status, del.body).toBe(200);
  });
});
