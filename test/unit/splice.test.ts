import { createHash, randomBytes } from 'node:crypto';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { connectTcp, readWithReusedBuffer, splice } from '../../src/transport/splice.js';

const servers: net.Server[] = [];
const sockets: net.Socket[] = [];

afterEach(() => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const s of servers.splice(0)) s.close();
});

async function serve(onConnection: (socket: net.Socket) => void, host = '127.0.0.2'): Promise<number> {
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    sockets.push(socket);
    onConnection(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  servers.push(server);
  return (server.address() as net.AddressInfo).port;
}

/** A relay as the forwarder runs one: 127.0.0.1 → the upstream, each connection spliced to it. */
function relayTo(upstreamPort: number, beforeSplice = 0): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, (accepted) => {
      let upstream: net.Socket | undefined;
      // As listeners.ts does: the accepted side reads into a reused buffer too.
      const client = readWithReusedBuffer(accepted, () => upstream!);
      expect(client).not.toBe(accepted);
      sockets.push(client);
      void connectTcp('127.0.0.2', upstreamPort, client).then(
        async (connected) => {
          upstream = connected;
          sockets.push(upstream);
          await new Promise((r) => setTimeout(r, beforeSplice));
          await splice(client, upstream);
        },
        () => client.destroy(),
      );
    });
    server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port));
    servers.push(server);
  });
}

/** Reads everything, stalling now and then so that the relay's writes back up. */
function readSlowly(socket: net.Socket): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let reads = 0;
    socket.pause();
    setTimeout(() => socket.resume(), 100);
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      if (++reads % 16 === 0) {
        socket.pause();
        setTimeout(() => socket.resume(), 10);
      }
    });
    socket.on('end', () => resolve(Buffer.concat(chunks)));
    socket.on('error', reject);
  });
}

const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');

describe('splice', () => {
  it('delivers a large download intact and in order to a client that reads slowly', async () => {
    const data = randomBytes(24 * 1024 * 1024);
    const relay = await relayTo(await serve((s) => s.end(data)));
    const client = net.connect({ port: relay, host: '127.0.0.1', allowHalfOpen: true });
    sockets.push(client);
    client.end();
    const got = await readSlowly(client);
    expect(got.length).toBe(data.length);
    expect(sha(got)).toBe(sha(data));
  });

  it('delivers a large upload intact and in order to a workspace server that reads slowly', async () => {
    const data = randomBytes(24 * 1024 * 1024);
    let onServer: (s: net.Socket) => void = () => undefined;
    const received = new Promise<Buffer>((resolve, reject) => {
      onServer = (s) => void readSlowly(s).then(resolve, reject);
    });
    const relay = await relayTo(await serve((s) => onServer(s)));
    const client = net.connect({ port: relay, host: '127.0.0.1', allowHalfOpen: true }, () =>
      client.end(data),
    );
    sockets.push(client);
    await new Promise((r) => client.once('finish', r));
    const got = await received;
    expect(got.length).toBe(data.length);
    expect(sha(got)).toBe(sha(data));
  });

  it('keeps half-close: a client that ends its side still gets the answer', async () => {
    const relay = await relayTo(
      await serve((s) => {
        let question = '';
        s.on('data', (d) => (question += String(d)));
        s.on('end', () => s.end(`answer to ${question}`));
      }),
    );
    const client = net.connect({ port: relay, host: '127.0.0.1', allowHalfOpen: true }, () =>
      client.end('question'),
    );
    sockets.push(client);
    const got = await readSlowly(client);
    expect(String(got)).toBe('answer to question');
  });

  it('keeps what a server says first, before the two are joined', async () => {
    const relay = await relayTo(
      await serve((s) => {
        s.write('greeting\n');
        s.on('data', (d) => s.end(`echo ${String(d)}`));
      }),
      100,
    );
    const client = net.connect({ port: relay, host: '127.0.0.1', allowHalfOpen: true });
    sockets.push(client);
    client.once('data', () => client.write('hi'));
    const got = await readSlowly(client);
    expect(String(got)).toBe('greeting\necho hi');
  });

  it('ends the client connection when the workspace side resets it', async () => {
    const relay = await relayTo(
      await serve((s) =>
        s.once('data', () => {
          s.write('partial');
          setTimeout(() => s.resetAndDestroy(), 20);
        }),
      ),
    );
    const client = net.connect({ port: relay, host: '127.0.0.1' }, () => client.write('go'));
    sockets.push(client);
    let got = '';
    client.on('data', (d) => (got += String(d)));
    client.on('error', () => undefined);
    await new Promise((r) => client.once('close', r));
    expect(got).toBe('partial');
  });

  it('relays many connections at once, each to its own answer', async () => {
    const relay = await relayTo(await serve((s) => s.once('data', (d) => s.end(`${String(d)}!`))));
    const ask = (i: number) =>
      new Promise<string>((resolve, reject) => {
        const c = net.connect({ port: relay, host: '127.0.0.1' }, () => c.write(`n${i}`));
        sockets.push(c);
        let got = '';
        c.on('data', (d) => (got += String(d)));
        c.on('close', () => resolve(got));
        c.on('error', reject);
      });
    const answers = await Promise.all(Array.from({ length: 64 }, (_, i) => ask(i)));
    expect(answers).toEqual(Array.from({ length: 64 }, (_, i) => `n${i}!`));
  });
});
