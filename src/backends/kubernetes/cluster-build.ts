import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { access, chmod, cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import { DevcError } from '../../errors.js';
import { lockfileOf } from '../../devcontainer/build-inputs.js';
import { runDevcontainer } from '../../devcontainer/cli.js';
import { failureCause } from '../../devcontainer/failure.js';
import type { DevcontainerSpec } from '../backend.js';
import { buildctlArgs, buildStep, parseBuildx, shellWord, type BuildPlan } from './build-plan.js';
import type { KubeTarget } from './client.js';
import { execIn, type ExecTarget } from './exec.js';
import { dockerConfigJson, type RegistryLogin } from './registry.js';
import { packTree, uploadTree } from './source.js';

/** Where devc looks for BuildKit: the namespace of deploy/buildkitd.yaml, unless DEVC_BUILD_NAMESPACE says. */
export const BUILD_NAMESPACE = 'devc-build';
const SELECTOR = 'app.kubernetes.io/name=buildkitd';
const CONTAINER = 'buildkitd';

export interface ClusterBuild {
  spec: DevcontainerSpec;
  env: NodeJS.ProcessEnv;
  cluster: KubeTarget;
  reference: string;
  /** The registry tag holding the build's layer cache. */
  cacheRef: string;
  platform: string;
  login: RegistryLogin | undefined;
  /** Appends a line to the build log. */
  log: (line: string) => Promise<void>;
}

/**
 * Builds the image with the cluster's BuildKit: the pinned Dev Containers CLI plans the build (its
 * generated Dockerfile and Feature context, caught by buildx-shim.ts), the plan's files and the build
 * context go into the buildkitd pod through exec, and buildctl there builds, pushes the image under its
 * hash tag and keeps the layer cache in the registry. Its output streams into the build log.
 */
export async function buildInCluster(build: ClusterBuild): Promise<void> {
  const { spec, env, cluster } = build;
  const namespace = env.DEVC_BUILD_NAMESPACE || BUILD_NAMESPACE;
  const pod = await findBuildkit(cluster, namespace);
  const target: ExecTarget = { config: cluster.config, namespace, pod, container: CONTAINER };
  const local = await mkdtemp(path.join(os.tmpdir(), 'devc-build-'));
  const remote = `/tmp/devc-build-${randomBytes(8).toString('hex')}`;
  const started = Date.now();
  try {
    const plan = await planBuild(spec, env, build.reference, local);
    await build.log(
      `devc: building ${build.reference} (${build.platform}) with BuildKit in ${namespace}/${pod}.`,
    );
    const stage = path.join(local, 'stage');
    await stageFiles(plan, stage, build, remote);
    // Folders a build left behind when devc was stopped half-way go after a day.
    const sweep =
      'find /tmp -maxdepth 1 -name "devc-build-*" -mmin +1440 -exec rm -rf {} + 2>/dev/null; true';
    await uploadTree(target, stage, remote, sweep).catch(async (error: unknown) => {
      // Half an upload is not left for the sweep.
      await execIn(target, ['rm', '-rf', remote], { stdout: null, stderr: null }).catch(() => 1);
      throw error;
    });
    await runBuild(target, remote, plan.context, spec, build.reference);
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    await build.log(`devc: built and pushed ${build.reference} in ${seconds} s.`);
  } finally {
    await rm(local, { recursive: true, force: true });
  }
}

/** The name of a Ready buildkitd pod, or an error saying what to install. */
async function findBuildkit(cluster: KubeTarget, namespace: string): Promise<string> {
  const missing = (why: string): DevcError =>
    new DevcError(`BuildKit isn't running in the cluster: ${why}.`, {
      hint: `Install it with \`kubectl apply -f deploy/buildkitd.yaml\` (devc's repository; docs/kubernetes.md, "Builds in the cluster"), or build on this machine with \`--builder local\`.`,
    });
  let pods;
  try {
    pods = await cluster.core.listNamespacedPod({ namespace, labelSelector: SELECTOR });
  } catch (error) {
    const code = (error as { code?: number }).code;
    if (code === 403) throw missing(`you may not list pods in the namespace ${namespace}`);
    throw error;
  }
  const ready = pods.items.find(
    (p) =>
      !p.metadata?.deletionTimestamp &&
      p.status?.phase === 'Running' &&
      p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
  );
  if (ready?.metadata?.name) return ready.metadata.name;
  throw missing(
    pods.items.length > 0
      ? `no pod labelled ${SELECTOR} in the namespace ${namespace} is ready`
      : `no pod labelled ${SELECTOR} in the namespace ${namespace}`,
  );
}

/** Runs `devcontainer build` with buildx-shim.ts as its docker: the build it would run, not run. */
async function planBuild(
  spec: DevcontainerSpec,
  env: NodeJS.ProcessEnv,
  reference: string,
  local: string,
): Promise<BuildPlan> {
  const docker = path.join(local, 'docker');
  await writeFile(docker, shimScript(process.execPath));
  await chmod(docker, 0o755);
  const planFile = path.join(local, 'plan.json');
  const configFile = path.resolve(spec.sourcePath, spec.devcontainerConfig);
  const lockfile = await access(lockfileOf(configFile)).then(
    () => true,
    () => false,
  );
  const { result, tail } = await runDevcontainer(
    [
      'build',
      '--workspace-folder',
      spec.sourcePath,
      '--config',
      configFile,
      '--image-name',
      reference,
      '--docker-path',
      docker,
      // A `# syntax=` line would make BuildKit fetch a frontend image from Docker Hub.
      '--omit-syntax-directive',
      ...(spec.noCache ? ['--no-cache'] : []),
      ...(lockfile ? [] : ['--no-lockfile']),
    ],
    {
      logFile: spec.logFile,
      // The CLI writes the Feature context under its temp folder: this build's own, removed after.
      env: { ...env, TMPDIR: local, DEVC_BUILDX_PLAN: planFile },
      ...(spec.signal ? { signal: spec.signal } : {}),
    },
  );
  const args = await readFile(planFile, 'utf8').then(
    (text) => text.split('\0').slice(0, -1),
    () => undefined,
  );
  if (result.outcome !== 'success' || !args) {
    const message = typeof result.message === 'string' ? result.message : 'no message';
    const { cause, advice } = failureCause(message, result.noResult ? [] : tail);
    const shim = await readFile(`${planFile}.error`, 'utf8').catch(() => undefined);
    throw new DevcError(`Can't prepare the image build: ${shim?.trim() || cause}`, {
      hint: `${advice ?? 'Fix devcontainer.json, its Dockerfile or Features and run `devc up` again.'} The whole log is in ${spec.logFile}.`,
      details: tail.slice(-15).join('\n'),
    });
  }
  return parseBuildx(args);
}

/**
 * The `docker` the Dev Containers CLI runs (`--docker-path`) to plan a build: versions that make it
 * use BuildKit's named contexts (buildx ≥ 0.8, engine ≥ 23), and the `buildx build` arguments written
 * to DEVC_BUILDX_PLAN (NUL-separated) instead of a build. A base image's facts need Node
 * (buildx-shim.ts); the rest is answered here, as each Node start costs ~0.3 s.
 */
export function shimScript(node: string): string {
  const shim = path.join(path.dirname(fileURLToPath(import.meta.url)), 'buildx-shim.js');
  return `#!/bin/sh
case "$1 $2" in
  'buildx version') echo 'github.com/docker/buildx v0.20.0 devc-cluster-build' ;;
  'buildx build') shift 2; printf '%s\\0' "$@" > "$DEVC_BUILDX_PLAN" ;;
  *) case "$1" in
    -v | --version) echo 'Docker version 29.0.0, build devc' ;;
    version) echo 29.0.0 ;;
    tag) ;;
    *) exec ${shellWord(node)} ${shellWord(shim)} "$@" ;;
  esac ;;
esac
`;
}

/** The build's own files, laid out as buildctlArgs expects them under `remote` in the pod. */
async function stageFiles(
  plan: BuildPlan,
  stage: string,
  build: ClusterBuild,
  remote: string,
): Promise<void> {
  await mkdir(path.join(stage, 'dockerfile'), { recursive: true });
  await cp(plan.dockerfile, path.join(stage, 'dockerfile', 'Dockerfile'));
  for (const [name, folder] of plan.contexts)
    await cp(folder, path.join(stage, 'contexts', name), { recursive: true });
  // Only DEVC_REGISTRY's login, in a file (never in argv or the environment), gone with the folder.
  await mkdir(path.join(stage, 'docker'), { mode: 0o700 });
  if (build.login) {
    const host = build.reference.split('/')[0] ?? '';
    await writeFile(path.join(stage, 'docker', 'config.json'), dockerConfigJson(host, build.login), {
      mode: 0o600,
    });
  }
  const folders = {
    context: `${remote}/context`,
    dockerfile: `${remote}/dockerfile`,
    contexts: `${remote}/contexts`,
  };
  const args = buildctlArgs(plan, folders, build.reference, build.cacheRef, build.platform);
  await writeFile(
    path.join(stage, 'build.sh'),
    `DOCKER_CONFIG=${shellWord(`${remote}/docker`)} exec buildctl ${args.map(shellWord).join(' ')}\n`,
  );
}

/**
 * The build context unpacked beside the staged files, then buildctl, in one exec; its output into
 * the build log and the progress display; the folder goes after, whatever happened.
 */
async function runBuild(
  target: ExecTarget,
  remote: string,
  context: string,
  spec: DevcontainerSpec,
  reference: string,
): Promise<void> {
  await mkdir(path.dirname(spec.logFile), { recursive: true });
  const file = createWriteStream(spec.logFile, { flags: 'a' });
  const tail: string[] = [];
  let partial = '';
  const output = new Writable({
    write(chunk: Buffer, _encoding, done) {
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        file.write(`${line}\n`);
        if (tail.push(line) > 40) tail.shift();
        const step = buildStep(line);
        if (step) spec.onLog?.({ type: 'start', text: step });
      }
      done();
    },
  });
  const tar = packTree(context);
  let code: number;
  try {
    code = await execIn(
      target,
      [
        'sh',
        '-c',
        'mkdir -p "$1/context" && tar -x -f - -C "$1/context" --no-same-owner && sh "$1/build.sh"; rc=$?; rm -rf "$1"; exit $rc',
        'devc-build',
        remote,
      ],
      { stdin: tar.stream, stdout: output, stderr: output },
    );
    await tar.packed;
  } finally {
    if (partial) tail.push(partial);
    await new Promise((resolve) => file.end(resolve));
  }
  if (code === 0) return;
  const failed = [...tail].reverse().find((l) => /^error:|ERROR:|did not complete successfully/.test(l));
  const refused = failed && pushRefusal(failed);
  if (refused) {
    const host = reference.split('/')[0] ?? reference;
    // BuildKit pushes only a whole image: a refused push leaves no tag of it in the registry.
    throw new DevcError(`Can't push the built image to ${host}: ${refused}`, {
      hint: `Log in with \`docker login ${host}\` as a user who may push (devc hands that login to BuildKit), or name a registry you may push to. The whole log is in ${spec.logFile}.`,
      details: failed,
    });
  }
  throw new DevcError(
    `The image build in the cluster failed: ${failed?.replace(/^(error: |ERROR: )/, '') ?? `buildctl exited with ${code}`}`,
    {
      hint: `Fix the Dockerfile or Features and run \`devc up\` again. The whole log is in ${spec.logFile}.`,
      details: tail
        .filter((l) => l.trim())
        .slice(-15)
        .join('\n'),
    },
  );
}

/**
 * What the registry said when BuildKit's push (of the image or its layer cache) was refused, from
 * buildctl's error line (`failed to solve: error writing layer blob: denied: …`); undefined for any
 * other failure, a base image's pull included.
 */
export function pushRefusal(line: string): string | undefined {
  if (!/writing (layer )?blob|writing manifest|failed to push|export(ing)? (cache|to image)/i.test(line))
    return undefined;
  const said =
    /\b(denied|unauthorized|forbidden|\d{3} (?:Unauthorized|Forbidden|Method Not Allowed))\b.*$/i.exec(line);
  return said?.[0].trim();
}
