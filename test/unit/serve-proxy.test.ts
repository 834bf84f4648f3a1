import { describe, expect, it } from 'vitest';
import { upstreamHeaders } from '../../src/serve/proxy.js';

const identity = new Set(['x-auth-request-user', 'x-auth-request-email']);
const upstream = {
  host: '10.0.0.2',
  port: 8080,
  cookies: ['code-server-session-shop=abc; Path=/; HttpOnly'],
};

describe('headers sent on to code-server', () => {
  it("keeps the Host, drops identity headers, Authorization and every cookie but code-server's", () => {
    const out = upstreamHeaders(
      {
        host: 'dev.example.com',
        'x-auth-request-user': 'alice',
        x_auth_request_email: 'a@example.com',
        authorization: 'Bearer gateway-token',
        cookie: '_oauth2_proxy=secret; code-server-session-shop=forged; vscode-tkn=t; devc-session=s',
        'x-devc-request': '1',
        'accept-language': 'en',
        connection: 'keep-alive',
      },
      identity,
      upstream,
    );
    expect(out).toEqual({
      host: 'dev.example.com',
      'accept-language': 'en',
      cookie: 'vscode-tkn=t; code-server-session-shop=abc',
    });
  });

  it('keeps Upgrade and Connection for a WebSocket', () => {
    const out = upstreamHeaders(
      { host: 'h', upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-key': 'k' },
      identity,
      upstream,
      true,
    );
    expect(out).toMatchObject({ upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-key': 'k' });
  });
});
