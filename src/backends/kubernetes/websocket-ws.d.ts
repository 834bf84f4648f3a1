// `ws` (a dependency of @kubernetes/client-node, bundled with it) ships no types and @types/ws is not
// installed: this is the part of its API that devc uses (portforward.ts and its tests).
declare module 'ws' {
  import { EventEmitter } from 'node:events';
  import type { IncomingMessage } from 'node:http';
  import type { Duplex } from 'node:stream';

  export interface ClientOptions {
    perMessageDeflate?: boolean;
    skipUTF8Validation?: boolean;
    /** Fills the 4-byte masking key of each frame the client sends; all zeros sends the data as it is. */
    generateMask?: (mask: Buffer) => void;
    [option: string]: unknown;
  }

  export class WebSocket extends EventEmitter {
    constructor(url: string, protocols: string[], options?: ClientOptions);
    static readonly OPEN: number;
    readonly protocol: string;
    readonly readyState: number;
    readonly bufferedAmount: number;
    readonly isPaused: boolean;
    send(data: Uint8Array, callback?: (error?: Error) => void): void;
    close(code?: number, reason?: string): void;
    terminate(): void;
    pause(): void;
    resume(): void;
    on(event: 'message', listener: (data: Buffer, isBinary: boolean) => void): this;
    on(event: 'unexpected-response', listener: (request: unknown, response: IncomingMessage) => void): this;
    on(event: 'error', listener: (error: Error) => void): this;
    on(event: 'open' | 'close', listener: () => void): this;
  }

  export class WebSocketServer extends EventEmitter {
    constructor(options: { noServer: true });
    handleUpgrade(
      request: IncomingMessage,
      socket: Duplex,
      head: Buffer,
      done: (socket: WebSocket, request: IncomingMessage) => void,
    ): void;
    close(callback?: () => void): void;
  }
}
