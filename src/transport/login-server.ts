import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface OneShotLogin {
  /** Open this in the browser: it logs in once, then redirects to `target`. */
  url: string;
  /** Resolves true when the URL was used, false when it expired unused. */
  used: Promise<boolean>;
  close(): void;
}

/**
 * A single-use login link on 127.0.0.1, named by the workspace's own host name (`site`, a `.localhost`
 * name that browsers send to loopback). The browser gets the code-server session cookie from it for
 * that name only, and a redirect to the workbench at the same name. Cookies are per host, not per
 * port: a cookie for 127.0.0.1 would go to every forwarded port of every workspace; one for
 * `NAME.devc.localhost` goes nowhere else. The link holds a random token, never the secret; it works
 * once and expires, so a copy in a process list or the browser's history is worth nothing.
 */
export async function serveOneShotLogin(
  setCookies: string[],
  target: string,
  site: string,
  expiresMs = 120_000,
): Promise<OneShotLogin> {
  const token = randomBytes(24).toString('base64url');
  const path = `/devc-login/${token}`;
  let finish: (used: boolean) => void = () => undefined;
  const used = new Promise<boolean>((resolve) => (finish = resolve));
  let port = 0;
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || req.url !== path) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('Not found.\n');
      return;
    }
    // Reached by another name (127.0.0.1, localhost), the cookie would be that name's: every port's.
    if (req.headers.host?.toLowerCase() !== `${site}:${port}`) {
      res
        .writeHead(421, { 'Content-Type': 'text/plain' })
        .end(`Open http://${site}:${port}${path} instead.\n`);
      return;
    }
    res.writeHead(302, {
      Location: target,
      'Set-Cookie': setCookies.map(hostOnly),
      'Cache-Control': 'no-store',
      'Referrer-Policy': 'no-referrer',
    });
    res.end();
    done(true);
  });
  const timer = setTimeout(() => done(false), expiresMs);
  const done = (ok: boolean): void => {
    clearTimeout(timer);
    server.close();
    server.closeAllConnections?.();
    finish(ok);
  };
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  return { url: `http://${site}:${port}${path}`, used, close: () => done(false) };
}

/** Drops any Domain attribute: the cookie is for the one host name the link has, whichever port set it. */
function hostOnly(cookie: string): string {
  return cookie
    .split(';')
    .filter((part) => !/^\s*domain=/i.test(part))
    .join(';');
}
