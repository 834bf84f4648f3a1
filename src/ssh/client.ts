import type { Paths } from '../paths.js';
import { hostAlias } from './known-hosts.js';

/** Quotes one argument for a POSIX shell. */
export function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** The remote command line: start in the workspace folder, then run the command or a login shell. */
export function remoteCommand(folder: string, command: string[]): string {
  const cd = `cd ${shellQuote(folder)} 2>/dev/null;`;
  if (command.length === 0) return `${cd} exec "$SHELL" -l`;
  return `${cd} ${command.map(shellQuote).join(' ')}`;
}

/** Arguments for the system OpenSSH client: devc's key, pinned host key, strict checking on. */
export function sshArgs(
  paths: Paths,
  workspace: string,
  endpoint: { host: string; port: number },
  options: { tty: boolean; user?: string; forwardAgent?: boolean },
): string[] {
  return [
    '-F',
    'none',
    '-i',
    paths.privateKey,
    '-p',
    String(endpoint.port),
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    `UserKnownHostsFile=${paths.knownHosts}`,
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    `HostKeyAlias=${hostAlias(workspace)}`,
    '-o',
    'BatchMode=yes',
    '-o',
    'LogLevel=ERROR',
    '-o',
    'ServerAliveInterval=30',
    // -F none leaves ForwardAgent off: the agent goes only where the user asked (`devc ssh -A`).
    ...(options.forwardAgent ? ['-A'] : []),
    options.tty ? '-tt' : '-T',
    `${options.user ?? 'dev'}@${endpoint.host}`,
  ];
}
