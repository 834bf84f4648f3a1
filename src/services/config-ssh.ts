import { chmod, lstat, mkdir, readFile, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Context } from '../context.js';
import { DevcError } from '../errors.js';
import {
  addInclude,
  devcSshConfig,
  forwardsAgent,
  hasInclude,
  includeLine,
  proxyCommand,
  removeInclude,
} from '../ssh/config.js';

export interface ConfigSshOptions {
  dryRun?: boolean;
  remove?: boolean;
  /** The devc to put in ProxyCommand (default: this one). */
  devcScript?: string;
  /** Write `ForwardAgent yes` (true), take it out (false), or keep what the file says (undefined). */
  forwardAgent?: boolean;
}

export interface ConfigSshResult {
  userConfig: string;
  devcConfig: string;
  includeLine: string;
  /** The text of devc's own file (what is, or would be, written). */
  devcConfigText: string;
  /** What was done (or, with dryRun, would be), one line each. */
  actions: string[];
  /** Whether `ssh NAME.devc` (and editors through it) forward the local ssh-agent. */
  forwardAgent: boolean;
}

/** Adds (or with `remove`, takes out) devc's Include line in ~/.ssh/config and writes devc's own file. */
export async function configSsh(ctx: Context, options: ConfigSshOptions = {}): Promise<ConfigSshResult> {
  const home = ctx.env.HOME || os.homedir();
  const userConfig = path.join(home, '.ssh', 'config');
  const line = includeLine(ctx.paths);
  const script = options.devcScript ?? (await realpath(process.argv[1] ?? 'devc'));
  const forwardAgent = options.forwardAgent ?? forwardsAgent(await readDevcConfig(ctx));
  const devcConfigText = devcSshConfig(
    ctx.paths,
    proxyCommand(process.execPath, script, ctx.env),
    await workspaceUsers(ctx),
    { forwardAgent },
  );
  const result: ConfigSshResult = {
    userConfig,
    devcConfig: ctx.paths.sshConfig,
    includeLine: line,
    devcConfigText,
    actions: [],
    forwardAgent,
  };
  const would = (text: string): string =>
    options.dryRun ? `Would ${text[0]?.toLowerCase()}${text.slice(1)}` : text;
  const current = await readUserConfig(userConfig);

  if (options.remove) {
    if (current.text !== null && hasInclude(current.text, line)) {
      refuseIfUneditable(current, userConfig, `Remove this line from ${current.target} yourself: ${line}`);
      const restored = removeInclude(current.text, line);
      result.actions.push(would(`Removed the Include line from ${userConfig}`));
      if (!options.dryRun) await writeKeepingMode(current.target, restored, current.mode);
    }
    result.actions.push(would(`Removed ${ctx.paths.sshConfig}`));
    if (!options.dryRun) await rm(ctx.paths.sshConfig, { force: true });
    return result;
  }

  const forwarding = forwardAgent ? ', forwarding your ssh-agent' : '';
  result.actions.push(would(`Wrote ${ctx.paths.sshConfig} (Host *.devc${forwarding})`));
  if (!options.dryRun) {
    await mkdir(ctx.paths.sshDir, { recursive: true, mode: 0o700 });
    await writeFile(ctx.paths.sshConfig, devcConfigText, { mode: 0o600 });
  }
  if (current.text !== null && hasInclude(current.text, line)) {
    result.actions.push(`${userConfig} already includes it`);
    return result;
  }
  if (current.text === null) {
    result.actions.push(would(`Created ${userConfig} with one line: ${line}`));
    if (!options.dryRun) {
      await mkdir(path.dirname(userConfig), { recursive: true, mode: 0o700 });
      await writeFile(userConfig, `${line}\n`, { mode: 0o600, flag: 'wx' });
    }
    return result;
  }
  refuseIfUneditable(current, userConfig, `Add this line at the top of ${current.target} yourself: ${line}`);
  result.actions.push(would(`Added one line at the top of ${userConfig}: ${line}`));
  if (!options.dryRun) await writeKeepingMode(current.target, addInclude(current.text, line), current.mode);
  return result;
}

interface UserConfig {
  /** null: there is no file yet. */
  text: string | null;
  /** The file to write (the path itself; devc never writes through a symlink). */
  target: string;
  symlink: boolean;
  readOnly: boolean;
  mode: number;
}

async function readUserConfig(file: string): Promise<UserConfig> {
  const link = await lstat(file).catch(() => null);
  if (!link) return { text: null, target: file, symlink: false, readOnly: false, mode: 0o600 };
  const symlink = link.isSymbolicLink();
  const target = symlink ? await realpath(file).catch(() => file) : file;
  const info = await stat(file).catch(() => link);
  if (info.isDirectory())
    throw new DevcError(`${file} is a folder; ssh reads its settings from a file there.`, {
      hint: 'Move the folder away, then run `devc config-ssh` again.',
    });
  return {
    text: await readFile(file, 'utf8').catch(() => ''),
    target,
    symlink,
    // No write bit at all: the user (or home-manager) means it read-only, even for root.
    readOnly: (info.mode & 0o222) === 0,
    mode: info.mode & 0o777,
  };
}

/**
 * A symlinked config (dotfiles, home-manager) or a read-only one is not devc's to change: devc says
 * which line to add by hand instead. devc's own file is written either way, so adding the line is all
 * that is left to do.
 */
function refuseIfUneditable(config: UserConfig, file: string, hint: string): void {
  if (config.symlink)
    throw new DevcError(`${file} is a symbolic link to ${config.target}; devc does not edit it.`, { hint });
  if (config.readOnly) throw new DevcError(`${file} is read-only; devc does not edit it.`, { hint });
}

/** Replaces the file through a temporary one in the same folder, keeping its permissions. */
async function writeKeepingMode(file: string, text: string, mode: number): Promise<void> {
  const tmp = `${file}.devc-${process.pid}.tmp`;
  try {
    await writeFile(tmp, text, { mode });
    await chmod(tmp, mode);
    await rename(tmp, file);
  } catch (error) {
    await rm(tmp, { force: true });
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS')
      throw new DevcError(
        `Can't write ${file}: ${code === 'EROFS' ? 'the file system is read-only' : 'permission denied'}.`,
        {
          hint: `Add this line at its top yourself, then run \`devc config-ssh\` again to check.`,
        },
      );
    throw error;
  }
}

/** Workspace → its SSH user, for the workspaces the engines list (none when they can't be reached). */
async function workspaceUsers(ctx: Context): Promise<Record<string, string>> {
  const users: Record<string, string> = {};
  try {
    for (const backend of await ctx.backends())
      for (const workspace of await backend.list()) users[workspace.name] = workspace.user;
  } catch {
    // No engine right now: the wildcard entry (User dev) still serves dev8 workspaces.
  }
  return users;
}

/**
 * Rewrites devc's own ssh_config if `devc config-ssh` made one (call it after creating a workspace whose
 * user is not `dev`); never touches ~/.ssh/config.
 */
export async function refreshSshConfig(ctx: Context): Promise<void> {
  const current = await readDevcConfig(ctx);
  const proxy = /^ {2}ProxyCommand (.*)$/m.exec(current)?.[1];
  if (!proxy) return;
  const text = devcSshConfig(ctx.paths, proxy, await workspaceUsers(ctx), {
    forwardAgent: forwardsAgent(current),
  });
  await writeFile(ctx.paths.sshConfig, text, { mode: 0o600 });
}

/** devc's own ssh_config as it is now ('' when `devc config-ssh` has not written one). */
async function readDevcConfig(ctx: Context): Promise<string> {
  return readFile(ctx.paths.sshConfig, 'utf8').catch(() => '');
}
