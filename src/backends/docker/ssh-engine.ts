import { masterSocket } from '../../ssh/master.js';
import { docker } from './engine.js';

/** DOCKER_HOST, else the endpoint of the docker context in use (DOCKER_CONTEXT or `docker context use`). */
export async function engineHost(env: NodeJS.ProcessEnv): Promise<string | undefined> {
  if (env.DOCKER_HOST) return env.DOCKER_HOST;
  const result = await docker(['context', 'inspect', '--format', '{{.Endpoints.docker.Host}}'], {
    allowFailure: true,
    env,
  });
  return result.exitCode === 0 ? result.stdout.trim() || undefined : undefined;
}

/** How ssh reaches an ssh:// engine's host: `[-l user] [-p port] host`, as the docker CLI does. */
export function sshDestination(engineHost: string): string[] | undefined {
  let url: URL;
  try {
    url = new URL(engineHost);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'ssh:' || !url.hostname) return undefined;
  return [
    ...(url.username ? ['-l', decodeURIComponent(url.username)] : []),
    ...(url.port ? ['-p', url.port] : []),
    '--',
    url.hostname.replace(/^\[(.*)\]$/, '$1'),
  ];
}

/** Where the engine host's master puts its socket (ssh/master.ts). */
export function controlSocket(home: string, engineHost: string): string {
  return masterSocket(home, 'engine', engineHost);
}
