// devc's forwarder on a Kubernetes workspace: the Forwarder (src/transport/forwarder.ts) driven by the
// backend's KubernetesRoute, every connection a port-forward through the API server. It runs in this
// process (the CLI's routeFor does not hand out the Kubernetes route yet: docs/kubernetes.md).
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubernetesRoute } from '../../src/backends/kubernetes/route.js';
import { resolvePaths } from '../../src/paths.js';
import { portFiles, readJson, writePortsConfig, type ForwarderState } from '../../src/ports/files.js';
import { Forwarder } from '../../src/transport/forwarder.js';
import { devc, devcEnv, json, uniquePrefix } from '../e2e/support/devc.js';
import { createNamespace, deleteNamespace } from './support/backend-env.js';
import { clusterEnv } from './support/cluster.js';

clusterEnv(); // fails the file (never skips) without the cluster's environment
const prefix = uniquePrefix('kf');
const namespace = `${prefix}-ws`;
const name = `${prefix}-web`;
let env: NodeJS.ProcessEnv;
let tree: string;

beforeAll(async () => {
  await createNamespace(namespace);
  env = await devcEnv({ DEVC_NAMESPACE: namespace, DEVC_IDLE_TIMEOUT: '0' });
  tree = await mkdtemp(path.join(os.tmpdir(), `${prefix}-tree-`));
  await execa('git', ['init', '-q', '-b', 'main', tree]);
  await writeFile(path.join(tree, 'README.md'), '# web\n');
  const up = await devc(['up', tree, '--backend', 'kubernetes', '--name', name, '--json'], env);
  expect(json(up), up.stderr).toMatchObject({ outcome: 'success', state: 'running' });
});

afterAll(async () => {
  await deleteNamespace(namespace);
  if (env?.DEVC_HOME) await rm(env.DEVC_HOME, { recursive: true, force: true });
  if (tree) await rm(tree, { recursive: true, force: true });
});

async function waitForPort(file: string, remote: number): Promise<number> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const state = await readJson<ForwarderState>(file);
    const port = state?.ports.find((p) => p.remote === remote && p.state === 'forwarded');
    if (port?.local) return port.local;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(
    `port ${remote} was not forwarded: ${await readFile(file, 'utf8').catch(() => 'no state')}`,
  );
}

describe('the forwarder through the API server', () => {
  it('auto-forwards a loopback-only server and forwards code-server to a logged-in workbench', async () => {
    // Bound to 127.0.0.1 inside the pod: only a port-forward (not the pod's address) reaches it.
    const server = await devc(
      [
        'exec',
        '-w',
        name,
        '--',
        'sh',
        '-c',
        "setsid /opt/devc/node/bin/node -e \"require('http').createServer((q, s) => s.end('loopback ok')).listen(3000, '127.0.0.1')\" >/dev/null 2>&1 < /dev/null & sleep 1",
      ],
      env,
    );
    expect(server.exitCode, server.stderr).toBe(0);
    const paths = resolvePaths(env);
    await writePortsConfig(paths, name, { forwardPorts: [8080] });
    const route = new KubernetesRoute(name, env);
    const files = portFiles(paths, name);
    await mkdir(files.dir, { recursive: true }); // as startForwarder does
    const log: string[] = [];
    const forwarder = new Forwarder({
      workspace: name,
      files,
      route,
      dialLoopback: (port) => route.dial(port),
      log: (l) => log.push(l),
    });
    const running = forwarder.run();
    try {
      const app = await waitForPort(files.state, 3000);
      expect(await (await fetch(`http://127.0.0.1:${app}/`)).text()).toBe('loopback ok');

      const code = await waitForPort(files.state, 8080);
      const base = `http://127.0.0.1:${code}`;
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      const secret = (
        await readFile(path.join(paths.workspacesDir, name, 'config', 'code-server-secret'), 'utf8')
      ).trim();
      const login = await fetch(`${base}/login`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ password: secret }).toString(),
      });
      const cookies = login.headers.getSetCookie();
      expect(cookies.length, log.join('\n')).toBeGreaterThan(0);
      const workbench = await fetch(`${base}/?folder=/workspaces/${name}`, {
        headers: { Cookie: cookies.map((c) => c.split(';')[0]).join('; ') },
      });
      expect(workbench.status).toBe(200);
      expect(await workbench.text()).toMatch(/workbench/i);
    } finally {
      forwarder.stop();
      await running;
    }
  });
});
