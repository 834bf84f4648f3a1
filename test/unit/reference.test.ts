import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { parseReference, sanitizeName } from '../../src/workspace/reference.js';

const env = { HOME: '/home/u' };

describe('parseReference', () => {
  it.each([
    ['github/acme/shop', 'https://github.com/acme/shop.git', 'shop', undefined],
    ['acme/shop', 'https://github.com/acme/shop.git', 'shop', undefined],
    ['acme/shop@feature/x', 'https://github.com/acme/shop.git', 'shop', 'feature/x'],
    ['github/acme/shop@main', 'https://github.com/acme/shop.git', 'shop', 'main'],
    ['gitlab/group/sub/project', 'https://gitlab.com/group/sub/project.git', 'project', undefined],
    ['https://git.example.com/team/app.git', 'https://git.example.com/team/app.git', 'app', undefined],
    ['https://git.example.com/team/app', 'https://git.example.com/team/app', 'app', undefined],
    ['https://git.example.com/team/app.git@dev', 'https://git.example.com/team/app.git', 'app', 'dev'],
    ['git@github.com:acme/Shop.git', 'git@github.com:acme/Shop.git', 'shop', undefined],
    ['git@github.com:acme/shop.git@release-1', 'git@github.com:acme/shop.git', 'shop', 'release-1'],
    ['ssh://git@host:2222/acme/shop.git', 'ssh://git@host:2222/acme/shop.git', 'shop', undefined],
    ['acme/My_Repo.js', 'https://github.com/acme/My_Repo.js.git', 'my-repo-js', undefined],
  ])('%s → %s', (input, url, name, branch) => {
    const ref = parseReference(input, env);
    expect(ref).toMatchObject({ kind: 'remote', url, name, branch });
  });

  it.each([
    ['.', '/work/proj', 'proj'],
    ['./sub/dir', '/work/proj/sub/dir', 'dir'],
    ['../other', '/work/other', 'other'],
    ['/abs/My Project', '/abs/My Project', 'my-project'],
    ['~/code/app', '/home/u/code/app', 'app'],
  ])('local %s → %s', (input, abs, name) => {
    expect(parseReference(input, env, '/work/proj')).toMatchObject({ kind: 'local', path: abs, name });
  });

  it('resolves github/ and gitlab/ against the configured base URLs', () => {
    const custom = { DEVC_GITHUB_URL: 'http://127.0.0.1:9999/', DEVC_GITLAB_URL: 'https://gl.corp' };
    expect(parseReference('github/a/b', custom)).toMatchObject({ url: 'http://127.0.0.1:9999/a/b.git' });
    expect(parseReference('a/b', custom)).toMatchObject({ url: 'http://127.0.0.1:9999/a/b.git' });
    expect(parseReference('gitlab/g/p', custom)).toMatchObject({ url: 'https://gl.corp/g/p.git' });
  });

  it.each([
    [''],
    ['shop'],
    ['a/b/c'],
    ['github/acme'],
    ['github/a/b/c'],
    ['acme/shop@'],
    ['acme/shop@bad..branch'],
    ['acme/sh op'],
    ['ftp://host/x.git'],
    ['acme/../etc'],
  ])('rejects %j with a usage error listing the forms', (input) => {
    let error: unknown;
    try {
      parseReference(input, env);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).exitCode).toBe(2);
    expect((error as UsageError).hint).toContain('github/OWNER/REPO');
  });

  it('refuses credentials in a URL', () => {
    expect(() => parseReference('https://user:ghp_x@github.com/a/b.git', env)).toThrow(/GITHUB_TOKEN/);
  });
});

describe('sanitizeName', () => {
  it.each([
    ['Shop', 'shop'],
    ['my_repo.js', 'my-repo-js'],
    ['---', 'workspace'],
    ['a'.repeat(60), 'a'.repeat(40)],
  ])('%s → %s', (input, expected) => expect(sanitizeName(input)).toBe(expected));
});
