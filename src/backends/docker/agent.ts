import { readFileSync } from 'node:fs';
import path from 'node:path';
import { docker } from './engine.js';

/** Where devc mounts its per-workspace agent config (authorized key, secrets, agent.env). */
export const AGENT_CONFIG_DIR = '/etc/devc';

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

/** Starts devc's agent inside a running container of a repository's own image (not its PID 1). */
export async function startInjectedAgent(container: string, configDir: string | undefined): Promise<void> {
  const env = readAgentEnv(configDir);
  const envArgs = Object.entries({ ...env, DEVC_AGENT_INJECTED: '1' }).flatMap(([k, v]) => [
    '--env',
    `${k}=${v}`,
  ]);
  // Its lines go to PID 1's output, so `docker logs` (and `devc logs`) show them as for dev8 images.
  await docker([
    'exec',
    '--detach',
    '--user',
    'root',
    ...envArgs,
    container,
    '/bin/sh',
    '-c',
    'exec /opt/devc/bin/devc-agent >>/proc/1/fd/1 2>>/proc/1/fd/2',
  ]);
}
