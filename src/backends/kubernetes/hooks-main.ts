/**
 * Entry point of the lifecycle hooks that run after `waitFor`: `node hooks-main.js NAMESPACE
 * WORKSPACE PHASE LOGFILE [CONTEXT]`, started detached by hooks.ts so `up` returns while they run.
 * Their output goes to the build log, like the ones `up` waited for. Not a devc command.
 */
import { systemIO } from '../../io.js';
import { hookSteps } from '../../devcontainer/lifecycle-hooks.js';
import { loadTarget } from './client.js';
import { callOrNull } from './errors.js';
import { HOOKS_ANNOTATION, runSteps, type HookRun } from './hooks.js';
import { objectName } from './objects.js';

async function main(argv: string[]): Promise<number> {
  const [namespace = '', workspace = '', phase = 'create', logFile = '', context = ''] = argv;
  const target = await loadTarget(process.env, context ? { context } : {});
  const name = objectName(workspace);
  const pvc = await callOrNull('get', 'persistentvolumeclaims', namespace, () =>
    target.core.readNamespacedPersistentVolumeClaim({ name, namespace }),
  );
  const saved = pvc?.metadata?.annotations?.[HOOKS_ANNOTATION];
  if (!saved) return 0;
  const plan = JSON.parse(saved) as Pick<HookRun, 'entries' | 'folder' | 'remoteEnv'>;
  const run: HookRun = { ...plan, phase: phase as HookRun['phase'], logFile };
  const steps = hookSteps(plan.entries, run.phase);
  // A restart's hooks all run here; after a create, the ones `up` did not wait for.
  const rest = run.phase === 'create' ? steps.filter((s) => !s.wait) : steps;
  await runSteps({ config: target.config, namespace, pod: name }, rest, run, steps);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    systemIO().err(error instanceof Error ? error.message : String(error));
    process.exit(1);
  },
);
