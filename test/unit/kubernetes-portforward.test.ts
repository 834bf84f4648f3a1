import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { KubeConfig } from '@kubernetes/client-node';
import { WebSocketServer, type WebSocket } from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { dialPod } from '../../src/backends/kubernetes/portforward.js';
import {
  dataMessages,
  PortForwardChannels,
  portForwardUrl,
} from '../../src/backends/kubernetes/portforward-channels.js';

const bytes = (...values: number[]): Buffer => Buffer.from(values);
const PREFIX = [0xb8, 0x0b]; // port 3000, little-endian, as the kubelet starts each channel

describe('the channels of a port-forward', () => {
  it.each([
    [
      'the port prefix in its own message',
      [
        [0, ...PREFIX],
        [0, 104, 105],
      ],
      ['0:', '0:hi'],
    ],
    ['the prefix and data in one message', [[0, ...PREFIX, 104, 105]], ['0:hi']],
    [
      'the prefix in pieces',
      [
        [0, PREFIX[0]!],
        [0, PREFIX[1]!, 104],
        [0, 105],
      ],
      ['0:', '0:h', '0:i'],
    ],
    [
      'each channel its own prefix',
      [
        [1, ...PREFIX],
        [0, ...PREFIX],
        [1, 110, 111],
        [0, 2, 3],
      ],
      ['1:', '0:', '1:no', '0:\x02\x03'],
    ],
    ['an empty message', [[]], ['-1:']],
    ['a channel a one-port forward lacks', [[4, 1, 2]], ['4:\x01\x02']],
  ])('reads %s', (_what, messages, expected) => {
    const channels = new PortForwardChannels();
    const got = messages.map((m) => {
      const { channel, payload } = channels.receive(bytes(...m));
      return `${channel}:${payload.toString('latin1')}`;
    });
    expect(got).toEqual(expected);
  });

  it.each([
    ['one chunk', ['abc'], 8, ['\0abc']],
    ['chunks joined in one message', ['ab', 'cd', 'e'], 8, ['\0abcde']],
    ['a large write split at the message size', ['abcdefg'], 3, ['\0abc', '\0def', '\0g']],
    ['chunks split across messages', ['ab', 'cde', 'f'], 4, ['\0abcd', '\0ef']],
    ['nothing', [''], 4, []],
  ])('sends %s on the data channel', (_what, chunks, size, expected) => {
    const messages = dataMessages(
      chunks.map((c) => Buffer.from(c)),
      size,
    );
    expect(messages.map((m) => m.toString('latin1'))).toEqual(expected);
  });

  it.each([
    [
      'https://10.0.0.1:6443',
      'wss://10.0.0.1:6443/api/v1/namespaces/devc/pods/devc-web/portforward?ports=3000',
    ],
    [
      'http://127.0.0.1:8001/',
      'ws://127.0.0.1:8001/api/v1/namespaces/devc/pods/devc-web/portforward?ports=3000',
    ],
    [
      'https://rancher.example/k8s/clusters/c-1',
      'wss://rancher.example/k8s/clusters/c-1/api/v1/namespaces/devc/pods/devc-web/portforward?ports=3000',
    ],
  ])('asks %s for the port-forward', (server, url) => {
    expect(portForwardUrl(server, 'devc', 'devc-web', 3000)).toBe(url);
  });
});

/** A fake API server on 127.0.0.1: `pod` answers each port-forward WebSocket; other pods get a 404 Status. */
interface FakeServer {
  config: KubeConfig;
  requests: http.IncomingMessage[];
  close(): Promise<void>;
}

let server: FakeServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function fakeApiServer(pod: (socket: WebSocket) => void): Promise<FakeServer> {
  const wss = new WebSocketServer({ noServer: true });
  const requests: http.IncomingMessage[] = [];
  const web = http.createServer();
  web.on('upgrade', (request: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    requests.push(request);
    if (!request.url?.includes('/pods/devc-web/')) {
      const body = JSON.stringify({ kind: 'Status', message: 'pods "devc-gone" not found', code: 404 });
      socket.end(
        `HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
      );
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => pod(ws));
  });
  await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
  const config = new KubeConfig();
  config.loadFromOptions({
    clusters: [
      { name: 'c', server: `http://127.0.0.1:${(web.address() as AddressInfo).port}`, skipTLSVerify: true },
    ],
    users: [{ name: 'u', token: 'secret-token' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return {
    config,
    requests,
    close: () =>
      new Promise((resolve) => {
        wss.close();
        web.closeAllConnections();
        web.close(() => resolve());
      }),
  };
}

const target = (pod = 'devc-web') => ({ config: server!.config, namespace: 'devc', pod });

/** Everything the stream gives until it ends, or its error. */
function drain(stream: Duplex): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
    stream.on('end', () => resolve(text));
    stream.on('error', reject);
  });
}

describe('dialPod against a fake API server', () => {
  it('reads the data channel without the port prefix, even when it comes with the handshake', async () => {
    server = await fakeApiServer((ws) => {
      // Sent at once, so they travel with the 101 answer: read before 'open' is seen.
      ws.send(bytes(0, ...PREFIX));
      ws.send(bytes(1, ...PREFIX));
      ws.send(Buffer.from('\0hello '));
      ws.send(Buffer.from('\0world'));
      ws.close();
    });
    const stream = await dialPod(target(), 3000);
    expect(await drain(stream)).toBe('hello world');
    const request = server.requests[0];
    expect(request?.url).toBe('/api/v1/namespaces/devc/pods/devc-web/portforward?ports=3000');
    expect(request?.headers.authorization).toBe('Bearer secret-token');
    expect(request?.headers['sec-websocket-protocol']).toBe('v4.channel.k8s.io');
    expect(request?.headers['sec-websocket-extensions']).toBeUndefined(); // no compression asked
  });

  it('sends writes on the data channel and closes the WebSocket on end', async () => {
    const received: string[] = [];
    let closed!: () => void;
    const done = new Promise<void>((resolve) => (closed = resolve));
    server = await fakeApiServer((ws) => {
      ws.on('message', (data) => received.push(data.toString('latin1')));
      ws.on('close', () => closed());
    });
    const stream = await dialPod(target(), 3000);
    stream.write('GET / HTTP/1.1\r\n');
    stream.end('\r\n');
    await done;
    expect(received.join('')).toBe('\0GET / HTTP/1.1\r\n\0\r\n');
    expect(received.every((m) => m.startsWith('\0'))).toBe(true);
  });

  it('fails the stream with what the kubelet reports on the error channel', async () => {
    server = await fakeApiServer((ws) => {
      ws.send(bytes(0, ...PREFIX));
      ws.send(bytes(1, ...PREFIX));
      ws.send(Buffer.concat([bytes(1), Buffer.from('error forwarding port 3000: connection refused')]));
      ws.close();
    });
    const stream = await dialPod(target(), 3000);
    await expect(drain(stream)).rejects.toThrow('error forwarding port 3000: connection refused');
  });

  it('says why the API server refused, from its Status', async () => {
    server = await fakeApiServer(() => undefined);
    await expect(dialPod(target('devc-gone'), 3000)).rejects.toThrow(
      /Can't forward to port 3000 of pod devc-gone: pods "devc-gone" not found/,
    );
  });

  it('stops reading the WebSocket while the reader is behind, and loses nothing', async () => {
    const chunk = Buffer.alloc(64 * 1024, 7);
    const total = 256; // 16 MiB
    server = await fakeApiServer((ws) => {
      ws.send(bytes(0, ...PREFIX));
      for (let i = 0; i < total; i++) ws.send(Buffer.concat([bytes(0), chunk]));
      ws.close();
    });
    const stream = await dialPod(target(), 3000);
    await new Promise((r) => setTimeout(r, 300));
    // Not read yet: what the stream holds stays near its high-water mark, the rest waits in the server.
    expect(stream.readableLength).toBeLessThan(1024 * 1024);
    let received = 0;
    stream.on('data', (data: Buffer) => (received += data.length));
    await new Promise((resolve) => stream.on('end', resolve));
    expect(received).toBe(total * chunk.length);
  });
});
