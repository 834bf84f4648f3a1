import { mkdir, mkdtemp, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import { setting } from '../../src/config/settings.js';
import { configFile } from '../../src/config/store.js';
import { resolvePaths } from '../../src/paths.js';
import { configList, configValue, setConfig } from '../../src/services/config.js';
import { createContext } from '../../src/context.js';
import { testIO } from './support/io.js';

async function home(env: NodeJS.ProcessEnv = {}) {
  const dir = path.join(await mkdtemp(path.join(os.tmpdir(), 'devc-settings-')), 'home');
  const full = { DEVC_HOME: dir, ...env };
  const t = testIO();
  return { ctx: createContext({ io: t.io, env: full }), paths: resolvePaths(full), t };
}

describe('setting: flag, then DEVC_* variable, then config, then default', () => {
  it.each([
    ['backend', 'kubernetes', { DEVC_BACKEND: 'docker' }, 'docker', 'kubernetes'],
    ['backend', undefined, { DEVC_BACKEND: 'docker' }, 'kubernetes', 'docker'],
    ['backend', undefined, {}, 'kubernetes', 'kubernetes'],
    ['backend', undefined, {}, undefined, 'docker'],
    ['idleTimeout', undefined, { DEVC_IDLE_TIMEOUT: '2h' }, '5m', 7200],
    ['idleTimeout', undefined, {}, '1h30m', 5400],
    ['idleTimeout', undefined, {}, undefined, 1800],
    ['idleTimeout', 60, {}, '1h', 60],
    [
      'registry',
      undefined,
      { DEVC_REGISTRY: 'localhost:5000' },
      'registry.example.com/team',
      'localhost:5000',
    ],
    ['registry', undefined, { DEVC_REGISTRY: '' }, 'registry.example.com/team', 'registry.example.com/team'],
    ['namespace', undefined, {}, 'team-a', 'team-a'],
    ['ide', undefined, {}, undefined, 'none'],
    ['ide', undefined, {}, 'vscode', 'vscode'],
    ['variant', undefined, { DEVC_VARIANT: 'python' }, 'node', 'python'],
    ['variant', undefined, {}, undefined, undefined],
    ['dotfiles', undefined, {}, 'acme/dotfiles', 'acme/dotfiles'],
  ] as const)('%s: flag %j, env %j, config %j → %j', async (key, flag, env, saved, expected) => {
    const { ctx } = await home(env);
    if (saved !== undefined) await setConfig(ctx, key, saved);
    expect(await setting(ctx, key, flag as never)).toEqual(expected);
  });

  it('says where a bad value came from and what is allowed', async () => {
    const { ctx, paths } = await home({ DEVC_BACKEND: 'podman' });
    await expect(setting(ctx, 'backend')).rejects.toThrow(/DEVC_BACKEND: "podman" is not a valid backend/);
    const other = await home();
    await mkdir(other.paths.home, { recursive: true });
    await writeFile(configFile(other.paths), JSON.stringify({ idleTimeout: 'soon' }));
    await expect(setting(other.ctx, 'idleTimeout')).rejects.toMatchObject({
      message: expect.stringContaining(`idleTimeout in ${configFile(other.paths)}: "soon"`),
      hint: expect.stringContaining('90s, 30m'),
    });
    await writeFile(configFile(other.paths), '{ nope');
    await expect(setting(other.ctx, 'ide')).rejects.toThrow(/config.json is not valid JSON/);
    expect(paths.home).toBeTruthy();
  });

  it('reads an idleTimeout saved as a number by an older devc', async () => {
    const { ctx, paths } = await home();
    await mkdir(paths.home, { recursive: true });
    await writeFile(configFile(paths), JSON.stringify({ idleTimeout: 0 }));
    expect(await setting(ctx, 'idleTimeout')).toBe(0);
  });
});

describe('devc config', () => {
  it('saves checked values in a 0600 file in a 0700 DEVC_HOME; get falls back to the default', async () => {
    const { ctx, paths } = await home();
    expect(await configValue(ctx, 'backend')).toBe('docker');
    expect(await configValue(ctx, 'idleTimeout')).toBe('30m');
    expect(await configValue(ctx, 'registry')).toBeUndefined();
    await setConfig(ctx, 'registry', 'localhost:5000');
    expect((await stat(configFile(paths))).mode & 0o777).toBe(0o600);
    expect((await stat(paths.home)).mode & 0o777).toBe(0o700);
    expect(await configValue(ctx, 'registry')).toBe('localhost:5000');
    await setConfig(ctx, 'registry', undefined);
    expect(await configValue(ctx, 'registry')).toBeUndefined();
    expect((await configList(ctx)).map((r) => r.key)).toEqual([
      'backend',
      'registry',
      'namespace',
      'idleTimeout',
      'ide',
      'variant',
      'dotfiles',
    ]);
  });

  it.each([
    [
      ['config', 'set', 'colour', 'red'],
      /Unknown config key "colour"/,
      /backend, registry, namespace, idleTimeout, ide, variant, dotfiles/,
    ],
    [['config', 'get', 'idle-timeout'], /Unknown config key "idle-timeout"/, /idleTimeout/],
    [
      ['config', 'set', 'backend', 'podman'],
      /"podman" is not a valid backend/,
      /Allowed: docker, kubernetes/,
    ],
    [['config', 'set', 'idleTimeout', '45d'], /not a valid idleTimeout/, /at most 30d/],
    [['config', 'set', 'variant', 'rust'], /not a valid variant/, /base, node, python, fullstack/],
    [['config', 'set', 'namespace', 'Team_A'], /not a valid namespace/, /lower-case/],
    [['config', 'set', 'dotfiles', './mine'], /not a valid dotfiles/, /not a local folder/],
    [
      ['config', 'set', 'ide', 'emacs'],
      /not a valid ide/,
      /code-server, vscode, cursor, windsurf, antigravity, none/,
    ],
  ])('%j is a usage error naming what is allowed', async (argv, message, hint) => {
    const { ctx, paths } = await home();
    const t = testIO();
    const code = await main(argv, { io: t.io, env: ctx.env });
    expect(code).toBe(2);
    expect(t.stderr()).toMatch(message);
    expect(t.stderr()).toMatch(hint);
    await expect(stat(configFile(paths))).rejects.toThrow(/ENOENT/);
  });
});

describe('the Context picks backends through the settings', () => {
  it('takes the backend kind, namespace and registry from the config, below flags and variables', async () => {
    const dir = path.join(await mkdtemp(path.join(os.tmpdir(), 'devc-settings-')), 'home');
    const made = (env: NodeJS.ProcessEnv) => {
      const calls: [string, object][] = [];
      const ctx = createContext({
        io: testIO().io,
        env: { DEVC_HOME: dir, ...env },
        backendFactory: (kind, _env, options) => {
          calls.push([kind, options]);
          return Promise.resolve({ kind } as never);
        },
      });
      return { ctx, calls };
    };
    const first = made({});
    await setConfig(first.ctx, 'backend', 'kubernetes');
    await setConfig(first.ctx, 'namespace', 'team-a');
    await setConfig(first.ctx, 'registry', 'localhost:5000');
    await first.ctx.backend();
    await first.ctx.backend('kubernetes', { namespace: 'from-flag' });
    await first.ctx.backend('docker');
    expect(first.calls).toEqual([
      ['kubernetes', { namespace: 'team-a', registry: 'localhost:5000' }],
      ['kubernetes', { namespace: 'from-flag', registry: 'localhost:5000' }],
      ['docker', {}],
    ]);
    const second = made({ DEVC_BACKEND: 'docker', DEVC_NAMESPACE: 'team-b' });
    await second.ctx.backend();
    await second.ctx.backend('kubernetes');
    expect(second.calls).toEqual([
      ['docker', {}],
      ['kubernetes', { namespace: 'team-b', registry: 'localhost:5000' }],
    ]);
  });
});
