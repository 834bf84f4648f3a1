import path from 'node:path';

/**
 * The direct path: a devcontainer.json that only names an image needs no build, so devc runs the
 * container itself (one `docker run`) instead of paying the Dev Containers CLI's start-up and probes.
 * Everything else (Dockerfile, Features, Compose, initializeCommand, variables devc doesn't resolve,
 * images whose metadata asks for more) keeps going through the CLI. Lifecycle hooks still run through
 * the CLI (`run-user-commands`), from the same metadata label the CLI writes.
 */
export interface DirectPlan {
  image: string;
  workspaceFolder: string;
  workspaceMount: string;
  remoteUser: string;
  containerUser: string | undefined;
  containerEnv: Record<string, string>;
  remoteEnv: Record<string, string>;
  /** Extra `docker run` arguments (mounts, runArgs, init, privileged, capAdd, securityOpt). */
  runArgs: string[];
  /** The `devcontainer.metadata` label, as the CLI writes it (image entries, then the config's). */
  metadata: Record<string, unknown>[];
  /** Whether any lifecycle hook is configured (then `run-user-commands` runs them). */
  hooks: boolean;
}

export interface ImageFacts {
  /** `Config.Labels` of the local image. */
  labels: Record<string, string>;
  /** `Config.Env` of the local image. */
  env: string[];
  /** `Config.User` of the local image. */
  user: string;
}

export type DirectDecision = { plan: DirectPlan } | { reason: string };

import { HOOKS } from './lifecycle-hooks.js';
import { withSecretHooks } from './secret-hooks.js';

export { HOOKS };

/** The config properties the CLI keeps in the container's metadata label (imageMetadata.ts). */
const METADATA_KEYS = [
  ...HOOKS,
  'waitFor',
  'customizations',
  'mounts',
  'containerEnv',
  'containerUser',
  'init',
  'privileged',
  'capAdd',
  'securityOpt',
  'remoteUser',
  'userEnvProbe',
  'remoteEnv',
  'overrideCommand',
  'portsAttributes',
  'otherPortsAttributes',
  'forwardPorts',
  'shutdownAction',
  'updateRemoteUserUID',
  'hostRequirements',
];

/** Keys of image metadata devc can merge itself; any other one sends the config to the CLI. */
const MERGEABLE = new Set([
  ...METADATA_KEYS.filter((k) => k !== 'mounts' && k !== 'overrideCommand'),
  'id',
  'entrypoint',
]);

/** Config keys that need the CLI: a build, Features, Compose, a host-side hook, a non-default start. */
const NEEDS_CLI = ['build', 'dockerFile', 'dockerfile', 'dockerComposeFile', 'initializeCommand', 'appPort'];

/** Decides whether devc can run this config itself, and how. */
export function planDirect(
  config: Record<string, unknown>,
  options: { sourcePath: string; image: ImageFacts | undefined; hostUid: number | undefined },
): DirectDecision {
  if (typeof config.image !== 'string') return { reason: 'no image' };
  const needs = NEEDS_CLI.find((k) => k in config);
  if (needs) return { reason: needs };
  if (config.features && Object.keys(config.features).length > 0) return { reason: 'features' };
  if (config.overrideCommand === false) return { reason: 'overrideCommand' };
  if (!options.image) return { reason: 'image not local' };
  const imageMetadata = parseMetadata(options.image.labels['devcontainer.metadata']);
  if (!imageMetadata) return { reason: 'image metadata' };
  const foreign = imageMetadata.flatMap(Object.keys).find((k) => !MERGEABLE.has(k));
  if (foreign) return { reason: `image metadata ${foreign}` };
  if (imageMetadata.some((m) => m.entrypoint)) return { reason: 'image entrypoint' };

  const basename = path.basename(options.sourcePath);
  const workspaceFolder = stringOr(config.workspaceFolder, `/workspaces/${basename}`);
  const local: Record<string, string> = {
    localWorkspaceFolder: options.sourcePath,
    localWorkspaceFolderBasename: basename,
  };
  const vars = {
    ...local,
    containerWorkspaceFolder: substitute(workspaceFolder, local),
    containerWorkspaceFolderBasename: path.posix.basename(substitute(workspaceFolder, local)),
  };
  const own = substituteDeep(config, vars) as Record<string, unknown>;
  // The image's hooks source the secrets too (the config's already do): a prebuild's label holds the
  // repository's hooks as `devcontainer build` wrote them, and they run from there.
  const entries = [...imageMetadata.map(withSecretHooks), pick(own, METADATA_KEYS)];
  const last = (key: string): unknown => entries.map((e) => e[key]).findLast((v) => v !== undefined);
  const merged = (key: string): Record<string, string> =>
    entries.reduce<Record<string, string>>((all, e) => ({ ...all, ...stringRecord(e[key]) }), {});

  const imageEnv = Object.fromEntries(options.image.env.map((e) => splitOnce(e, '=')));
  const containerEnv = resolveContainerEnv(merged('containerEnv'), imageEnv);
  const remoteEnv = resolveContainerEnv(merged('remoteEnv'), { ...imageEnv, ...containerEnv });
  const containerUser = typeof last('containerUser') === 'string' ? String(last('containerUser')) : undefined;
  const remoteUser = stringOr(last('remoteUser'), containerUser ?? (options.image.user || 'root'));
  if (!isRootUser(remoteUser) && uidUpdateNeeded(options.hostUid))
    return { reason: 'remote user UID update' };

  const workspaceMount =
    typeof own.workspaceMount === 'string'
      ? own.workspaceMount
      : `type=bind,source=${options.sourcePath},target=${vars.containerWorkspaceFolder},consistency=cached`;
  const mounts = [...arrayOf(own.mounts)].map(mountArg);
  const runArgs = [
    ...mounts.flatMap((m) => (m === undefined ? [] : ['--mount', m])),
    ...(entries.some((e) => e.init === true) ? ['--init'] : []),
    ...(entries.some((e) => e.privileged === true) ? ['--privileged'] : []),
    ...unique(entries.flatMap((e) => arrayOf(e.capAdd))).flatMap((c) => ['--cap-add', String(c)]),
    ...unique(entries.flatMap((e) => arrayOf(e.securityOpt))).flatMap((s) => ['--security-opt', String(s)]),
    ...arrayOf(own.runArgs).map(String),
  ];
  if (mounts.includes(undefined)) return { reason: 'mounts' };
  const unresolved = [
    vars.containerWorkspaceFolder,
    workspaceMount,
    ...runArgs,
    ...Object.values(containerEnv),
  ].find((s) => s.includes('${'));
  if (unresolved) return { reason: `variable in ${unresolved}` };

  return {
    plan: {
      image: own.image as string,
      workspaceFolder: vars.containerWorkspaceFolder,
      workspaceMount,
      remoteUser,
      containerUser,
      containerEnv,
      remoteEnv,
      runArgs,
      metadata: entries,
      hooks: entries.some((e) => HOOKS.some((h) => e[h] !== undefined)),
    },
  };
}

/**
 * Whether the CLI's UID-update image could change anything for a host user: not for root or uid 1000
 * (the common image uid), where it only costs a build (performance.md §2.1).
 */
export function uidUpdateNeeded(hostUid: number | undefined): boolean {
  return hostUid !== undefined && hostUid !== 0 && hostUid !== 1000;
}

/** The hooks `devc start` runs again on every start (the CLI's markers keep the others from re-running). */
export function hasStartHooks(metadataLabel: string | undefined): boolean {
  const entries = parseMetadata(metadataLabel) ?? [];
  return entries.some((e) => e.postStartCommand !== undefined || e.postAttachCommand !== undefined);
}

function parseMetadata(label: string | undefined): Record<string, unknown>[] | undefined {
  if (!label) return [];
  try {
    const value: unknown = JSON.parse(label);
    const list = Array.isArray(value) ? value : [value];
    return list.every((e) => e && typeof e === 'object' && !Array.isArray(e))
      ? (list as Record<string, unknown>[])
      : undefined;
  } catch {
    return undefined;
  }
}

/** `${name}` and `${localEnv:NAME[:default]}` in every string; other variables are left as they are. */
function substitute(text: string, vars: Record<string, string>): string {
  return text.replace(
    /\$\{([^}:]+)(?::([^}:]*)(?::([^}]*))?)?\}/g,
    (whole, name: string, arg?: string, def?: string) => {
      if (name === 'localEnv' || name === 'env')
        return arg !== undefined ? (process.env[arg] ?? def ?? '') : whole;
      return arg === undefined && name in vars ? (vars[name] ?? whole) : whole;
    },
  );
}

function substituteDeep(value: unknown, vars: Record<string, string>): unknown {
  if (typeof value === 'string') return substitute(value, vars);
  if (Array.isArray(value)) return value.map((v) => substituteDeep(v, vars));
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substituteDeep(v, vars)]));
  return value;
}

/** `${containerEnv:NAME[:default]}` from the container's own environment. */
function resolveContainerEnv(
  env: Record<string, string>,
  from: Record<string, string>,
): Record<string, string> {
  const resolve = (v: string): string =>
    v.replace(
      /\$\{containerEnv:([^}:]+)(?::([^}]*))?\}/g,
      (_, name: string, def?: string) => from[name] ?? def ?? '',
    );
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, resolve(v)]));
}

/** A `mounts` entry as a `--mount` value: the string form as it is, the object form joined. */
function mountArg(mount: unknown): string | undefined {
  if (typeof mount === 'string') return mount;
  if (!mount || typeof mount !== 'object') return undefined;
  const m = mount as Record<string, unknown>;
  if (typeof m.target !== 'string' || (m.type !== 'bind' && m.type !== 'volume')) return undefined;
  return [
    `type=${m.type}`,
    ...(typeof m.source === 'string' ? [`source=${m.source}`] : []),
    `target=${m.target}`,
  ].join(',');
}

function pick(config: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((k) => config[k] !== undefined).map((k) => [k, config[k]]));
}

function stringRecord(value: unknown): Record<string, string> {
  if (!value || typeof value !== 'object') return {};
  return Object.fromEntries(
    Object.entries(value).filter((e): e is [string, string] => typeof e[1] === 'string'),
  );
}

function arrayOf(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function unique<T>(values: T[]): T[] {
  return [...new Set(values)];
}

function stringOr(value: unknown, fallback: string): string {
  return typeof value === 'string' && value !== '' ? value : fallback;
}

function splitOnce(text: string, separator: string): [string, string] {
  const at = text.indexOf(separator);
  return at < 0 ? [text, ''] : [text.slice(0, at), text.slice(at + 1)];
}

/** Whether a container user (name, uid or uid:gid) is root. */
export function isRootUser(user: string): boolean {
  return user === 'root' || /^0(:|$)/.test(user);
}
