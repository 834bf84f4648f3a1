import { describe, expect, it } from 'vitest';
import { defaultGitHosts, gatewayReference, routeOf } from '../../src/serve/route.js';

describe('gateway routes', () => {
  it.each([
    ['/', { kind: 'page' }],
    ['/healthz', { kind: 'healthz' }],
    ['/metrics', { kind: 'metrics' }],
    ['/github/acme/shop', { kind: 'open', reference: 'github/acme/shop' }],
    ['/github/acme/shop@feature-x', { kind: 'open', reference: 'github/acme/shop@feature-x' }],
    ['/gitlab/group/sub/project', { kind: 'open', reference: 'gitlab/group/sub/project' }],
    [
      '/open?repo=https%3A%2F%2Fgithub.com%2Facme%2Fshop.git',
      { kind: 'open', reference: 'https://github.com/acme/shop.git' },
    ],
    ['/w/shop-alice/', { kind: 'workspace', name: 'shop-alice', rest: '/' }],
    ['/w/shop-alice/static/x.js?v=1', { kind: 'workspace', name: 'shop-alice', rest: '/static/x.js' }],
    ['/w/shop-alice', { kind: 'workspace', name: 'shop-alice', rest: '' }],
    ['/api/v1/workspaces', { kind: 'api', rest: '/v1/workspaces' }],
    ['/assets/app.js', { kind: 'asset', file: 'app.js' }],
  ])('%s', (target, route) => {
    expect(routeOf(target)).toEqual(route);
  });

  it.each([
    '/github/acme',
    '/github/acme/shop/extra',
    '/github//shop',
    '/github/acme/%2e%2e',
    '/github/acme%2fother/shop',
    '/gitlab/group',
    '/open',
    '/w/Shop/',
    '/w/-x/',
    '/assets/../x.js',
    '/something',
  ])('%s is no route', (target) => {
    expect(routeOf(target)).toEqual({ kind: 'unknown' });
  });
});

describe('references the gateway clones', () => {
  const env = { DEVC_GITHUB_URL: 'http://127.0.0.1:3000' };
  const hosts = defaultGitHosts(env);

  it('resolves github/OWNER/REPO against the configured base', () => {
    const ref = gatewayReference('github/acme/shop@main', env, hosts);
    expect(ref).toMatchObject({ url: 'http://127.0.0.1:3000/acme/shop.git', branch: 'main', name: 'shop' });
  });

  it.each([
    ['.', /local path/],
    ['/etc', /local path/],
    ['file:///srv/git/secret.git', /https only/],
    ['ssh://git@127.0.0.1:3000/acme/shop.git', /https only/],
    ['git@127.0.0.1:acme/shop.git', /https only/],
    ['https://169.254.169.254/latest/meta-data.git', /does not open repositories on 169.254.169.254/],
    ['https://github.com/acme/shop.git', /does not open repositories on github.com/],
    ['not a reference', /not a repository reference/],
  ])('refuses %s', (reference, message) => {
    expect(() => gatewayReference(reference, env, hosts)).toThrow(message);
  });

  it('defaults to github.com and gitlab.com', () => {
    expect([...defaultGitHosts({})]).toEqual(['github.com', 'gitlab.com']);
  });
});
