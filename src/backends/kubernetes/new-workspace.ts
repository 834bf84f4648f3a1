import { untimed } from '../../io.js';
import type { WorkspaceSpec } from '../../workspace/model.js';
import type { KubeTarget } from './client.js';
import type { KubeExtras } from './create.js';
import type { HookProcess } from './hooks.js';
import { objectName } from './objects.js';

/**
 * A workspace's objects made, its pod's first start (a local tree uploaded into a new volume) and
 * its create hooks run: everything `create` does before the workspace is looked up again. Resolves
 * to the pod's SSH host key when its sshd was seen listening.
 */
export async function makeWorkspace(
  target: KubeTarget,
  env: NodeJS.ProcessEnv,
  made: { spec: WorkspaceSpec; extras: KubeExtras; namespace: string; registry: string | undefined },
  hookProcess: HookProcess,
): Promise<{ hostKey: string } | undefined> {
  const { spec, extras, namespace } = made;
  const [{ createObjects }, { firstStart }] = await Promise.all([
    import('./create.js'),
    import('./first-start.js'),
  ]);
  const timing = target.timing ?? untimed;
  const { newVolume, rootPrepared, hooks, hostKey } = await timing.span(
    'kubernetes: create the objects',
    () => createObjects(target, env, spec, extras, namespace, made.registry),
  );
  // A local working tree is uploaded as it is, once, into the running pod (a rebuild keeps the files).
  const local = newVolume && spec.repository.url === spec.sourcePath;
  const sshd = await timing.span('kubernetes: first start', () =>
    firstStart(target, namespace, spec.name, {
      ...(local ? { upload: { local: spec.sourcePath, folder: spec.folder } } : {}),
      ...(rootPrepared ? { rootPrepared } : {}),
    }),
  );
  const ready = sshd && hostKey ? { hostKey } : undefined;
  const logFile = extras.logFile;
  if (!hooks || !logFile) return ready;
  const { runHooks } = await import('./hooks.js');
  await timing.span('kubernetes: create hooks', () =>
    runHooks(
      { config: target.config, namespace, pod: objectName(spec.name) },
      { ...hooks, phase: 'create', logFile },
      hookProcess,
    ),
  );
  return ready;
}
