import { spawn } from 'node:child_process';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { devcontainerBin } from '../../devcontainer/cli.js';
import { hooksFromLabel } from '../../devcontainer/up.js';
import { hasStartHooks } from '../../devcontainer/direct.js';
import { Label } from '../../workspace/model.js';
import { prepareSecrets } from './agent.js';
import { agentConfigDir, type InspectedContainer } from './inspect.js';

/**
 * postStartCommand (and postAttachCommand) run again on every start, as in Codespaces: through
 * `devcontainer run-user-commands`, whose markers keep the create-time hooks from running twice. In
 * the background, so a resume stays quick; the output goes to the workspace's build log.
 */
export async function runStartHooks(container: InspectedContainer): Promise<void> {
  const labels = container.Config.Labels ?? {};
  const source = labels[Label.source];
  const config = labels[Label.config];
  const configDir = agentConfigDir(container);
  if (!source || !config || !configDir || !hasStartHooks(labels['devcontainer.metadata'])) return;
  // The hooks source the secrets as they are now; the agent, just started, may not have written them.
  await prepareSecrets(container.Id, configDir);
  const log = await open(path.join(path.dirname(configDir), 'build.log'), 'a', 0o600);
  try {
    const args = [
      devcontainerBin(),
      'run-user-commands',
      '--container-id',
      container.Id,
      '--workspace-folder',
      source,
      '--config',
      path.resolve(source, config),
      '--default-user-env-probe',
      'none',
      ...hooksFromLabel(labels[Label.workspace] ?? ''),
      '--log-format',
      'text',
    ];
    spawn(process.execPath, args, { detached: true, stdio: ['ignore', log.fd, log.fd] }).unref();
  } finally {
    await log.close();
  }
}
