import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { portFiles, readJson, type ForwarderState, type PortFiles } from '../../src/ports/files.js';
import type { Listening } from '../../src/ports/proc-net.js';
import { resolvePaths } from '../../src/paths.js';
import { Forwarder } from '../../src/transport/forwarder.js';
import type { WorkspaceLocation, WorkspaceRoute } from '../../src/backends/backend.js';

/** A fake workspace: echo servers on another loopback address (127.0.0.2), a scan the test drives. */
class FakeRoute implements WorkspaceRoute {
  location: WorkspaceLocation = { state: 'running', address: '127.0.0.2' };
  private emit: (ports: Map<number, Listening>) => void = () => undefined;
  locate(): Promise<WorkspaceLocation> {
    return Promise.resolve(this.location);
  }
  watchListening(onScan: (ports: Map<number, Listening>) => void, signal: AbortSignal): Promise<void> {
    this.emit = onScan;
    return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
  }
  listen(...ports: number[]): void {
    this.emit(new Map(ports.map((port) => [port, { port, direct: true }])));
  }
}

const servers: net.Server[] = [];

async function echoServer(host: string, port = 0): Promise<number> {
  const server = net.createServer((s) => s.on('data', (d) => s.end(`${host}:${String(d)}`)));
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  servers.push(server);
  return (server.address() as net.AddressInfo).port;
}

function ask(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(text));
    let got = '';
    s.on('data', (d) => (got += String(d)));
    s.on('close', () => resolve(got));
    s.on('error', reject);
  });
}

async function until(files: PortFiles, test: (s: ForwarderState) => boolean): Promise<ForwarderState> {
  for (let i = 0; i < 200; i++) {
    const state = await readJson<ForwarderState>(files.state);
    if (state && test(state)) return state;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`state never matched: ${JSON.stringify(await readJson(files.state))}`);
}

describe('Forwarder', () => {
  let dir: string;
  let files: PortFiles;
  let route: FakeRoute;
  let forwarder: Forwarder;
  let running: Promise<void>;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'devc-fwd-'));
    files = portFiles(resolvePaths({ DEVC_HOME: dir }), 'ws');
    await mkdir(files.dir, { recursive: true });
    route = new FakeRoute();
    forwarder = new Forwarder({ workspace: 'ws', files, route, log: () => undefined });
  });

  afterEach(async () => {
    forwarder.stop();
    await running;
    for (const s of servers.splice(0)) s.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('forwards forwardPorts to the same local port on 127.0.0.1, with the label', async () => {
    const port = await echoServer('127.0.0.2');
    await writeFile(
      files.config,
      JSON.stringify({ forwardPorts: [port], portsAttributes: { [port]: { label: 'Echo' } } }),
    );
    running = forwarder.run();
    const state = await until(files, (s) => s.ports.length === 1);
    expect(state.ports[0]).toMatchObject({
      remote: port,
      local: port,
      label: 'Echo',
      state: 'forwarded',
      source: 'config',
    });
    expect(await ask(port, 'hi')).toBe('127.0.0.2:hi');
  });

  it('re-dials a new address when the workspace comes back elsewhere', async () => {
    const port = await echoServer('127.0.0.2');
    await writeFile(files.config, JSON.stringify({ forwardPorts: [port] }));
    running = forwarder.run();
    await until(files, (s) => s.ports.length === 1);
    expect(await ask(port, 'a')).toBe('127.0.0.2:a');
    servers.splice(0).forEach((s) => s.close());
    await echoServer('127.0.0.3', port);
    route.location = { state: 'running', address: '127.0.0.3' };
    await new Promise((r) => setTimeout(r, 1100)); // relocation is rate-limited to once a second
    expect(await ask(port, 'b')).toBe('127.0.0.3:b');
  });

  it('moves to a free port when the local one is taken, or fails when it is required', async () => {
    const free = await echoServer('127.0.0.2');
    const strict = await echoServer('127.0.0.2');
    const blockers = [free, strict].map((p) => net.createServer().listen(p, '127.0.0.1'));
    await new Promise((r) => setTimeout(r, 50));
    await writeFile(
      files.config,
      JSON.stringify({
        forwardPorts: [free, strict],
        portsAttributes: { [strict]: { requireLocalPort: true } },
      }),
    );
    running = forwarder.run();
    const state = await until(files, (s) => s.ports.length === 2);
    const moved = state.ports.find((p) => p.remote === free)!;
    expect(moved.local).not.toBe(free);
    expect(moved.message).toBe(`local port ${free} was taken; using ${moved.local}`);
    expect(await ask(moved.local!, 'x')).toBe('127.0.0.2:x');
    expect(state.ports.find((p) => p.remote === strict)).toMatchObject({ state: 'failed', local: null });
    blockers.forEach((b) => b.close());
  });

  it('auto-forwards ports that start listening and drops them when they stop', async () => {
    const port = await echoServer('127.0.0.2');
    running = forwarder.run();
    await until(files, (s) => s.workspaceState === 'running');
    await new Promise((r) => setTimeout(r, 50));
    route.listen(port, 2222);
    const state = await until(files, (s) => s.ports.length > 0);
    expect(state.ports).toEqual([
      expect.objectContaining({ remote: port, local: port, source: 'auto', listening: true }),
    ]);
    route.listen();
    await until(files, (s) => s.ports.length === 0);
  });

  it("uses the route's own dial when it has one (engines without a reachable address)", async () => {
    const port = await echoServer('127.0.0.2');
    const dialled: number[] = [];
    const viaApi = Object.assign(route, {
      dial: (p: number) => {
        dialled.push(p);
        return Promise.resolve(net.connect(port, '127.0.0.2'));
      },
    });
    viaApi.location = { state: 'running', address: null };
    forwarder = new Forwarder({ workspace: 'ws', files, route: viaApi, log: () => undefined });
    await writeFile(files.config, JSON.stringify({ forwardPorts: [port] }));
    running = forwarder.run();
    await until(files, (s) => s.ports.length === 1);
    expect(await ask(port, 'k')).toBe('127.0.0.2:k');
    expect(dialled).toEqual([port]);
  });

  it('a user request with its generation is applied and echoed', async () => {
    const port = await echoServer('127.0.0.2');
    running = forwarder.run();
    await writeFile(
      files.requests,
      JSON.stringify({ generation: 7, forwards: [{ remote: port }], stopped: [] }),
    );
    const state = await until(files, (s) => s.generation === 7);
    expect(state.ports).toEqual([expect.objectContaining({ remote: port, source: 'user' })]);
  });
});
