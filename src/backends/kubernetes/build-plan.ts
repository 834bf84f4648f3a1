import path from 'node:path';
import { DevcError } from '../../errors.js';

/**
 * The build the pinned Dev Containers CLI asked for, read from the `docker buildx build` command it
 * ran (buildx-shim.ts catches it): its generated Dockerfile (Features included), build context,
 * target, build args and named contexts (the Features' content). The cluster build replays exactly
 * this with buildctl, so Features are applied as the CLI applies them.
 */
export interface BuildPlan {
  dockerfile: string;
  context: string;
  target: string | undefined;
  buildArgs: [string, string][];
  /** --build-context NAME=FOLDER (the CLI's `dev_containers_feature_content_source`). */
  contexts: [string, string][];
  labels: [string, string][];
  cacheFrom: string[];
  noCache: boolean;
  platform: string | undefined;
}

/** Flags of `buildx build` that only say how buildx runs locally: nothing for the cluster to do. */
const IGNORED = new Set(['--load', '--pull', '--progress']);
const WITH_VALUE = new Set(['--progress']);

/** Reads `buildx build ARGS…`; a flag devc can't replay in the cluster is an error naming it. */
export function parseBuildx(args: string[]): BuildPlan {
  const plan: BuildPlan = {
    dockerfile: '',
    context: '',
    target: undefined,
    buildArgs: [],
    contexts: [],
    labels: [],
    cacheFrom: [],
    noCache: false,
    platform: undefined,
  };
  const rest = [...args];
  const value = (flag: string): string => {
    const next = rest.shift();
    if (next === undefined) throw new DevcError(`The build command ends after ${flag}.`);
    return next;
  };
  const pair = (text: string): [string, string] => {
    const at = text.indexOf('=');
    return at < 0 ? [text, ''] : [text.slice(0, at), text.slice(at + 1)];
  };
  while (rest.length > 0) {
    const arg = rest.shift() ?? '';
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? pair(arg) : [arg, undefined];
    const take = (): string => inline ?? value(flag);
    if (!flag.startsWith('-')) {
      plan.context = flag;
      continue;
    }
    if (IGNORED.has(flag)) {
      if (WITH_VALUE.has(flag) && inline === undefined) value(flag);
      continue;
    }
    switch (flag) {
      case '-f':
      case '--file':
        plan.dockerfile = take();
        break;
      case '-t':
      case '--tag':
        take(); // devc names the image itself (the content-hash tag)
        break;
      case '--target':
        plan.target = take();
        break;
      case '--build-arg':
        plan.buildArgs.push(pair(take()));
        break;
      case '--build-context':
        plan.contexts.push(pair(take()));
        break;
      case '--label':
        plan.labels.push(pair(take()));
        break;
      case '--cache-from':
        plan.cacheFrom.push(take());
        break;
      case '--no-cache':
        plan.noCache = true;
        break;
      case '--platform':
        plan.platform = take();
        break;
      default:
        throw new DevcError(`The build uses ${flag}, which devc can't pass to BuildKit in the cluster.`, {
          hint: 'Remove it from "build.options" in devcontainer.json, or build on this machine with `--builder local`.',
        });
    }
  }
  if (!plan.context || !plan.dockerfile)
    throw new DevcError('The Dev Containers CLI ran a build without a Dockerfile or context.');
  for (const [name, source] of plan.contexts)
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(source) || source.startsWith('docker-image:'))
      throw new DevcError(
        `The build context ${name}=${source} is not a folder; devc can only send folders.`,
        {
          hint: 'Build on this machine with `--builder local`.',
        },
      );
  return plan;
}

/** Where the build's parts are in the buildkitd pod (see cluster-build.ts). */
export interface PodFolders {
  /** The build context. */
  context: string;
  /** The folder holding the Dockerfile, as `Dockerfile`. */
  dockerfile: string;
  /** Named contexts, each under this folder by its name. */
  contexts: string;
}

/**
 * The buildctl command that replays `plan` in the buildkitd pod: the image pushed as `reference`, the
 * layer cache read from and written to `cacheRef` in the same registry (`type=registry`, every stage).
 */
export function buildctlArgs(
  plan: BuildPlan,
  folders: PodFolders,
  reference: string,
  cacheRef: string,
  platform: string,
): string[] {
  const args = [
    'build',
    '--progress=plain',
    '--frontend=dockerfile.v0',
    `--local=context=${folders.context}`,
    `--local=dockerfile=${folders.dockerfile}`,
    '--opt=filename=Dockerfile',
    `--opt=platform=${plan.platform ?? platform}`,
  ];
  if (plan.target) args.push(`--opt=target=${plan.target}`);
  for (const [k, v] of plan.buildArgs) args.push(`--opt=build-arg:${k}=${v}`);
  for (const [k, v] of plan.labels) args.push(`--opt=label:${k}=${v}`);
  for (const [name] of plan.contexts)
    args.push(
      `--local=${name}=${path.posix.join(folders.contexts, name)}`,
      `--opt=context:${name}=local:${name}`,
    );
  if (plan.noCache) args.push('--no-cache');
  else for (const ref of [cacheRef, ...plan.cacheFrom]) args.push(`--import-cache=type=registry,ref=${ref}`);
  args.push(
    `--export-cache=type=registry,ref=${cacheRef},mode=max`,
    `--output=type=image,name=${reference},push=true`,
  );
  return args;
}

/** The step a line of buildctl's plain progress starts (`#7 [3/5] RUN …` → `[3/5] RUN …`), if any. */
export function buildStep(line: string): string | undefined {
  return /^#\d+ (\[.+)$/.exec(line)?.[1];
}

/** One word for sh, in single quotes. */
export function shellWord(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}
