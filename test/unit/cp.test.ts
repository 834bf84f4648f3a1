import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import {
  downloadName,
  isStrictlyInside,
  parseCopy,
  parseCopyEnd,
  parseProbe,
  printable,
} from '../../src/services/cp-paths.js';
import { testIO } from './support/io.js';

describe('devc cp arguments', () => {
  it.each([
    ['shop:notes.md', { side: 'workspace', name: 'shop', path: 'notes.md' }],
    ['shop:/etc/hosts', { side: 'workspace', name: 'shop', path: '/etc/hosts' }],
    ['shop-2:~/x', { side: 'workspace', name: 'shop-2', path: '~/x' }],
    [':dist', { side: 'workspace', name: undefined, path: 'dist' }],
    ['shop:', { side: 'workspace', name: 'shop', path: '.' }],
    ['./a:b', { side: 'local', path: './a:b' }],
    ['/tmp/a:b', { side: 'local', path: '/tmp/a:b' }],
    ['notes.md', { side: 'local', path: 'notes.md' }],
    ['Shop:x', { side: 'local', path: 'Shop:x' }],
  ])('%s → %j', (arg, expected) => {
    expect(parseCopyEnd(arg)).toEqual(expected);
  });

  it.each([
    [['./a', 'shop:b', undefined], { direction: 'upload', workspace: 'shop', local: './a', remote: 'b' }],
    [['shop:b', './a', undefined], { direction: 'download', workspace: 'shop', local: './a', remote: 'b' }],
    [[':b', 'a', 'shop'], { direction: 'download', workspace: 'shop', local: 'a', remote: 'b' }],
    [['a', ':b', undefined], { direction: 'upload', workspace: undefined, local: 'a', remote: 'b' }],
  ] as const)('%j → %j', ([source, destination, flag], expected) => {
    expect(parseCopy(source, destination, flag)).toEqual(expected);
  });

  it.each([
    ['a', 'b', undefined, /NAME:path/],
    ['x:a', 'y:b', undefined, /one side must be a local path/],
    ['a', 'shop:b', 'other', /different workspaces/],
  ])('%s %s (-w %s) is a usage error', (source, destination, flag, message) => {
    expect(() => parseCopy(source, destination, flag)).toThrow(message);
  });

  it('exits 2 before touching any engine when both sides are local', async () => {
    const t = testIO();
    const code = await main(['cp', 'a', 'b'], { io: t.io, env: { DEVC_HOME: '/nonexistent/devc-unit' } });
    expect(code).toBe(2);
    expect(t.stderr()).toContain('NAME:path');
  });
});

describe('what a workspace answers devc cp (it may lie)', () => {
  it.each([
    ['dir|/workspaces/shop/dist\n', { kind: 'dir', absolute: '/workspaces/shop/dist' }],
    ['file|/home/dev/a|b.txt', { kind: 'file', absolute: '/home/dev/a|b.txt' }],
    ['missing|no\nsuch', { kind: 'missing', absolute: 'no\nsuch' }],
    ['dir|/any/..', { kind: 'dir', absolute: '/any/..' }],
    ['dir|relative', undefined],
    ['dir|', undefined],
    ['file|/a\n/b', undefined],
    ['file|/a\0b', undefined],
    ['link|/x', undefined],
    ['/x', undefined],
    ['', undefined],
  ])('probe %j → %j', (text, expected) => {
    expect(parseProbe(text)).toEqual(expected);
  });

  it.each([
    ['/workspaces/shop/dist', 'dist'],
    ['//hosts', 'hosts'],
    ['/a/b c', 'b c'],
    ['/any/..', undefined],
    ['/x/.', undefined],
    ['/x/', undefined],
    ['/', undefined],
    ['/x/a\0', undefined],
  ])('the local name for %j is %j', (absolute, expected) => {
    expect(downloadName(absolute)).toBe(expected);
  });

  it.each([
    ['/workspaces/x\n', '/workspaces/x'],
    ['\u001b[31mred\u001b[0m\nsecond line', '\\x1b[31mred\\x1b[0m'],
    ['a\u009bb', 'a\\x9bb'],
  ])('prints %j as %j', (text, expected) => {
    expect(printable(text)).toBe(expected);
  });

  it.each([
    ['/v/dst/x', '/v/dst', true],
    ['/v/dst', '/v/dst', false],
    ['/v', '/v/dst', false],
    ['/v/dst/../x', '/v/dst', false],
    ['/v/dst..x', '/v/dst', false],
    ['/v/dst/..x', '/v/dst', true],
  ])('%s strictly inside %s: %s', (child, parent, expected) => {
    expect(isStrictlyInside(child, parent)).toBe(expected);
  });
});
