import { readFileSync } from 'node:fs';
import path from 'node:path';
import { docker } from './engine.js';

/** Where devc mounts its per-workspace agent config (authorized key, secrets, agent.env). */
export const AGENT_CONFIG_DIR = '/etc/devc';

/**
 * Label naming the folder on this machine that devc copies into a workspace's /etc/devc volume (an
 * engine elsewhere can't mount it). Absent on a local engine, where the folder is bind-mounted.
 */
export const CONFIG_COPY_LABEL = 'dev.devc.config-copy';

/** Label marking a container whose agent devc starts with `docker exec` (a repository's own image). */
export const INJECTED_LABEL = 'dev.devc.agent';

/** The non-secret settings of an injected agent, as written in `<config>/agent.env`. */
export function readAgentEnv(configDir: string | undefined): Record<string, string> {
  if (!configDir) return {};
  try {
    const entries = readFileSync(path.join(configDir, 'agent.env'), 'utf8')
      .split('\n')
      .map((line) => /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => [m[1] ?? '', m[2] ?? ''] as const);
    return Object.fromEntries(entries);
  } catch {
    return {};
  }
}

/** The agent's non-secret settings as `docker exec` flags (secrets are read from /etc/devc). */
function agentEnvArgs(configDir: string | undefined): string[] {
  const env = readAgentEnv(configDir);
  return Object.entries({ ...env, DEVC_AGENT_INJECTED: '1' }).flatMap(([k, v]) => ['--env', `${k}=${v}`]);
}

/**
 * Writes the workspace's secrets for its user (/run/devc/secrets.sh), as the agent does when it
 * starts, before devc runs lifecycle hooks that source them: the agent may not run yet.
 */
export async function prepareSecrets(container: string, configDir: string | undefined): Promise<void> {
  // A failure here (an image without the user) is the agent's to report when it starts, with its log.
  const args = ['exec', '--user', 'root', ...agentEnvArgs(configDir), container];
  await docker([...args, '/opt/devc/bin/devc-agent', 'secrets'], { allowFailure: true });
}

/**
 * The agent's start inside a repository's own image: its stdout and stderr go to PID 1's, so `docker
 * logs` (and `devc logs`) show its lines as for dev8 images. Only PID 1's own user may open
 * /proc/1/fd/* (root in a container has no CAP_SYS_PTRACE), so two relays dropped to that user
 * (setpriv, which the agent needs anyway) copy them there, whoever PID 1 runs as; a relay that can't
 * open its target loses lines rather than stopping the agent.
 */
const START_AGENT = [
  `ids=$(awk '/^Uid:/ {u = $2} /^Gid:/ {g = $2} END {print "--reuid=" u " --regid=" g}' /proc/1/status)`,
  'to_pid1() { setpriv $ids --clear-groups tee -a "/proc/1/fd/$1" >/dev/null; }',
  '{ /opt/devc/bin/devc-agent 2>&1 >&3 3>&- | to_pid1 2 3>&-; } 3>&1 | to_pid1 1',
].join('\n');

/** Starts devc's agent inside a running container of a repository's own image (not its PID 1). */
export async function startInjectedAgent(container: string, configDir: string | undefined): Promise<void> {
  const envArgs = agentEnvArgs(configDir);
  await docker(['exec', '--detach', '--user', 'root', ...envArgs, container, '/bin/sh', '-c', START_AGENT]);
}
