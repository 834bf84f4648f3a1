import { spawn } from 'node:child_process';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { DevcError } from '../../errors.js';
import { resolvePaths } from '../../paths.js';
import {
  CREATE_HOOKS,
  hookScript,
  hookSteps,
  shellQuote,
  type HookStep,
} from '../../devcontainer/lifecycle-hooks.js';
import { SECRETS_IN_WORKSPACE, SOURCE_SECRETS } from '../../devcontainer/secret-hooks.js';
import { execIn, type ExecTarget } from './exec.js';

/** Annotation on the PVC: the lifecycle hooks of the merged metadata, for later starts. */
export const HOOKS_ANNOTATION = 'dev.devc.hooks';
/**
 * A hook can run before the agent (starting beside it) has written the workspace's secrets from the
 * Secret's secrets.env: wait for them, up to 10 s, when there are any.
 */
const AWAIT_SECRETS = `i=0; while [ -e /etc/devc/secrets.env ] && ! [ -e ${SECRETS_IN_WORKSPACE} ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done`;
/** Where a create hook's success is marked: on the PVC, so a new pod on the volume does not run it again. */
const MARKS = '/workspaces/.devc-lifecycle';

/** What a detached hooks process needs to reach the cluster as the backend does. */
export interface HookProcess {
  context: string | undefined;
  env: NodeJS.ProcessEnv;
  workspace: string;
}

export interface HookRun {
  entries: Record<string, unknown>[];
  phase: 'create' | 'start' | 'attach';
  folder: string;
  remoteEnv: Record<string, string>;
  logFile: string;
}

/**
 * The script of one step: in the folder, with remoteEnv and the workspace's secrets (the agent's
 * /run/devc/secrets.sh, as hooks on Docker); a create hook only once (its mark on the PVC).
 */
export function stepScript(
  step: HookStep,
  index: number,
  folder: string,
  env: Record<string, string>,
): string {
  const exports = Object.entries(env)
    .map(([k, v]) => `export ${k}=${shellQuote(v)}`)
    .join('\n');
  const mark = `${MARKS}/${step.hook}-${index}`;
  const once = CREATE_HOOKS.includes(step.hook);
  return [
    'set -u',
    `cd ${shellQuote(folder)} 2>/dev/null || cd`,
    exports,
    AWAIT_SECRETS,
    SOURCE_SECRETS,
    once ? `[ -e ${mark} ] && exit 0` : '',
    `echo "devc: running ${step.hook}"`,
    `( ${hookScript(step.command)} ) || exit $?`,
    once ? `mkdir -p ${MARKS} && : > ${mark}` : '',
  ]
    .filter(Boolean)
    .join('\n');
}

/**
 * Runs the hooks of `phase` in the workspace container (as its user), their output appended to the
 * build log: the ones up to `waitFor` now (a failure is an error naming the hook), the rest in a
 * detached process that outlives this one (hooks-main.ts).
 */
export async function runHooks(into: ExecTarget, run: HookRun, background: HookProcess): Promise<void> {
  const steps = hookSteps(run.entries, run.phase);
  await runSteps(
    into,
    steps.filter((s) => s.wait),
    run,
    steps,
  );
  if (steps.some((s) => !s.wait))
    spawnHooks(into.namespace, background.workspace, run.phase, run.logFile, background);
}

/** Runs `which` (of `all`, whose indexes name the marks) one after the other; throws at the first failure. */
export async function runSteps(
  into: ExecTarget,
  which: HookStep[],
  run: HookRun,
  all: HookStep[],
): Promise<void> {
  if (which.length === 0) return;
  const log = await open(run.logFile, 'a', 0o600);
  try {
    for (const step of which) {
      let tail = '';
      const out = new Writable({
        write(chunk: Buffer, _enc, done) {
          tail = (tail + chunk.toString('utf8')).slice(-2000);
          log.write(chunk).then(() => done(), done);
        },
      });
      const script = stepScript(step, all.indexOf(step), run.folder, run.remoteEnv);
      const code = await execIn(into, ['sh', '-c', script], { stdout: out, stderr: out });
      if (code !== 0) {
        await log.write(`devc: ${step.hook} failed with exit code ${code}\n`);
        throw new DevcError(`The ${step.hook} failed with exit code ${code}.`, {
          hint: `Fix the ${step.hook} in devcontainer.json (or the image's devcontainer.metadata) and run \`devc up\` again; \`devc logs --build\` has its output.`,
          details: tail.trim().split('\n').slice(-10).join('\n'),
        });
      }
    }
  } finally {
    await log.close();
  }
}

/**
 * Runs the hooks of `phase` after `waitFor` (all of them for `start`: nobody waits for a restart's)
 * in a detached process, which reads them from the PVC. Nothing happens for a workspace without hooks.
 */
export function spawnHooks(
  namespace: string,
  workspace: string,
  phase: HookRun['phase'],
  logFile: string,
  background: { context: string | undefined; env: NodeJS.ProcessEnv },
): void {
  const entry = fileURLToPath(new URL('./hooks-main.js', import.meta.url));
  const args = [entry, namespace, workspace, phase, logFile, background.context ?? ''];
  spawn(process.execPath, args, { detached: true, stdio: 'ignore', env: background.env }).unref();
}

/** The hooks of a later start or an attach, in the background, their output in the workspace's build log. */
export function spawnLaterHooks(namespace: string, phase: 'start' | 'attach', background: HookProcess): void {
  const { workspace, env } = background;
  spawnHooks(
    namespace,
    workspace,
    phase,
    path.join(resolvePaths(env).workspacesDir, workspace, 'build.log'),
    background,
  );
}
