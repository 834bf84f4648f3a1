import { mkdtemp, readFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ExecResult } from '../../src/backends/backend.js';
import { createContext } from '../../src/context.js';
import { startupFailure, waitUntilReady } from '../../src/services/ready.js';
import type { Workspace } from '../../src/workspace/model.js';
import { FakeBackend, fakeWorkspace } from './support/fake-backend.js';
import { testIO } from './support/io.js';

const servers: net.Server[] = [];
afterEach(() => servers.splice(0).forEach((s) => s.close()));

/** A loopback server that greets like sshd once `open()` is called (refuses before). */
async function fakeSshd(): Promise<{ port: number; open: () => void }> {
  let greeting = false;
  const server = net.createServer((socket) => {
    if (greeting) socket.end('SSH-2.0-OpenSSH_9.2\r\n');
    else socket.destroy();
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as net.AddressInfo).port, open: () => (greeting = true) };
}

/** Workspace `w` in `state`, its SSH on `port`, answering execs with `exec`. */
function fakeBackend(port: number, state: Workspace['state'], exec: (cmd: string[]) => ExecResult) {
  const backend = new FakeBackend([fakeWorkspace('w', { state, stateReason: 'exited with code 1' })]);
  backend.sshPort = port;
  backend.onExec = (_name, cmd) => exec(cmd);
  return { backend, calls: backend.commands };
}

async function context() {
  const home = await mkdtemp(path.join(os.tmpdir(), 'devc-ready-'));
  return createContext({ io: testIO().io, env: { DEVC_HOME: home } });
}

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOv0Vq1mGgVOvIe2W1B9s8l5S3bJ6iGmVJm0Dq8x7g3P devc@w';

describe('waitUntilReady', () => {
  it('waits for the SSH greeting, then pins the key it read while sshd started (one read)', async () => {
    const sshd = await fakeSshd();
    const { backend, calls } = fakeBackend(sshd.port, 'starting', () => ({
      exitCode: 0,
      stdout: KEY,
      stderr: '',
    }));
    setTimeout(() => backend.workspaces.set('w', fakeWorkspace('w', { state: 'running' })), 100);
    setTimeout(sshd.open, 300);
    const ctx = await context();
    await waitUntilReady(ctx, backend, 'w', 20_000);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.join(' ')).toContain('.devc-host-key');
    expect(await readFile(ctx.paths.knownHosts, 'utf8')).toContain(
      'w.devc ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOv0',
    );
  });

  it('reads the key again after sshd answers when the early read found no agent-made key', async () => {
    const sshd = await fakeSshd();
    sshd.open();
    const { backend, calls } = fakeBackend(sshd.port, 'running', (cmd) =>
      cmd.join(' ').includes('.devc-host-key')
        ? { exitCode: 1, stdout: '', stderr: '' }
        : { exitCode: 0, stdout: KEY, stderr: '' },
    );
    await waitUntilReady(await context(), backend, 'w', 20_000);
    expect(calls.map((c) => c.at(-1))).toEqual([
      expect.stringContaining('.devc-host-key'),
      '/etc/ssh/ssh_host_ed25519_key.pub',
    ]);
  });

  it('fails at once, naming `devc logs`, when the workspace exits while starting', async () => {
    const sshd = await fakeSshd();
    const { backend } = fakeBackend(sshd.port, 'exited', () => ({ exitCode: 0, stdout: KEY, stderr: '' }));
    await expect(waitUntilReady(await context(), backend, 'w', 20_000)).rejects.toMatchObject({
      message: expect.stringContaining('exited with code 1 while starting'),
      hint: expect.stringContaining('devc logs'),
    });
  });
});

describe('startupFailure', () => {
  it.each([
    ['Container started\ndevc-agent: starting for w as dev\n', undefined],
    // One restart can be a hiccup.
    [
      'devc-agent: starting for w\nsshd: no hostkeys available -- exiting.\ndevc-agent: sshd exited; restarting\n',
      undefined,
    ],
    [
      [
        'devc-agent: starting for w as root',
        'Unable to load host key: /etc/ssh/ssh_host_ed25519_key',
        'sshd: no hostkeys available -- exiting.',
        'devc-agent: sshd exited; restarting',
        '/opt/devc/bin/devc-agent: 405: awk: not found',
        'sshd: no hostkeys available -- exiting.',
        'devc-agent: sshd exited; restarting',
      ].join('\n'),
      'its SSH server keeps exiting (sshd: no hostkeys available -- exiting)',
    ],
    [
      'devc-agent: sshd exited; restarting\ndevc-agent: sshd exited; restarting',
      'its SSH server keeps exiting',
    ],
    [
      'Container started\ndevc-agent: error: the image has no user nosuchuser (remoteUser or containerUser in devcontainer.json)\n',
      'the image has no user nosuchuser (remoteUser or containerUser in devcontainer.json)',
    ],
    [
      'devc-agent: error: code-server not found; the workspace will not become ready\n',
      'code-server not found; the workspace will not become ready',
    ],
    [
      'Container started\n/bin/sh: 1: exec: /opt/devc/bin/devc-agent: not found\n',
      "devc's agent is missing from /opt/devc in the container",
    ],
  ])('%j → %j', (output, reason) => expect(startupFailure(output)).toBe(reason));
});
