import { describe, expect, it } from 'vitest';
import { parseReference } from '../../src/workspace/reference.js';

describe('DEVC_GITHUB_URL and DEVC_GITLAB_URL', () => {
  it.each([
    ['DEVC_GITHUB_URL', 'not a url', 'acme/shop'],
    ['DEVC_GITHUB_URL', 'github.com', 'github/acme/shop'],
    ['DEVC_GITHUB_URL', '/srv/git', 'acme/shop'],
    ['DEVC_GITHUB_URL', 'http://', 'acme/shop'],
    ['DEVC_GITLAB_URL', 'ftp://gitlab.corp', 'gitlab/group/project'],
  ])('%s=%j is refused by name', (variable, value, reference) => {
    let error: unknown;
    try {
      parseReference(reference, { [variable]: value });
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ message: `${variable} is not a URL: "${value}".`, exitCode: 2 });
  });

  it.each([
    [{ DEVC_GITHUB_URL: 'http://127.0.0.1:9999' }, 'acme/shop', 'http://127.0.0.1:9999/acme/shop.git'],
    [{ DEVC_GITHUB_URL: 'ssh://git@ghe.corp/' }, 'github/acme/shop', 'ssh://git@ghe.corp/acme/shop.git'],
    [{ DEVC_GITHUB_URL: 'file:///srv/git' }, 'acme/shop', 'file:///srv/git/acme/shop.git'],
    [{ DEVC_GITHUB_URL: '' }, 'acme/shop', 'https://github.com/acme/shop.git'],
    [{ DEVC_GITLAB_URL: 'https://gl.corp' }, 'gitlab/g/p', 'https://gl.corp/g/p.git'],
  ])('%j: %s → %s', (env, reference, url) => {
    expect(parseReference(reference, env)).toMatchObject({ kind: 'remote', url });
  });

  it('is not read for a full URL', () => {
    expect(parseReference('https://example.com/a/b.git', { DEVC_GITHUB_URL: 'not a url' })).toMatchObject({
      url: 'https://example.com/a/b.git',
    });
  });
});
