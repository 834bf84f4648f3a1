import { randomBytes } from 'node:crypto';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ResultPromise } from 'execa';
import { devcProcess } from './devc.js';

/** One answer of the gateway: the body as text and as bytes. */
export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  bytes: Buffer;
}

export interface RequestOptions {
  /** Sent as X-Auth-Request-User (the gateway's default --user-header). */
  user?: string;
  headers?: Record<string, string>;
  method?: string;
  body?: Buffer | string;
  /** The local address to send from: 127.0.0.1 is the tests' trusted proxy, 127.0.0.2 is not. */
  from?: string;
  timeoutMs?: number;
}

/** One request to the gateway at `base`, redirects not followed. */
export function gatewayRequest(base: string, path: string, options: RequestOptions = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.user) headers['X-Auth-Request-User'] = options.user;
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${base}${path}`,
      {
        method: options.method ?? 'GET',
        headers,
        localAddress: options.from ?? '127.0.0.1',
        timeout: options.timeoutMs ?? 60_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const bytes = Buffer.concat(chunks);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: bytes.toString(), bytes });
        });
      },
    );
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error(`${path} timed out`)));
    req.end(options.body);
  });
}

/** A running `devc serve` and the URL it listens at. */
export interface StartedGateway {
  process: ResultPromise;
  base: string;
}

/** Starts `devc serve ARGS` (add `--listen 127.0.0.1:0` or a port) and waits for its "listening on" line. */
export async function startGateway(
  args: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs = 900_000,
): Promise<StartedGateway> {
  const child = devcProcess(['serve', ...args], env, { timeoutMs });
  const base = await new Promise<string>((resolve, reject) => {
    let err = '';
    child.stderr?.on('data', (c: Buffer) => {
      err += c.toString();
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(err);
      if (m?.[1]) resolve(m[1]);
    });
    void child.then((r) => reject(new Error(`devc serve ended:\n${String(r.stderr)}`)));
  });
  return { process: child, base };
}

/** The arguments of a gateway behind a forward-auth proxy on 127.0.0.1 (the tests' usual setup). */
export const HEADERS_GATEWAY = [
  '--auth',
  'headers',
  '--trusted-proxy',
  '127.0.0.1/32',
  '--listen',
  '127.0.0.1:0',
];

/** A free port on 127.0.0.1 (for a --public-url that must be known before the gateway starts). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A WebSocket upgrade to `path`: its status (101 when admitted) and, when admitted, the open socket. */
export function openWebSocket(
  base: string,
  path: string,
  user: string,
  origin: string,
  host?: string,
): Promise<{ status: number; socket?: Duplex }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}${path}`, {
      localAddress: '127.0.0.1',
      headers: {
        'X-Auth-Request-User': user,
        Origin: origin,
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
        ...(host ? { Host: host } : {}),
      },
    });
    req.on('upgrade', (res, socket) => resolve({ status: res.statusCode ?? 0, socket }));
    req.on('response', (res) => {
      resolve({ status: res.statusCode ?? 0 });
      res.resume();
    });
    req.on('error', reject);
    req.end();
  });
}

/** A form as a multipart/form-data body and its Content-Type (with the boundary), as a browser sends it. */
export async function multipart(
  fields: Record<string, string | Blob>,
  fileName = 'upload',
): Promise<{
  body: Buffer;
  type: string;
}> {
  const form = new FormData();
  for (const [key, value] of Object.entries(fields))
    if (typeof value === 'string') form.append(key, value);
    else form.append(key, value, fileName);
  const encoded = new Response(form);
  return {
    body: Buffer.from(await encoded.arrayBuffer()),
    type: encoded.headers.get('content-type') ?? '',
  };
}
