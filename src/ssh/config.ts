import type { Paths } from '../paths.js';
import { shellQuote } from './client.js';
import { hostAlias } from './known-hosts.js';

/**
 * `devc config-ssh` edits two files: one `Include` line at the top of the user's ~/.ssh/config (the
 * rest kept byte for byte), and devc's own DEVC_HOME/ssh/config, which devc owns and rewrites.
 */

/** An ssh_config argument: double-quoted when it has spaces, `%` doubled where tokens are expanded. */
export function configArg(value: string, tokens = true): string {
  const escaped = tokens ? value.replace(/%/g, '%%') : value;
  if (escaped.includes('"')) throw new Error(`A path with a double quote can't go in ssh_config: ${value}`);
  return /[\s#]/.test(escaped) ? `"${escaped}"` : escaped;
}

/** The one line devc adds to ~/.ssh/config. */
export function includeLine(paths: Paths): string {
  return `Include ${configArg(paths.sshConfig, false)}`;
}

/** The ProxyCommand that runs this very devc, with the same DEVC_HOME (`%` doubled for ssh_config). */
export function proxyCommand(nodePath: string, devcScript: string, env: NodeJS.ProcessEnv): string {
  const home = env.DEVC_HOME ? `env DEVC_HOME=${shellQuote(env.DEVC_HOME)} ` : '';
  const command = `${home}${shellQuote(nodePath)} ${shellQuote(devcScript)} ssh --stdio`;
  return `${command.replace(/%/g, '%%')} %h`;
}

/**
 * devc's own ssh_config: one wildcard entry for every workspace, preceded by a `User` line for each
 * workspace whose user is not `dev` (a devcontainer.json remoteUser); ssh takes the first value.
 * `forwardAgent` adds `ForwardAgent yes` (`config-ssh --forward-agent`): off unless asked for.
 */
export function devcSshConfig(
  paths: Paths,
  proxy: string,
  users: Record<string, string> = {},
  options: { forwardAgent?: boolean } = {},
): string {
  const others = Object.entries(users)
    .filter(([, user]) => user !== 'dev')
    .sort(([a], [b]) => a.localeCompare(b))
    .flatMap(([name, user]) => [`Host ${hostAlias(name)}`, `  User ${configArg(user, false)}`]);
  return [
    '# Written by `devc config-ssh`, which rewrites it: put your own settings in ~/.ssh/config.',
    '# Every workspace is NAME.devc; its host key is pinned in the known_hosts below.',
    ...others,
    'Host *.devc',
    `  ProxyCommand ${proxy}`,
    '  User dev',
    `  IdentityFile ${configArg(paths.privateKey)}`,
    '  IdentitiesOnly yes',
    `  UserKnownHostsFile ${configArg(paths.knownHosts)}`,
    '  StrictHostKeyChecking yes',
    '  ServerAliveInterval 30',
    ...(options.forwardAgent ? ['  ForwardAgent yes'] : []),
    '',
  ].join('\n');
}

/** Whether devc's own ssh_config (as `devcSshConfig` writes it) forwards the agent. */
export function forwardsAgent(devcConfigText: string): boolean {
  return /^ {2}ForwardAgent yes$/m.test(devcConfigText);
}

/** Whether `text` already has this Include line (anywhere: the user may have moved it). */
export function hasInclude(text: string, line: string): boolean {
  return text.split(/\r?\n/).some((l) => l.trim() === line);
}

/** The user's config with the Include line first; unchanged when it is already there. */
export function addInclude(text: string, line: string): string {
  return hasInclude(text, line) ? text : `${line}\n${text}`;
}

/** The user's config without the Include line devc added (only that line, with its line break). */
export function removeInclude(text: string, line: string): string {
  const lines = text.split('\n');
  const index = lines.findIndex((l) => l.replace(/\r$/, '').trim() === line);
  if (index < 0) return text;
  lines.splice(index, 1);
  return lines.join('\n');
}
