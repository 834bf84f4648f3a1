// The v4.channel.k8s.io framing of a port-forward of one port: every WebSocket message starts with its
// channel's byte, channel 0 carrying the port's data and channel 1 the errors the kubelet reports (e.g.
// nothing listens there). The server starts each channel with two bytes that name the port.

/** The channel of the port's data. */
export const DATA = 0;
/** The channel of the kubelet's error text. */
export const ERROR = 1;

/** What one message from the server carries: its channel and the bytes past the channel byte and port prefix. */
export interface Received {
  channel: number;
  payload: Buffer;
}

/** Reads the server's messages of one port-forward, dropping each channel's port prefix. */
export class PortForwardChannels {
  // Port-number bytes still to drop on the data and error channels: a prefix may come in pieces.
  private dataPrefix = 2;
  private errorPrefix = 2;

  /** The message's channel and payload; an empty payload for a message that held only prefix bytes. */
  receive(message: Buffer): Received {
    const channel = message[0] ?? -1;
    let start = 1;
    if (channel === DATA && this.dataPrefix > 0) {
      const skip = Math.min(this.dataPrefix, message.length - 1);
      this.dataPrefix -= skip;
      start += skip;
    } else if (channel === ERROR && this.errorPrefix > 0) {
      const skip = Math.min(this.errorPrefix, message.length - 1);
      this.errorPrefix -= skip;
      start += skip;
    }
    return { channel, payload: message.subarray(Math.min(start, message.length)) };
  }
}

/**
 * The largest message devc sends: the kubelet reads a message whole (golang.org/x/net/websocket, which
 * refuses more than 32 MiB), and a write can be any size.
 */
export const MESSAGE_SIZE = 1024 * 1024;

/** `chunks` as messages to the server on the data channel: one per `size` bytes, one copy. */
export function dataMessages(chunks: readonly Uint8Array[], size = MESSAGE_SIZE): Buffer[] {
  let total = 0;
  for (const chunk of chunks) total += chunk.length;
  const messages: Buffer[] = [];
  let message = Buffer.allocUnsafe(0);
  let at = 0;
  for (const chunk of chunks) {
    for (let from = 0; from < chunk.length;) {
      if (at === message.length) {
        message = Buffer.allocUnsafe(1 + Math.min(size, total));
        message[0] = DATA;
        at = 1;
        messages.push(message);
      }
      const take = Math.min(chunk.length - from, message.length - at);
      message.set(chunk.subarray(from, from + take), at);
      at += take;
      from += take;
      total -= take;
    }
  }
  return messages;
}

/** The WebSocket URL of the API server's port-forward to `port` of a pod (`server` as the kubeconfig has it). */
export function portForwardUrl(server: string, namespace: string, pod: string, port: number): string {
  const base = server.replace(/^http/, 'ws').replace(/\/+$/, '');
  return `${base}/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}/portforward?ports=${port}`;
}
