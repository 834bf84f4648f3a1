import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import type { GatewayConfig } from '../../src/serve/gateway.js';
import { editorUrl, parseWildcardDomain, workspaceHost, workspaceOrigin } from '../../src/serve/subdomain.js';

const config = (wildcardDomain: string | undefined, publicOrigin = 'https://dev.example.com') =>
  ({ wildcardDomain, publicOrigin }) as GatewayConfig;
const req = (host: string | undefined) => ({ headers: { host } }) as IncomingMessage;

describe('subdomain mode', () => {
  it.each([
    ['shop-alice.ws.example.com', 'shop-alice'],
    ['SHOP-alice.WS.example.com:8443', 'shop-alice'],
    ['a.b.ws.example.com', null],
    ['-x.ws.example.com', null],
    ['dev.example.com', undefined],
    ['ws.example.com', undefined],
    ['evil-ws.example.com', undefined],
    [undefined, undefined],
  ])('reads the workspace of Host %s as %s', (host, want) => {
    expect(workspaceHost(req(host), config('ws.example.com'))).toBe(want);
  });

  it("never takes the gateway's own host for a workspace, nor any host without the mode", () => {
    expect(workspaceHost(req('dev.example.com'), config('example.com'))).toBeUndefined();
    expect(workspaceHost(req('shop.ws.example.com'), config(undefined))).toBeUndefined();
  });

  it("puts editors at the public URL's scheme and port", () => {
    expect(workspaceOrigin(config('ws.test', 'http://gw.test:8800'), 'shop')).toBe(
      'http://shop.ws.test:8800',
    );
    expect(editorUrl(config('ws.example.com'), 'shop')).toBe('https://shop.ws.example.com/');
    expect(editorUrl(config(undefined), 'shop')).toBe('/w/shop/');
  });

  it.each([
    ['*.WS.Example.com', 'ws.example.com'],
    ['ws.example.com.', 'ws.example.com'],
  ])('takes --wildcard-domain %s as %s', (value, want) => expect(parseWildcardDomain(value)).toBe(want));

  it.each(['localhost', 'ws..example.com', 'ws.example.com/x', 'https://ws.example.com', ''])(
    'refuses --wildcard-domain %j',
    (value) => expect(() => parseWildcardDomain(value)).toThrow(/not a domain name/),
  );
});
