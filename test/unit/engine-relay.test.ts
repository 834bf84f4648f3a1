import { spawn } from 'node:child_process';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { RELAY } from '../../src/backends/docker/relay.js';

// The relay devc runs in a workspace through `docker exec` (relay.ts), run here with this machine's perl
// against a real TCP server: bytes both ways, a half-close passed on, the server's close ending it.

const servers: net.Server[] = [];
afterEach(() => servers.splice(0).forEach((s) => s.close()));

async function serve(onConnection: (socket: net.Socket) => void): Promise<number> {
  const server = net.createServer({ allowHalfOpen: true }, onConnection);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as net.AddressInfo).port;
}

function relay(port: number, input: Buffer): Promise<{ code: number | null; out: Buffer }> {
  const child = spawn('perl', ['-e', RELAY, '127.0.0.1', String(port)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const out: Buffer[] = [];
  child.stdout.on('data', (c: Buffer) => out.push(c));
  child.stdin.end(input);
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, out: Buffer.concat(out) })));
}

describe('the engine relay', () => {
  it('passes the end of input on and returns what the server answers after it', async () => {
    // An echo server that answers only once the client has finished sending (a half-close).
    const port = await serve((socket) => {
      const got: Buffer[] = [];
      socket.on('data', (c: Buffer) => got.push(c));
      socket.on('end', () => socket.end(Buffer.concat([Buffer.from('got:'), ...got])));
    });
    const { code, out } = await relay(port, Buffer.from('hello'));
    expect(code).toBe(0);
    expect(out.toString()).toBe('got:hello');
  });

  it('copies 8 MiB from the server whole, then ends when the server closes', async () => {
    const payload = Buffer.alloc(8 * 1024 * 1024, 7);
    const port = await serve((socket) => socket.end(payload));
    const { code, out } = await relay(port, Buffer.alloc(0));
    expect(code).toBe(0);
    expect(out.equals(payload)).toBe(true);
  });

  it('exits 2 when nothing listens', async () => {
    const port = await serve(() => undefined);
    servers.splice(0).forEach((s) => s.close());
    expect((await relay(port, Buffer.alloc(0))).code).toBe(2);
  });
});
