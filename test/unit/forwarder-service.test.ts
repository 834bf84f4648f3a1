import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PortRouter, WorkspaceLocation, WorkspaceRoute } from '../../src/backends/backend.js';
import type { BackendOptions } from '../../src/backends/factory.js';
import { resolvePaths, type Paths } from '../../src/paths.js';
import { portFiles, readJson, type ForwarderState, type RouteRequest } from '../../src/ports/files.js';
import type { BackendKind } from '../../src/workspace/model.js';
import { ForwarderService } from '../../src/transport/service.js';

/** A workspace on 127.0.0.2 whose scan never reports anything; forwardPorts says what to forward. */
class FakeRoute implements WorkspaceRoute {
  locate(): Promise<WorkspaceLocation> {
    return Promise.resolve({ state: 'running', address: '127.0.0.2' });
  }
  watchListening(_onScan: unknown, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
  }
}

let dir: string;
let paths: Paths;
let made: { kind: BackendKind; options: BackendOptions; kubeconfig: string | undefined }[];
let service: ForwarderService;
let running: Promise<void>;

async function register(name: string, route: RouteRequest, port: number): Promise<void> {
  const files = portFiles(paths, name);
  await mkdir(files.dir, { recursive: true });
  await writeFile(files.config, JSON.stringify({ forwardPorts: [port] }));
  await writeFile(files.route, JSON.stringify(route));
}

async function until<T>(read: () => Promise<T>, test: (value: T) => boolean): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const value = await read();
    if (test(value)) return value;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('never happened');
}

const state = (name: string) => () => readJson<ForwarderState>(portFiles(paths, name).state);

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'devc-service-'));
  paths = resolvePaths({ DEVC_HOME: dir });
  made = [];
  const router = (
    kind: BackendKind,
    env: NodeJS.ProcessEnv,
    options: BackendOptions = {},
  ): Promise<PortRouter> => {
    made.push({ kind, options, kubeconfig: env.KUBECONFIG });
    return Promise.resolve({ route: () => new FakeRoute() });
  };
  service = new ForwarderService(paths, { KUBECONFIG: '/service/own' }, () => undefined, router);
});

afterEach(async () => {
  service.stop();
  await running;
  await rm(dir, { recursive: true, force: true });
});

describe('ForwarderService', () => {
  it('forwards every registered workspace, each reached with the options of its own route', async () => {
    const [a, b] = [await freePort(), await freePort()];
    await register('one', { backend: 'docker' }, a);
    await register('two', { backend: 'kubernetes', context: 'c2', namespace: 'n2', kubeconfig: '/k2' }, b);
    running = service.run();
    const one = await until(state('one'), (s) => s?.ports[0]?.state === 'forwarded');
    const two = await until(state('two'), (s) => s?.ports[0]?.state === 'forwarded');
    expect(one?.ports[0]?.local).toBe(a);
    expect(two?.ports[0]?.local).toBe(b);
    expect(one?.pid).toBe(process.pid);
    expect(made).toEqual(
      expect.arrayContaining([
        { kind: 'docker', options: {}, kubeconfig: undefined },
        { kind: 'kubernetes', options: { context: 'c2', namespace: 'n2' }, kubeconfig: '/k2' },
      ]),
    );
  });

  it('lets go of a workspace whose route is removed, and exits once none is left', async () => {
    const port = await freePort();
    await register('one', { backend: 'docker' }, port);
    running = service.run();
    await until(state('one'), (s) => s?.ports[0]?.state === 'forwarded');
    await rm(portFiles(paths, 'one').route);
    await running; // run() resolves: nothing left to forward
    expect(existsSync(portFiles(paths, 'one').state)).toBe(false);
    expect(existsSync(portFiles(paths, 'one').pid)).toBe(false);
    // The port is free again.
    const s = net.createServer();
    await new Promise<void>((resolve, reject) => s.once('error', reject).listen(port, '127.0.0.1', resolve));
    await new Promise((r) => s.close(r));
  });
});
