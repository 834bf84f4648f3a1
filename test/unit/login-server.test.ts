import http from 'node:http';
import { describe, expect, it } from 'vitest';
import { serveOneShotLogin } from '../../src/transport/login-server.js';

/** GET through loopback with the Host header a browser sends for `url`. */
function get(
  url: string,
  host = new URL(url).host,
): Promise<{ status: number; headers: http.IncomingHttpHeaders }> {
  const { port, pathname } = new URL(url);
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: pathname, headers: { host } }, (res) => {
        res.resume();
        resolve({ status: res.statusCode ?? 0, headers: res.headers });
      })
      .on('error', reject);
  });
}

const site = 'shop.devc.localhost';
const cookie = 'code-server-session-shop=secret-hash; Path=/; Domain=127.0.0.1; HttpOnly; SameSite=Lax';

describe('serveOneShotLogin', () => {
  it('names the link by the workspace host name and sets a host-only cookie, once', async () => {
    const login = await serveOneShotLogin([cookie], `http://${site}:8080/?folder=x`, site);
    expect(login.url).toMatch(/^http:\/\/shop\.devc\.localhost:\d+\/devc-login\/[\w-]{32}$/);
    const first = await get(login.url);
    expect(first.status).toBe(302);
    expect(first.headers.location).toBe(`http://${site}:8080/?folder=x`);
    expect(first.headers['set-cookie']).toEqual([
      'code-server-session-shop=secret-hash; Path=/; HttpOnly; SameSite=Lax',
    ]);
    expect(await login.used).toBe(true);
    await expect(get(login.url)).rejects.toThrow();
  });

  it.each(['127.0.0.1', 'localhost', 'other.devc.localhost'])(
    'refuses the link opened as %s (the cookie would be that name’s), and keeps it for the right name',
    async (name) => {
      const login = await serveOneShotLogin([cookie], `http://${site}:8080/`, site);
      const wrong = await get(login.url, `${name}:${new URL(login.url).port}`);
      expect(wrong.status).toBe(421);
      expect(wrong.headers['set-cookie']).toBeUndefined();
      expect((await get(login.url)).status).toBe(302);
      expect(await login.used).toBe(true);
    },
  );

  it('expires unused', async () => {
    const login = await serveOneShotLogin([cookie], `http://${site}:8080/`, site, 10);
    expect(await login.used).toBe(false);
    await expect(get(login.url)).rejects.toThrow();
  });
});
