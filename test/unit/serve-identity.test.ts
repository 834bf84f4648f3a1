import { describe, expect, it } from 'vitest';
import {
  headerKey,
  identityFromHeaders,
  identityHeaderKeys,
  isTrustedPeer,
  trustedPeers,
  withoutIdentityHeaders,
  type HeaderAuthOptions,
} from '../../src/serve/identity.js';

const options: HeaderAuthOptions = {
  userHeader: 'X-Auth-Request-User',
  emailHeader: 'X-Auth-Request-Email',
  groupsHeader: 'X-Auth-Request-Groups',
  trustedProxies: ['127.0.0.1/32', '10.0.0.0/8', '::1'],
};
const peers = trustedPeers(options.trustedProxies);
const raw = (...pairs: [string, string][]): string[] => pairs.flat();

describe('trusted peers', () => {
  it.each([
    ['127.0.0.1', true],
    ['::ffff:127.0.0.1', true],
    ['10.20.30.40', true],
    ['::1', true],
    ['127.0.0.2', false],
    ['11.0.0.1', false],
    ['::2', false],
    [undefined, false],
    ['not-an-ip', false],
  ])('%s → %s', (address, trusted) => {
    expect(isTrustedPeer(peers, address)).toBe(trusted);
  });

  it.each(['10.0.0.0/33', 'example.com', '10.0.0.0/8/1', '10.0.0.0/x', ''])('refuses %j', (value) => {
    expect(() => trustedPeers([value])).toThrow(/not an address or CIDR/);
  });
});

describe('identity from forward-auth headers', () => {
  it('reads user, email and groups from a trusted proxy', () => {
    const result = identityFromHeaders(
      raw(
        ['Host', 'dev.example.com'],
        ['X-Auth-Request-User', 'alice'],
        ['X-Auth-Request-Email', 'alice@example.com'],
        ['X-Auth-Request-Groups', 'devs, admins'],
      ),
      '127.0.0.1',
      options,
      peers,
    );
    expect(result).toEqual({
      kind: 'identified',
      identity: { user: 'alice', email: 'alice@example.com', groups: ['devs', 'admins'] },
    });
  });

  it.each([
    ['an untrusted peer, exact name', '192.168.1.9', 'X-Auth-Request-User'],
    ['an untrusted peer, lower case', '192.168.1.9', 'x-auth-request-user'],
    ['an untrusted peer, underscores', '192.168.1.9', 'X_Auth_Request_User'],
    ['no peer address', undefined, 'X-Auth-Request-User'],
  ])('is anonymous from %s', (_case, peer, header) => {
    expect(identityFromHeaders(raw([header, 'alice']), peer, options, peers)).toEqual({ kind: 'anonymous' });
  });

  it('is anonymous from a trusted proxy that sent no user', () => {
    expect(identityFromHeaders(raw(['Host', 'x']), '127.0.0.1', options, peers)).toEqual({
      kind: 'anonymous',
    });
  });

  it.each([
    [
      'an underscore twin next to the real header',
      raw(['X-Auth-Request-User', 'alice'], ['X_Auth_Request_User', 'bob']),
    ],
    ['an underscore spelling alone', raw(['x_auth_request_user', 'bob'])],
    ['the header twice', raw(['X-Auth-Request-User', 'alice'], ['x-auth-request-user', 'bob'])],
    ['a user name with a newline or space', raw(['X-Auth-Request-User', 'al ice'])],
    ['a user name with a slash', raw(['X-Auth-Request-User', '../alice'])],
  ])('refuses %s from a trusted proxy', (_case, headers) => {
    expect(identityFromHeaders(headers, '127.0.0.1', options, peers).kind).toBe('refused');
  });

  it("uses Authentik's header names when told", () => {
    const authentik = { ...options, userHeader: 'X-authentik-username', emailHeader: 'X-authentik-email' };
    const result = identityFromHeaders(
      raw(['X-authentik-username', 'akadmin'], ['X-Auth-Request-User', 'mallory']),
      '10.1.1.1',
      authentik,
      peers,
    );
    expect(result).toEqual({ kind: 'identified', identity: { user: 'akadmin', groups: [] } });
  });
});

describe('headers passed on', () => {
  it('drops every identity header in any spelling and keeps the rest', () => {
    const kept = withoutIdentityHeaders(
      {
        host: 'dev.example.com',
        'x-auth-request-user': 'alice',
        x_auth_request_email: 'a@example.com',
        'X-AUTH-REQUEST-GROUPS': 'g',
        cookie: 'a=b',
      },
      identityHeaderKeys(options),
    );
    expect(kept).toEqual({ host: 'dev.example.com', cookie: 'a=b' });
  });

  it('collapses case and underscores', () => {
    expect(headerKey('X_Auth-Request_USER')).toBe('x-auth-request-user');
  });
});
