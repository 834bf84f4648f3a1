import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { headerKey } from './identity.js';

/** Where a workspace's code-server answers, and the session cookie the gateway logged in with. */
export interface Upstream {
  host: string;
  port: number;
  /** `name=value` pairs code-server set at login (its session). */
  cookies: string[];
}

/** Hop-by-hop headers (RFC 9110 §7.6.1) never passed on by a proxy. */
const HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/**
 * The headers that go on to code-server: the browser's own, minus hop-by-hop ones, the identity headers
 * (any spelling), `Authorization` (the gateway's bearer token) and every cookie but code-server's
 * (`code-server-*`, `vscode-*`), with code-server's session cookie replaced by the gateway's login.
 * The Host stays the browser's, so code-server's own Origin check holds.
 */
export function upstreamHeaders(
  headers: IncomingHttpHeaders,
  identityHeaders: Set<string>,
  upstream: Upstream,
  keepUpgrade = false,
): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const key = headerKey(name);
    if (identityHeaders.has(key) || key === 'authorization' || key === 'cookie') continue;
    if (HOP.has(key) && !(keepUpgrade && (key === 'upgrade' || key === 'connection'))) continue;
    if (key.startsWith('x-devc-')) continue;
    out[name] = value;
  }
  const own = (headers.cookie ?? '')
    .split(';')
    .map((c) => c.trim())
    .filter((c) => /^(code-server-|vscode-)/.test(c) && !/^code-server-session[-=]/.test(c));
  const session = upstream.cookies.map((c) => c.split(';')[0]!.trim());
  out.cookie = [...own, ...session].join('; ');
  return out;
}

/** Response headers that go back to the browser: code-server's session cookie stays with the gateway. */
function downstreamHeaders(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP.has(name.toLowerCase())) continue;
    if (name.toLowerCase() === 'set-cookie') {
      const kept = (Array.isArray(value) ? value : [value]).filter(
        (c) => !/^code-server-session[-=]/.test(c),
      );
      if (kept.length > 0) out[name] = kept;
      continue;
    }
    out[name] = value;
  }
  return out;
}

/**
 * One HTTP request through to code-server at `path`. `onStale` is called when code-server sends the
 * browser to its login page (the gateway's session expired there) or does not answer at all (the
 * workspace restarted behind the gateway's back, at another address): the caller looks it up again.
 */
export function proxyRequest(
  req: IncomingMessage,
  res: ServerResponse,
  upstream: Upstream,
  path: string,
  identityHeaders: Set<string>,
  onStale: () => void,
): void {
  const outgoing = http.request(
    {
      host: upstream.host,
      port: upstream.port,
      method: req.method,
      path,
      headers: upstreamHeaders(req.headers, identityHeaders, upstream),
    },
    (answer) => {
      const location = answer.headers.location ?? '';
      if (answer.statusCode === 302 && /(^|\/)login(\?|$)/.test(location)) onStale();
      res.writeHead(answer.statusCode ?? 502, downstreamHeaders(answer.headers));
      answer.pipe(res);
    },
  );
  outgoing.on('error', () => {
    onStale();
    if (!res.headersSent) res.writeHead(502, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end("The workspace's editor did not answer. Reload in a moment.\n");
  });
  req.pipe(outgoing);
}

/** A WebSocket upgrade through to code-server; both sockets close together. */
export function proxyUpgrade(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  upstream: Upstream,
  path: string,
  identityHeaders: Set<string>,
): void {
  const outgoing = http.request({
    host: upstream.host,
    port: upstream.port,
    method: req.method,
    path,
    headers: upstreamHeaders(req.headers, identityHeaders, upstream, true),
  });
  outgoing.on('upgrade', (answer, upstreamSocket, upstreamHead) => {
    const lines = [`HTTP/1.1 101 ${answer.statusMessage ?? 'Switching Protocols'}`];
    for (let i = 0; i + 1 < answer.rawHeaders.length; i += 2) {
      if (answer.rawHeaders[i]!.toLowerCase() === 'set-cookie') continue;
      lines.push(`${answer.rawHeaders[i]}: ${answer.rawHeaders[i + 1]}`);
    }
    socket.write(`${lines.join('\r\n')}\r\n\r\n`);
    if (upstreamHead.length > 0) socket.write(upstreamHead);
    if (head.length > 0) upstreamSocket.write(head);
    upstreamSocket.pipe(socket).pipe(upstreamSocket);
    const close = (): void => {
      upstreamSocket.destroy();
      socket.destroy();
    };
    // A WebSocket has no use for half-closed connections: either side ending ends both (what was
    // written still goes out), and either closing closes both.
    const end = (): void => {
      upstreamSocket.end();
      socket.end();
    };
    upstreamSocket.on('error', close).on('end', end).on('close', close);
    socket.on('error', close).on('end', end).on('close', close);
  });
  outgoing.on('response', (answer) => {
    // code-server refused the upgrade: pass its status on and close.
    socket.end(
      `HTTP/1.1 ${answer.statusCode ?? 502} ${answer.statusMessage ?? ''}\r\nConnection: close\r\n\r\n`,
    );
    answer.resume();
  });
  outgoing.on('error', () => socket.end('HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\n\r\n'));
  outgoing.end();
}
