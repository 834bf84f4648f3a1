import { access, constants } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import type { Context } from '../context.js';
import { DevcError } from '../errors.js';
import type { DesktopEditor } from '../workspace/ides.js';

interface EditorInfo {
  name: string;
  /** The URL scheme the editor registers with the system (its product.json `urlProtocol`). */
  scheme: string;
  /** Its command-line launcher, when installed on PATH. */
  cli: string;
  /** Its app bundle on macOS. */
  macApp: string;
  site: string;
}

const EDITORS: Record<DesktopEditor, EditorInfo> = {
  vscode: {
    name: 'VS Code',
    scheme: 'vscode',
    cli: 'code',
    macApp: 'Visual Studio Code',
    site: 'https://code.visualstudio.com',
  },
  cursor: { name: 'Cursor', scheme: 'cursor', cli: 'cursor', macApp: 'Cursor', site: 'https://cursor.com' },
  windsurf: {
    name: 'Windsurf',
    scheme: 'windsurf',
    cli: 'windsurf',
    macApp: 'Windsurf',
    site: 'https://windsurf.com',
  },
  antigravity: {
    name: 'Antigravity',
    scheme: 'antigravity',
    cli: 'antigravity',
    macApp: 'Antigravity',
    site: 'https://antigravity.google',
  },
};

export function editorName(editor: DesktopEditor): string {
  return EDITORS[editor].name;
}

/** The link that opens a folder over Remote-SSH in that editor: `<scheme>://vscode-remote/ssh-remote+HOST/FOLDER`. */
export function editorUrl(editor: DesktopEditor, host: string, folder: string): string {
  return `${EDITORS[editor].scheme}://vscode-remote/ssh-remote+${host}${encodeURI(folder)}`;
}

/** The same folder as every one of these editors' `--folder-uri` option takes it. */
export function folderUri(host: string, folder: string): string {
  return `vscode-remote://ssh-remote+${host}${encodeURI(folder)}`;
}

/** How this machine opens the editor: its launcher on PATH (no prompt), else its registered URL scheme. */
export type EditorRoute = { via: 'cli'; command: string } | { via: 'url' };

/** Runs a probe quietly: whether it exited 0, and what it printed. */
export type Probe = (
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
) => Promise<{ ok: boolean; stdout: string }>;

const probe: Probe = async (command, args, env) => {
  const r = await execa(command, args, {
    env,
    extendEnv: false,
    reject: false,
    timeout: 10_000,
    stdin: 'ignore',
  });
  return { ok: r.exitCode === 0, stdout: String(r.stdout) };
};

/** How the editor can be opened here, or null when it is not installed. */
export async function findEditor(
  editor: DesktopEditor,
  env: NodeJS.ProcessEnv,
  platform: NodeJS.Platform = process.platform,
  run: Probe = probe,
): Promise<EditorRoute | null> {
  const info = EDITORS[editor];
  // Windows launchers are .cmd scripts, which Node runs only through a shell: the URL handler serves.
  const command = platform === 'win32' ? null : await onPath(info.cli, env.PATH ?? '');
  if (command) return { via: 'cli', command };
  return (await hasUrlHandler(info, env, platform, run)) ? { via: 'url' } : null;
}

/** Whether the system knows an application for `<scheme>://` links. */
async function hasUrlHandler(
  info: EditorInfo,
  env: NodeJS.ProcessEnv,
  platform: NodeJS.Platform,
  run: Probe,
): Promise<boolean> {
  if (platform === 'darwin') return (await run('open', ['-Ra', info.macApp], env)).ok;
  if (platform === 'win32')
    return (await run('reg', ['query', `HKEY_CLASSES_ROOT\\${info.scheme}`, '/v', 'URL Protocol'], env)).ok;
  const handler = await run('xdg-mime', ['query', 'default', `x-scheme-handler/${info.scheme}`], env);
  return handler.ok && handler.stdout.trim() !== '';
}

/** The editor's route, or a one-line error naming it and where to get it. */
export async function requireEditor(
  editor: DesktopEditor,
  env: NodeJS.ProcessEnv,
  platform: NodeJS.Platform = process.platform,
  run: Probe = probe,
): Promise<EditorRoute> {
  const route = await findEditor(editor, env, platform, run);
  if (route) return route;
  const info = EDITORS[editor];
  const handler = `${info.scheme}:// links`;
  const missing =
    platform === 'win32'
      ? `no handler for ${handler} in the registry`
      : platform === 'darwin'
        ? `no \`${info.cli}\` command and no ${info.macApp} app`
        : `no \`${info.cli}\` command and no handler for ${handler} (xdg-mime)`;
  throw new DevcError(`${info.name} is not installed here: ${missing}.`, {
    hint: `Install it from ${info.site} (with its Remote-SSH extension), or print the link with --no-open.`,
  });
}

/** Opens a workspace folder over Remote-SSH in the editor, by the route `requireEditor` found. */
export async function openInEditor(
  ctx: Context,
  editor: DesktopEditor,
  route: EditorRoute,
  host: string,
  folder: string,
): Promise<void> {
  if (route.via === 'cli') {
    const args = ['--folder-uri', folderUri(host, folder)];
    const run = await execa(route.command, args, {
      env: ctx.env,
      extendEnv: false,
      reject: false,
      stdio: 'ignore',
    });
    if (run.exitCode === 0) return;
    const info = EDITORS[editor];
    if (!(await hasUrlHandler(info, ctx.env, process.platform, probe)))
      throw new DevcError(
        `${info.name} did not open the workspace: \`${info.cli}\` exited with ${run.exitCode}.`,
        {
          hint: `Open it yourself: ${editorUrl(editor, host, folder)}`,
        },
      );
  }
  await ctx.browser.open(editorUrl(editor, host, folder));
}

/** The first executable `name` in a PATH string. */
async function onPath(name: string, searchPath: string): Promise<string | null> {
  for (const dir of searchPath.split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    if (
      await access(candidate, constants.X_OK).then(
        () => true,
        () => false,
      )
    )
      return candidate;
  }
  return null;
}
