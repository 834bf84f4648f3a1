import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Context } from '../context.js';
import { DevcError } from '../errors.js';
import { hasInclude, includeLine } from '../ssh/config.js';
import { hostAlias } from '../ssh/known-hosts.js';
import { serveOneShotLogin, type OneShotLogin } from '../transport/login-server.js';
import { waitFor } from '../transport/wait.js';
import { forwardPorts } from './ports.js';
import { ensureRunning, selectWorkspace } from './select.js';
import { hasAttachHooks } from '../backends/backend.js';

const CODE_SERVER_PORT = 8080;

export interface CodeWeb {
  workspace: string;
  /** code-server on this machine (forwarded), e.g. http://shop.devc.localhost:8080/?folder=… */
  workbenchUrl: string;
  login: OneShotLogin;
}

/** Whether devc may start a browser or an editor: not in CI, not asked not to, and a display exists. */
export function canOpen(env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): boolean {
  const truthy = (v: string | undefined) => Boolean(v) && v !== '0' && v !== 'false';
  if (truthy(env.CI) || truthy(env.DEVC_NO_BROWSER)) return false;
  if (platform === 'linux' || platform === 'freebsd' || platform === 'openbsd')
    return Boolean(env.DISPLAY || env.WAYLAND_DISPLAY);
  return true;
}

/**
 * The host name a workspace's code-server is opened at in the browser. `*.localhost` names reach
 * loopback (RFC 6761; Chromium, Firefox, Safari and curl resolve them themselves), and a cookie set
 * for one is sent to that name only: not to 127.0.0.1, localhost or another workspace's name, whatever
 * the port. So the session cookie never reaches another forwarded port, which may be any workspace's app.
 */
export function codeServerSite(workspace: string): string {
  return `${workspace}.devc.localhost`;
}

/**
 * code-server in the browser, already logged in: devc forwards 8080, logs in to code-server itself
 * with the workspace's secret (read from devc's folder, never put in argv, URLs or logs), and hands
 * the browser a one-shot link that sets the session cookie for the workspace's own host name
 * (`codeServerSite`) and redirects to the workbench there.
 */
export async function codeWeb(ctx: Context, name: string | undefined): Promise<CodeWeb> {
  const selected = await selectWorkspace(ctx, name);
  const workspace = await ensureRunning(ctx, selected);
  if (hasAttachHooks(selected.backend)) await selected.backend.attached(workspace);
  const { ports } = await forwardPorts(ctx, workspace.name, [{ remote: CODE_SERVER_PORT }]);
  const local = ports[0]?.local;
  if (!local) throw new DevcError(`Can't forward code-server's port of ${workspace.name}.`);
  // devc's own requests go to the address: Node's resolver may not know `*.localhost` names.
  const base = `http://127.0.0.1:${local}`;
  await waitFor(`code-server in workspace ${workspace.name}`, () => answers(`${base}/healthz`), {
    timeoutMs: 90_000,
    signal: ctx.signal,
  });
  // Loaded while devc logs in and the browser starts, rather than on the browser's first request.
  loadEditor(base);
  const secret = await readSecret(ctx, workspace.name);
  const cookies = await logIn(base, secret);
  const site = codeServerSite(workspace.name);
  const workbenchUrl = `http://${site}:${local}/?folder=${encodeURIComponent(workspace.folder)}`;
  return {
    workspace: workspace.name,
    workbenchUrl,
    login: await serveOneShotLogin(cookies, workbenchUrl, site),
  };
}

/**
 * What a desktop editor needs to open a workspace over Remote-SSH: its host alias (which resolves
 * through devc's ssh config, written by `devc config-ssh`) and folder.
 */
export async function codeDesktop(
  ctx: Context,
  name: string | undefined,
): Promise<{ workspace: string; host: string; folder: string; sshConfigured: boolean }> {
  const selected = await selectWorkspace(ctx, name);
  const workspace = await ensureRunning(ctx, selected);
  if (hasAttachHooks(selected.backend)) await selected.backend.attached(workspace);
  const userConfig = path.join(ctx.env.HOME || os.homedir(), '.ssh', 'config');
  const text = await readFile(userConfig, 'utf8').catch(() => '');
  return {
    workspace: workspace.name,
    host: hostAlias(workspace.name),
    folder: workspace.folder,
    sshConfigured: hasInclude(text, includeLine(ctx.paths)),
  };
}

/**
 * Asks code-server at `base` for `/` without waiting (its answer, a redirect to its login, is dropped):
 * code-server loads the editor's server on the first such request (~0.2 s), which is then done, or
 * under way, when the browser asks.
 */
export function loadEditor(base: string): void {
  void fetch(`${base}/`, { redirect: 'manual', signal: AbortSignal.timeout(30_000) }).then(
    (answer) => answer.body?.cancel(),
    () => undefined,
  );
}

async function answers(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(3000) });
    await res.body?.cancel();
    return res.status < 500;
  } catch {
    return false;
  }
}

async function readSecret(ctx: Context, workspace: string): Promise<string> {
  const file = path.join(ctx.paths.workspacesDir, workspace, 'config', 'code-server-secret');
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch {
    throw new DevcError(`Workspace ${workspace} has no code-server secret in ${file}.`, {
      hint: 'Recreate the workspace with `devc up`.',
    });
  }
}

/** POST /login as code-server's own form does; resolves to the session cookies it sets. */
async function logIn(base: string, secret: string): Promise<string[]> {
  const res = await fetch(`${base}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ password: secret }).toString(),
    signal: AbortSignal.timeout(15_000),
  });
  await res.body?.cancel();
  const cookies = res.headers.getSetCookie();
  if (res.status >= 400 || cookies.length === 0)
    throw new DevcError(`code-server refused devc's login (HTTP ${res.status}).`, {
      hint: 'Restart the workspace (`devc stop` and `devc up`) so code-server reads its secret again.',
    });
  return cookies;
}
