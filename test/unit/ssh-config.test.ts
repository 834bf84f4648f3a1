import { mkdtemp, readFile, rm, symlink, writeFile, mkdir, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createContext } from '../../src/context.js';
import { configSsh } from '../../src/services/config-ssh.js';
import { resolvePaths } from '../../src/paths.js';
import {
  addInclude,
  configArg,
  devcSshConfig,
  includeLine,
  proxyCommand,
  removeInclude,
} from '../../src/ssh/config.js';
import { testIO } from './support/io.js';

describe('Include line editing', () => {
  const line = 'Include /h/ssh/config';
  it.each([[''], ['Host a\n  User b\n'], ['Host a\n  User b'], ['# c\r\nHost a\r\n'], ['\n\n']])(
    'add then remove gives %j back byte for byte',
    (text) => {
      const added = addInclude(text, line);
      expect(added.startsWith(`${line}\n`)).toBe(true);
      expect(added.slice(line.length + 1)).toBe(text);
      expect(removeInclude(added, line)).toBe(text);
    },
  );

  it('adds nothing when the line is already there, wherever the user moved it', () => {
    const text = `Host a\n${line}\n`;
    expect(addInclude(text, line)).toBe(text);
  });

  it('removes only its own line', () => {
    expect(removeInclude('Include /other\nHost a\n', line)).toBe('Include /other\nHost a\n');
  });
});

describe("devc's own ssh_config", () => {
  const paths = resolvePaths({ DEVC_HOME: '/Users/me/Library/Application Support/devc' });

  it('quotes paths with spaces and doubles % for ssh tokens', () => {
    expect(configArg('/a b/c')).toBe('"/a b/c"');
    expect(configArg('/a%b')).toBe('/a%%b');
    expect(includeLine(paths)).toBe('Include "/Users/me/Library/Application Support/devc/ssh/config"');
  });

  it('runs this devc with the same DEVC_HOME and one wildcard Host', () => {
    const proxy = proxyCommand('/usr/bin/node', '/opt/devc 1/bin/devc', { DEVC_HOME: '/tmp/h%1' });
    expect(proxy).toBe("env DEVC_HOME=/tmp/h%%1 /usr/bin/node '/opt/devc 1/bin/devc' ssh --stdio %h");
    expect(proxyCommand('/n', '/d', {})).toBe('/n /d ssh --stdio %h');
    const text = devcSshConfig(paths, proxy);
    expect(text.match(/^Host /gm)).toEqual(['Host ']);
    expect(text).toContain('Host *.devc\n');
    expect(text).toContain('  IdentityFile "/Users/me/Library/Application Support/devc/ssh/id_ed25519"\n');
    expect(text).toContain('  StrictHostKeyChecking yes\n');
    expect(text).toContain('  IdentitiesOnly yes\n');
  });
});

describe('workspaces whose user is not dev', () => {
  it('get a User line before the wildcard (ssh takes the first value)', () => {
    const text = devcSshConfig(resolvePaths({ DEVC_HOME: '/h' }), 'p %h', { web: 'node', shop: 'dev' });
    expect(text).toContain('Host web.devc\n  User node\nHost *.devc\n');
    expect(text).not.toContain('Host shop.devc');
  });
});

describe('configSsh (on a temporary HOME)', () => {
  let dir: string;
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  async function setup() {
    dir = await mkdtemp(path.join(os.tmpdir(), 'devc-sshcfg-'));
    const env = { HOME: path.join(dir, 'home'), DEVC_HOME: path.join(dir, 'devc') };
    const t = testIO({ env });
    const ctx = createContext({ io: t.io, env });
    return { ctx, userConfig: path.join(env.HOME, '.ssh', 'config'), line: includeLine(ctx.paths) };
  }

  it('dry-run writes nothing', async () => {
    const { ctx, userConfig } = await setup();
    const result = await configSsh(ctx, { dryRun: true, devcScript: '/x/devc' });
    expect(result.actions.every((a) => a.startsWith('Would') || a.includes('already'))).toBe(true);
    await expect(stat(userConfig)).rejects.toThrow();
    await expect(stat(ctx.paths.sshConfig)).rejects.toThrow();
  });

  it('a symlinked config is refused with the line to add, its target untouched', async () => {
    const { ctx, userConfig, line } = await setup();
    await mkdir(path.dirname(userConfig), { recursive: true });
    const target = path.join(dir, 'dotfiles');
    await writeFile(target, 'Host a\n');
    await symlink(target, userConfig);
    await expect(configSsh(ctx, { devcScript: '/x/devc' })).rejects.toMatchObject({
      message: expect.stringContaining('symbolic link'),
      hint: expect.stringContaining(line),
    });
    expect(await readFile(target, 'utf8')).toBe('Host a\n');
    // devc's own file is written, so adding the line by hand is all that is left.
    expect(await readFile(ctx.paths.sshConfig, 'utf8')).toContain('Host *.devc');
  });

  it('a symlinked config that already has the line is fine', async () => {
    const { ctx, userConfig, line } = await setup();
    await mkdir(path.dirname(userConfig), { recursive: true });
    const target = path.join(dir, 'dotfiles');
    await writeFile(target, `${line}\nHost a\n`);
    await symlink(target, userConfig);
    const result = await configSsh(ctx, { devcScript: '/x/devc' });
    expect(result.actions.join('\n')).toContain('already includes');
  });
});

describe('ProxyCommand host names and opening editors', () => {
  it.each([
    ['shop.devc', 'shop'],
    ['shop.devc.', 'shop'],
    ['shop', 'shop'],
    ['a.devc.devc', 'a.devc'],
  ])('%s names workspace %s', async (host, name) => {
    const { workspaceFromHost } = await import('../../src/transport/ssh-stdio.js');
    expect(workspaceFromHost(host)).toBe(name);
  });

  it.each([
    [{}, 'linux', false],
    [{ DISPLAY: ':0' }, 'linux', true],
    [{ WAYLAND_DISPLAY: 'wayland-0' }, 'linux', true],
    [{ DISPLAY: ':0', CI: '1' }, 'linux', false],
    [{ DISPLAY: ':0', DEVC_NO_BROWSER: '1' }, 'linux', false],
    [{ DEVC_NO_BROWSER: '0' }, 'darwin', true],
    [{ CI: 'true' }, 'darwin', false],
  ] as const)('canOpen(%j, %s) is %s', async (env, platform, expected) => {
    const { canOpen } = await import('../../src/services/code.js');
    expect(canOpen(env, platform)).toBe(expected);
  });
});
