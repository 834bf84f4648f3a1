import { HOOKS } from './direct.js';

/**
 * Where devc's agent puts the workspace's secrets at every start: `export` lines, 0600, the workspace
 * user's (images/agent/lib/devc-agent/secrets.sh). Commands devc runs in the workspace source it there,
 * so no secret is ever on a command line, in `docker exec`'s environment or in a pod spec.
 */
export const SECRETS_IN_WORKSPACE = '/run/devc/secrets.sh';

/** Shell that reads the secrets into the environment (nothing when the workspace has none). */
export const SOURCE_SECRETS = `if [ -r ${SECRETS_IN_WORKSPACE} ]; then . ${SECRETS_IN_WORKSPACE}; fi`;

const RUN_WITH_SECRETS = `${SOURCE_SECRETS}; exec "$@"`;

/** The command, run with the workspace's secrets in its environment. */
export function withSecrets(command: string[]): string[] {
  return ['/bin/sh', '-c', RUN_WITH_SECRETS, 'devc', ...command];
}

/**
 * The config with its lifecycle hooks run with the secrets (a string, an argv, or an object of
 * either, as devcontainer.json allows). The CLI keeps them so in the container's metadata label,
 * from which `devc start` runs postStartCommand again. A hook wrapped already is left as it is.
 */
export function withSecretHooks(configuration: Record<string, unknown>): Record<string, unknown> {
  const wrapped = { ...configuration };
  for (const hook of HOOKS) if (hook in wrapped) wrapped[hook] = wrapCommand(wrapped[hook]);
  return wrapped;
}

function wrapCommand(command: unknown): unknown {
  if (typeof command === 'string')
    return command.startsWith(`${SOURCE_SECRETS}; `) ? command : `${SOURCE_SECRETS}; ${command}`;
  if (Array.isArray(command) && command.every((c) => typeof c === 'string'))
    return command.length > 0 && command[2] !== RUN_WITH_SECRETS ? withSecrets(command) : command;
  if (command && typeof command === 'object' && !Array.isArray(command))
    return Object.fromEntries(Object.entries(command).map(([k, v]) => [k, wrapCommand(v)]));
  return command;
}
