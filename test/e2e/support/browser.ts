import dns from 'node:dns';
import http from 'node:http';
import type { LookupFunction } from 'node:net';

export interface Page {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/**
 * One GET the way a browser on this machine makes it: a `*.localhost` name reaches loopback (RFC 6761;
 * browsers and curl resolve it themselves, Node's resolver may not), the Host header is the URL's own
 * (fetch would not send it), and redirects are not followed.
 */
export function browserGet(url: string, headers: Record<string, string> = {}): Promise<Page> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { headers, lookup: loopback, timeout: 30_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString(),
        }),
      );
      res.on('error', reject);
    });
    request.on('error', reject);
    request.on('timeout', () => request.destroy(new Error(`GET ${url} timed out`)));
  });
}

/** Resolves `localhost` and `*.localhost` to 127.0.0.1 (RFC 6761), everything else as usual. */
export const loopback: LookupFunction = (hostname, options, callback) => {
  if (hostname !== 'localhost' && !hostname.endsWith('.localhost')) {
    dns.lookup(hostname, options, callback);
    return;
  }
  if (options.all) callback(null, [{ address: '127.0.0.1', family: 4 }]);
  else callback(null, '127.0.0.1', 4);
};
