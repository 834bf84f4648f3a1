// devc's background forwarder on a Kubernetes workspace, as `devc up` starts it: a server that starts
// listening in the pod (on its loopback only) is forwarded by itself, every connection a port-forward
// through the API server. (`ports forward`, forwardPorts and `code --web` are in backend.test.ts.)
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { devc, devcEnv, json, uniquePrefix, removeHome } from '../e2e/support/devc.js';
import { createNamespace, deleteNamespace } from './support/backend-env.js';
import { clusterEnv } from './support/cluster.js';

clusterEnv(); // fails the file (never skips) without the cluster's environment
const prefix = uniquePrefix('kf');
const namespace = `${prefix}-ws`;
const name = `${prefix}-web`;
let env: NodeJS.ProcessEnv;
let tree: string;

interface Port {
  remote: number;
  state: string;
  source: string;
  url: string;
}

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
  // delete also ends the workspace's forwarder.
  await devc(['delete', '-w', name, '--force'], env).catch(() => undefined);
  await deleteNamespace(namespace);
  await removeHome(env?.DEVC_HOME);
  if (tree) await rm(tree, { recursive: true, force: true });
});

describe('the forwarder `devc up` starts, through the API server', () => {
  it("auto-forwards a server that starts listening on the pod's loopback", async () => {
    const server = await devc(
      [
        'exec',
        '-w',
        name,
        '--',
        'sh',
        '-c',
        "setsid /opt/devc/node/bin/node -e \"require('http').createServer((q, s) => s.end('loopback ok')).listen(3002, '127.0.0.1')\" >/dev/null 2>&1 < /dev/null & sleep 1",
      ],
      env,
    );
    expect(server.exitCode, server.stderr).toBe(0);
    const deadline = Date.now() + 60_000;
    let port: Port | undefined;
    let last = '';
    while (Date.now() < deadline) {
      const run = await devc(['ports', '-w', name, '--json'], env);
      last = `${run.stdout}\n${run.stderr}`;
      port = json<Port[]>(run).find((p) => p.remote === 3002 && p.state === 'forwarded');
      if (port) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(port, last).toMatchObject({ source: 'auto' });
    expect(await (await fetch(port?.url ?? '')).text()).toBe('loopback ok');
  });
});
