import { readFileSync } from 'node:fs';
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

  it('code (desktop) names the Remote-SSH folder URI', async () => {
    const run = await devc(['code', '--no-open', '-w', name], env);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout.trim()).toBe(`vscode-remote://ssh-remote+${name}.devc/workspaces/${prefix}-app`);
    expect(run.stderr).toContain('devc config-ssh');
  });

  it('up --ide vscode --json keeps stdout one JSON object', async () => {
    const run = await devc(['up', `github/acme/${prefix}-app`, '--ide', 'vscode', '--json'], env);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(json<{ name: string }>(run).name).toBe(name);
    expect(run.stderr).toContain(`vscode-remote://ssh-remote+${name}.devc/`);
  });
});
