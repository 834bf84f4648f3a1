import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserGet } from './support/browser.js';
import { devc, devcEnv, devcProcess, json, loginLink, uniquePrefix } from './support/devc.js';
import { removeWorkspaces } from './support/docker.js';
import { startGitServer, type GitServer } from './support/git-server.js';

const prefix = uniquePrefix('cd');
const name = `${prefix}-app`;
let git: GitServer;
let env: NodeJS.ProcessEnv;
let secret: string;

beforeAll(async () => {
  git = await startGitServer();
  env = await devcEnv({ DEVC_GITHUB_URL: git.baseUrl });
  await git.createRepo(`acme/${prefix}-app`, { 'README.md': 'app\n' });
  const up = await devc(['up', `github/acme/${prefix}-app`, '--json'], env);
  expect(up.exitCode, up.stderr).toBe(0);
  expect(json<{ name: string }>(up).name).toBe(name);
  secret = readFileSync(
    path.join(env.DEVC_HOME!, 'workspaces', name, 'config', 'code-server-secret'),
    'utf8',
  ).trim();
  expect(secret.length).toBeGreaterThan(16);
});

afterAll(async () => {
  await removeWorkspaces(prefix);
  await git?.close();
});

/** code-server's workbench page, as opposed to its login page. */
const isWorkbench = (html: string): boolean =>
  html.includes('vscode-workbench-web-configuration') && !html.includes('code-server login');

describe('devc code', () => {
  it('code --web: a one-time link logs a headless browser in to the workbench; no secret leaks', async () => {
    const child = devcProcess(['code', '--web', '--no-open', '-w', name], env);
    const seen: string[] = [];
    let running = true;
    const watcher = (async () => {
      while (running) {
        seen.push(String((await execa('ps', ['-eo', 'args'], { reject: false })).stdout));
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const link = await loginLink(child);
    expect(link).not.toContain(secret);
    const site = `${name}.devc.localhost`;
    expect(new URL(link).hostname).toBe(site);

    // Opened by the address, the cookie would be 127.0.0.1's (every forwarded port's): refused, link kept.
    const byAddress = await browserGet(link.replace(site, '127.0.0.1'));
    expect(byAddress.status).toBe(421);
    expect(byAddress.headers['set-cookie']).toBeUndefined();

    const login = await browserGet(link);
    expect(login.status).toBe(302);
    const cookies = login.headers['set-cookie'] ?? [];
    // The workspace's own cookie name: logging in to another workspace's code-server doesn't log this one out.
    expect(cookies.some((c) => c.startsWith(`code-server-session-${name}=`))).toBe(true);
    // Host-only: for the workspace's name alone, never a Domain that would take in other names.
    expect(cookies.join('\n')).not.toMatch(/domain=/i);
    const workbench = login.headers.location!;
    expect(workbench).toMatch(
      new RegExp(`^http://${name}\\.devc\\.localhost:\\d+/\\?folder=%2Fworkspaces%2F${prefix}-app$`),
    );

    const cookie = cookies.map((c) => c.split(';')[0]).join('; ');
    const page = await browserGet(workbench, { cookie });
    expect(page.status).toBe(200);
    expect(isWorkbench(page.body)).toBe(true);

    // Without devc's cookie: the login page.
    const anonymous = await browserGet(workbench);
    expect(anonymous.status).toBe(302);
    const loginPage = await browserGet(new URL(anonymous.headers.location!, workbench).href);
    expect(loginPage.body).toContain('code-server login');

    // The link worked once; it is gone now.
    await expect(browserGet(link)).rejects.toThrow();

    const run = await child;
    running = false;
    await watcher;
    expect(run.exitCode, String(run.stderr)).toBe(0);
    expect(String(run.stderr)).toContain('Logged in to code-server');
    expect(String(run.stdout) + String(run.stderr)).not.toContain(secret);
    expect(seen.length).toBeGreaterThan(3);
    expect(seen.join('\n')).not.toContain(secret);
    const log = readFileSync(
      path.join(env.DEVC_HOME!, 'workspaces', name, 'forwarder', 'forwarder.log'),
      'utf8',
    );
    expect(log).not.toContain(secret);
    // 8080 is forwarded now, and listed.
    const ports = json<{ remote: number; state: string }[]>(await devc(['ports', '-w', name, '--json'], env));
    expect(ports).toContainEqual(expect.objectContaining({ remote: 8080, state: 'forwarded' }));
  });

  it('a wrong cookie still gets the login page', async () => {
    const ports = json<{ remote: number; url: string }[]>(await devc(['ports', '-w', name, '--json'], env));
    const url = ports.find((p) => p.remote === 8080)!.url;
    const res = await fetch(url, { headers: { cookie: 'code-server-session=forged' } });
    expect(res.url).toContain('/login');
    expect(await res.text()).toContain('code-server login');
  });

  it.each(['vscode', 'cursor', 'windsurf', 'antigravity'])(
    'code --ide %s --no-open prints its Remote-SSH link (installed or not)',
    async (ide) => {
      const run = await devc(['code', '--ide', ide, '--no-open', '-w', name], env);
      expect(run.exitCode, run.stderr).toBe(0);
      expect(run.stdout.trim()).toBe(
        `${ide}://vscode-remote/ssh-remote+${name}.devc/workspaces/${prefix}-app`,
      );
      expect(run.stderr).toContain('devc config-ssh');
    },
  );

  it('up --ide vscode --json keeps stdout one JSON object', async () => {
    const run = await devc(['up', `github/acme/${prefix}-app`, '--ide', 'vscode', '--json'], env);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(json<{ name: string }>(run).name).toBe(name);
    expect(run.stderr).toContain(`vscode://vscode-remote/ssh-remote+${name}.devc/`);
  });
});

describe('devc code --ide with a desktop to open editors on', () => {
  let desk: string;
  let desktopEnv: NodeJS.ProcessEnv;
  const opened = (editor: string) => path.join(desk, `${editor}.opened`);

  /** Waits for the fake editor to write what it was opened with (the system opens it detached). */
  async function openedWith(editor: string): Promise<string> {
    for (let i = 0; i < 100; i++) {
      if (existsSync(opened(editor))) {
        const text = readFileSync(opened(editor), 'utf8');
        if (text.endsWith('\n')) return text.trim();
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${editor} was never opened`);
  }

  beforeAll(async () => {
    // A desktop session as xdg-utils sees one: a display, and the user's own XDG folders.
    desk = mkdtempSync(path.join(os.tmpdir(), 'devc-desk-'));
    const apps = path.join(desk, 'data', 'applications');
    mkdirSync(apps, { recursive: true });
    mkdirSync(path.join(desk, 'config'));
    mkdirSync(path.join(desk, 'bin'));
    desktopEnv = {
      ...env,
      CI: '0',
      DISPLAY: ':99',
      XDG_DATA_HOME: path.join(desk, 'data'),
      XDG_CONFIG_HOME: path.join(desk, 'config'),
      PATH: `${path.join(desk, 'bin')}:${env.PATH}`,
    };
    // Cursor, as its package installs it: a .desktop entry for cursor:// links, here one that records
    // its argument; registered as the default handler by xdg-mime itself.
    const recorder = path.join(desk, 'record');
    writeFileSync(recorder, `#!/bin/sh\nprintf '%s\\n' "$*" > "${desk}/$1.opened"\n`, { mode: 0o755 });
    writeFileSync(
      path.join(apps, 'fake-cursor.desktop'),
      `[Desktop Entry]\nType=Application\nName=Fake Cursor\nExec=${recorder} cursor %u\nMimeType=x-scheme-handler/cursor;\n`,
    );
    const registered = await execa(
      'xdg-mime',
      ['default', 'fake-cursor.desktop', 'x-scheme-handler/cursor'],
      {
        env: desktopEnv,
        extendEnv: false,
        reject: false,
      },
    );
    expect(registered.exitCode, String(registered.stderr)).toBe(0);
    // Antigravity's launcher on PATH (as its Linux package links it), recording its arguments.
    writeFileSync(path.join(desk, 'bin', 'antigravity'), `#!/bin/sh\nexec ${recorder} antigravity "$@"\n`, {
      mode: 0o755,
    });
  });

  afterAll(() => rmSync(desk, { recursive: true, force: true }));

  it('cursor opens through the system: xdg-open hands its handler the cursor:// link', async () => {
    const run = await devc(['code', '--ide', 'cursor', '-w', name], desktopEnv);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stderr).toContain(`Opened ${name} in Cursor`);
    expect(run.stdout).toBe('');
    expect(await openedWith('cursor')).toBe(
      `cursor cursor://vscode-remote/ssh-remote+${name}.devc/workspaces/${prefix}-app`,
    );
  });

  it('antigravity on PATH opens the folder through its launcher', async () => {
    const run = await devc(['code', '--ide', 'antigravity', '-w', name], desktopEnv);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stderr).toContain(`Opened ${name} in Antigravity`);
    expect(await openedWith('antigravity')).toBe(
      `antigravity --folder-uri vscode-remote://ssh-remote+${name}.devc/workspaces/${prefix}-app`,
    );
  });

  it.each([
    [['code', '--ide', 'windsurf', '-w', name]],
    [['up', `github/acme/${prefix}-app`, '--ide', 'windsurf', '--json']],
  ])('%j: windsurf is not installed: one line naming it and where to get it, exit 1', async (args) => {
    const run = await devc(args, desktopEnv);
    expect(run.exitCode).toBe(1);
    expect(run.stderr.split('\n')[0]).toBe(
      'error: Windsurf is not installed here: no `windsurf` command and no handler for windsurf:// links (xdg-mime).',
    );
    expect(run.stderr).toContain('https://windsurf.com');
    expect(existsSync(opened('windsurf'))).toBe(false);
  });
});
