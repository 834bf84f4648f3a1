import type { DirectPlan, ImageFacts } from '../../devcontainer/direct.js';
import { DevcError } from '../../errors.js';
import { inspectImage } from './api.js';
import { docker } from './engine.js';
import { loopbackPublishArgs, networkArgs } from './network.js';

/** PID 1 of a container whose command devc overrides, as the Dev Containers CLI runs it. */
const KEEP_ALIVE = 'echo Container started\ntrap "exit 0" 15\nexec "$@"\nwhile sleep 1 & wait $!; do :; done';

/** The local image's labels, environment and user; undefined when it is not on this engine. */
export async function localImage(image: string): Promise<ImageFacts | undefined> {
  const config = (await inspectImage(image))?.Config;
  if (config === undefined) return undefined;
  return { labels: config?.Labels ?? {}, env: config?.Env ?? [], user: config?.User ?? '' };
}

/**
 * Runs a plain-image config's container with one `docker run`, labelled the way the Dev Containers CLI
 * labels its own (so `devcontainer run-user-commands` and `devcontainer exec` find their metadata).
 */
export async function runDirect(options: {
  container: string;
  plan: DirectPlan;
  labels: Record<string, string>;
  /** devc's mounts, in the CLI's `--mount` form. */
  mounts: string[];
  sourcePath: string;
  configFile: string;
}): Promise<string> {
  const { plan } = options;
  const labels = {
    ...options.labels,
    'devcontainer.local_folder': options.sourcePath,
    'devcontainer.config_file': options.configFile,
    'devcontainer.metadata': JSON.stringify(plan.metadata),
  };
  const result = await docker(
    [
      'run',
      '--detach',
      '--name',
      options.container,
      ...Object.entries(labels).flatMap(([k, v]) => ['--label', `${k}=${v}`]),
      '--mount',
      plan.workspaceMount,
      // `external` is the CLI's word for a volume it must not scope to Compose; docker has no such key.
      ...options.mounts.flatMap((m) => ['--mount', m.replace(/,external=true$/, '')]),
      ...Object.entries(plan.containerEnv).flatMap(([k, v]) => ['--env', `${k}=${v}`]),
      ...(plan.containerUser ? ['--user', plan.containerUser] : []),
      // On devc's network, where workspaces can't reach each other, unless runArgs choose one.
      ...(await networkArgs(plan.runArgs)),
      ...(await loopbackPublishArgs(plan.runArgs)),
      ...plan.runArgs,
      '--entrypoint',
      '/bin/sh',
      plan.image,
      '-c',
      KEEP_ALIVE,
      '-',
    ],
    { allowFailure: true },
  );
  if (result.exitCode !== 0) {
    // docker says what went wrong first, then where to read its help.
    const cause = (result.stderr.trim().split('\n')[0] || 'docker run failed').replace(/^docker: /, '');
    throw new DevcError(`The dev container failed at the container start step: ${cause}`, {
      hint: 'Check runArgs, mounts and containerUser in the devcontainer.json, then run `devc up` again.',
      details: result.stderr.trim(),
    });
  }
  return result.stdout.trim();
}
