import net from 'node:net';
import { Duplex, PassThrough, Writable } from 'node:stream';
import type * as k8s from '@kubernetes/client-node';
import type { ExecTarget, WebSocketLike } from './exec.js';
import { kubernetesClient } from './library.js';

/**
 * A byte stream to `port` of the pod, through the API server's port-forward (no Service, no open
 * port). The pod closing its side does not end the WebSocket at once, so the stream ends on the
 * WebSocket's close; an error the kubelet reports (nothing listens there) destroys it.
 */
export async function dialPod(target: ExecTarget, port: number): Promise<Duplex> {
  const input = new PassThrough();
  let errorText = '';
  let ended = false;
  const duplex: Duplex = new Duplex({
    read() {},
    write(chunk: Buffer, _encoding, done) {
      if (ended) done();
      else input.write(chunk, () => done());
    },
    final(done) {
      // A port-forward stream can't be half-closed: the caller's end closes the whole connection
      // (else a server waiting for more, like sshd's login grace, holds it open for minutes).
      socket?.close();
      done();
    },
    destroy(error, done) {
      ended = true;
      input.destroy();
      socket?.close();
      done(error);
    },
  });
  const output = new Writable({
    write(chunk: Buffer, _encoding, done) {
      if (!ended) duplex.push(chunk);
      done();
    },
  });
  const errors = new Writable({
    write(chunk: Buffer, _encoding, done) {
      errorText += chunk.toString();
      done();
    },
  });
  const { PortForward } = await kubernetesClient();
  const forward: k8s.PortForward = new PortForward(target.config, true);
  const socket = (await forward.portForward(
    target.namespace,
    target.pod,
    [port],
    output,
    errors,
    input,
  )) as unknown as WebSocketLike;
  socket.on('error', (error) => duplex.destroy(error instanceof Error ? error : new Error(String(error))));
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
