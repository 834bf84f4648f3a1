import net from 'node:net';
import { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import type { ExecTarget } from './exec.js';
import { kubernetesClient } from './library.js';
import { DATA, dataMessages, ERROR, PortForwardChannels, portForwardUrl } from './portforward-channels.js';

/** The port-forward protocol the kubelet speaks over a WebSocket. */
const PROTOCOL = 'v4.channel.k8s.io';

/**
 * A byte stream to `port` of the pod, through the API server's port-forward (no Service, no open
 * port). The pod closing its side does not end the WebSocket at once, so the stream ends on the
 * WebSocket's close; an error the kubelet reports (nothing listens there) destroys it.
 */
export async function dialPod(target: ExecTarget, port: number): Promise<Duplex> {
  const { WebSocket } = await kubernetesClient();
  const server = target.config.getCurrentCluster()?.server;
  if (!server) throw new Error('The kubeconfig has no current cluster.');
  const options: Record<string, unknown> = {};
  await target.config.applyToHTTPSOptions(options); // TLS, credentials, proxy: as client-node does
  const url = portForwardUrl(server, target.namespace, target.pod, port);
  // Talked to directly (`ws`, not client-node's PortForward and its stream layers).
  const socket = new WebSocket(url, [PROTOCOL], {
    ...options,
    // The API server offers no compression; not asking spares the extension's bookkeeping.
    perMessageDeflate: false,
    ...(url.startsWith('wss:') ? { generateMask: unmasked } : {}),
  });
  // Read from the start: the port's first messages can come with the handshake's answer, before
  // 'open' is seen here. Until then its errors are the dial's.
  const stream = portForwardStream(socket);
  const quiet = (): void => undefined;
  stream.on('error', quiet);
  try {
    await opened(socket, `Can't forward to port ${port} of pod ${target.pod}`);
  } catch (error) {
    stream.destroy();
    throw error;
  }
  stream.off('error', quiet);
  return stream;
}

/** Resolves on the socket's 'open'; rejects with why it did not open (the API server's Status message). */
function opened(socket: WebSocket, what: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.on('error', (error) => reject(new Error(`${what}: ${error.message}`)));
    socket.on('unexpected-response', (_request, response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (text: string) => (body += text.slice(0, 4096 - body.length)));
      response.on('end', () => {
        reject(new Error(`${what}: ${statusMessage(body, response.statusCode)}`));
        socket.terminate(); // its 'error' (the handshake aborted) comes later and changes nothing
      });
    });
  });
}

/**
 * Masking exists so that a script in a browser can't shape the bytes a proxy reading plain HTTP sees;
 * inside TLS no proxy reads them. `ws` masks in JavaScript unless the optional native `bufferutil` is
 * installed, and that was about two thirds of devc's CPU time when sending to a pod. A zero key sends
 * the data as it is (a valid key: the server unmasks with it all the same).
 */
function unmasked(mask: Buffer): void {
  mask.fill(0);
}

function statusMessage(body: string, code: number | undefined): string {
  try {
    const status = JSON.parse(body) as { message?: unknown };
    if (typeof status.message === 'string' && status.message) return status.message;
  } catch {
    // not a Status: the HTTP code says enough
  }
  return `HTTP ${code ?? '?'}${body.trim() ? ` (${body.trim().slice(0, 200)})` : ''}`;
}

/**
 * A port-forward WebSocket (open or opening) as a Duplex. Data from the pod goes to the reader as the messages
 * carry it, minus the channel byte (no copy), and the socket pauses while the reader is behind; each
 * write (or batch of writes) goes out as one message, done once the socket has taken it.
 */
function portForwardStream(socket: WebSocket): Duplex {
  const channels = new PortForwardChannels();
  let errorText = '';
  let ended = false;
  let paused = false;
  const duplex: Duplex = new Duplex({
    read() {
      if (!paused) return;
      paused = false;
      socket.resume();
    },
    writev(chunks, done) {
      const messages = ended ? [] : dataMessages(chunks.map((c) => c.chunk as Buffer));
      if (messages.length === 0) return done();
      // Done once the socket has taken the last (an error means it is closing: 'close' settles it).
      messages.forEach((message, i) =>
        socket.send(message, i === messages.length - 1 ? () => done() : undefined),
      );
    },
    final(done) {
      // A port-forward stream can't be half-closed: the caller's end closes the whole connection
      // (else a server waiting for more, like sshd's login grace, holds it open for minutes).
      socket.close();
      done();
    },
    destroy(error, done) {
      ended = true;
      socket.close();
      done(error);
    },
  });
  socket.on('message', (message) => {
    const { channel, payload } = channels.receive(message);
    if (channel === DATA) {
      if (payload.length === 0 || ended) return;
      if (!duplex.push(payload) && !paused) {
        paused = true;
        socket.pause();
      }
    } else if (channel === ERROR) errorText += payload.toString();
    else if (channel > ERROR) socket.close(); // a channel a forward of one port doesn't have
  });
  socket.on('error', (error) => duplex.destroy(error));
  socket.on('close', () => {
    if (ended) return;
    ended = true;
    if (errorText.trim()) duplex.destroy(new Error(errorText.trim()));
    else duplex.push(null);
  });
  return duplex;
}

/**
 * A listener on 127.0.0.1 whose connections reach `port` of the pod; it lives as long as this
 * process (for `ssh`, the readiness wait and `ssh --stdio`) and never keeps the process alive itself.
 */
export function relay(dial: () => Promise<Duplex>): Promise<{ host: string; port: number }> {
  const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, (client) => {
    client.on('error', () => undefined);
    dial().then(
      (upstream) => {
        upstream.on('error', () => client.destroy());
        client.on('close', () => upstream.destroy());
        upstream.on('close', () => client.destroy());
        upstream.on('end', () => client.end());
        client.pipe(upstream);
        upstream.pipe(client, { end: false });
        client.resume();
      },
      () => client.destroy(),
    );
  });
  server.unref();
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => {
      const address = server.address() as net.AddressInfo;
      resolve({ host: '127.0.0.1', port: address.port });
    });
  });
}
