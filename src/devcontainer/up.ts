import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Label } from '../workspace/model.js';
import { JsoncError, parseJsonc } from './jsonc.js';
import { DevcError } from '../errors.js';
import { runDevcontainer, type CliLog } from './cli.js';
import { failureCause } from './failure.js';
import { uidUpdateNeeded } from './direct.js';

export interface ReadConfigResult {
  configuration: Record<string, unknown>;
  workspaceFolder: string;
}

/**
 * Reads the config devc needs before building (where the source goes, whose home, hostRequirements,
 * extensions). Strict about syntax, which the CLI is not. The merged configuration (image metadata,
 * Features) comes from `devcontainer up --include-merged-configuration` itself, which saves a CLI start.
 */
export async function readConfiguration(workspaceFolder: string, config: string): Promise<ReadConfigResult> {
  const file = path.resolve(workspaceFolder, config);
  let configuration: unknown;
  try {
    configuration = parseJsonc(await readFile(file, 'utf8'));
  } catch (error) {
    if (!(error instanceof JsoncError)) throw error;
    throw new DevcError(`${config} is not valid JSON: ${error.message}.`, {
      hint: 'Fix the file (JSON with comments) and run `devc up` again.',
    });
  }
  if (!configuration || typeof configuration !== 'object' || Array.isArray(configuration)) {
    throw new DevcError(`${config} is not a devcontainer.json: it holds no JSON object.`, {
      hint: 'Fix the file and run `devc up` again.',
    });
  }
  const record = configuration as Record<string, unknown>;
  const basename = path.basename(workspaceFolder);
  const folder =
    typeof record.workspaceFolder === 'string' ? record.workspaceFolder : `/workspaces/${basename}`;
  return {
    configuration: record,
    workspaceFolder: folder
      .replace(/\$\{localWorkspaceFolderBasename\}/g, basename)
      .replace(/\$\{localWorkspaceFolder\}/g, workspaceFolder),
  };
}

export interface UpOptions {
  workspaceFolder: string;
  config: string;
  labels: Record<string, string>;
  mounts: string[];
  /** The config as the CLI should read it (devc's additions), resolved against `config`'s folder. */
  overrideConfig?: string;
  remoteEnv?: Record<string, string>;
  removeExisting?: boolean;
  noCache?: boolean;
  /** Leave the lifecycle hooks to `run-user-commands` (devc runs them once the secrets are there). */
  skipHooks?: boolean;
  logFile: string;
  onLog?: (log: CliLog) => void;
  signal?: AbortSignal;
  /** The engine's own CLI, when the docker CLI is not the one to use (`--docker-path` and its env). */
  engine?: { args: string[]; env: Record<string, string> };
}

export interface UpResult {
  containerId: string;
  remoteUser: string;
  remoteWorkspaceFolder: string;
  merged: Record<string, unknown>;
}

/** `devcontainer up`: build (Dockerfile, Features, Compose), create, run the lifecycle hooks. */
export async function devcontainerUp(options: UpOptions): Promise<UpResult> {
  const args = [
    'up',
    '--workspace-folder',
    options.workspaceFolder,
    '--config',
    path.resolve(options.workspaceFolder, options.config),
    ...(options.overrideConfig ? ['--override-config', options.overrideConfig] : []),
    // The CLI rejects `name=` with no value (a tree on no branch has an empty branch label): a label
    // left out reads back as no value all the same.
    ...Object.entries(options.labels)
      .filter(([, v]) => v !== '')
      .flatMap(([k, v]) => ['--id-label', `${k}=${v}`]),
    ...options.mounts.flatMap((m) => ['--mount', m]),
    ...Object.entries(options.remoteEnv ?? {}).flatMap(([k, v]) => ['--remote-env', `${k}=${v}`]),
    // No shell-environment probe: it sources rc files and can take seconds (performance.md §2.3).
    '--default-user-env-probe',
    'none',
    // Same UIDs need no UID-update image (performance.md §2.1); other hosts keep the CLI's default.
    '--update-remote-user-uid-default',
    uidUpdate(),
    '--include-merged-configuration',
    ...(options.removeExisting ? ['--remove-existing-container'] : []),
    ...(options.noCache ? ['--build-no-cache'] : []),
    ...(options.skipHooks ? ['--skip-post-create'] : []),
    ...(options.engine?.args ?? []),
  ];
  const { result, tail } = await runDevcontainer(args, {
    logFile: options.logFile,
    ...(options.engine ? { env: options.engine.env } : {}),
    ...(options.onLog ? { onLog: options.onLog } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  if (result.outcome !== 'success') throw cliError(result, tail, 'container start', options.logFile);
  return {
    containerId: String(result.containerId),
    remoteUser: str(result.remoteUser, 'root'),
    remoteWorkspaceFolder: str(result.remoteWorkspaceFolder, '/workspaces'),
    merged: (result.mergedConfiguration ?? {}) as Record<string, unknown>,
  };
}

/**
 * `devcontainer run-user-commands`: the lifecycle hooks of a container devc ran itself, with the CLI's
 * own semantics (markers, waitFor, parallel commands, variables), read from its metadata label.
 */
export async function devcontainerRunUserCommands(options: {
  containerId: string;
  /** The workspace's name: the container's label that makes the CLI take the hooks from its label only. */
  workspace: string;
  workspaceFolder: string;
  config: string;
  logFile: string;
  onLog?: (log: CliLog) => void;
  signal?: AbortSignal;
  /** The workspace's secret values, masked in what the hooks print. */
  mask?: string[];
}): Promise<void> {
  const args = [
    'run-user-commands',
    '--container-id',
    options.containerId,
    '--workspace-folder',
    options.workspaceFolder,
    '--config',
    path.resolve(options.workspaceFolder, options.config),
    '--default-user-env-probe',
    'none',
    ...hooksFromLabel(options.workspace),
  ];
  const { result, tail } = await runDevcontainer(args, {
    logFile: options.logFile,
    ...(options.onLog ? { onLog: options.onLog } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.mask ? { mask: options.mask } : {}),
  });
  if (result.outcome !== 'success') throw cliError(result, tail, 'lifecycle hook', options.logFile);
}

/**
 * `run-user-commands` takes the hooks from the container's metadata label alone when the container has
 * the id labels it is given; without any, it adds the config file's own hooks again (unwrapped: without
 * the secrets, and twice).
 */
export function hooksFromLabel(workspace: string): string[] {
  return ['--id-label', `${Label.workspace}=${workspace}`];
}

function uidUpdate(): string {
  return uidUpdateNeeded(process.getuid?.()) ? 'on' : 'never';
}

const STEPS: [RegExp, string][] = [
  [/initializeCommand/i, 'initializeCommand'],
  [/onCreateCommand/i, 'onCreateCommand'],
  [/updateContentCommand/i, 'updateContentCommand'],
  [/postCreateCommand/i, 'postCreateCommand'],
  [/postStartCommand/i, 'postStartCommand'],
  [/postAttachCommand/i, 'postAttachCommand'],
  [/docker build|returned a non-zero code|Dockerfile/i, 'image build'],
  [/docker-compose|compose/i, 'Compose'],
  [/feature/i, 'Features'],
  [/pull|manifest|not found|No such image|repository does not exist/i, 'image pull'],
];

/** Names the step that failed, from the CLI's message and the end of its log. */
export function failedStep(message: string, tail: string[], fallback: string): string {
  const haystack = `${message}\n${tail.slice(-12).join('\n')}`;
  return (
    STEPS.find(([re]) => re.test(message))?.[1] ?? STEPS.find(([re]) => re.test(haystack))?.[1] ?? fallback
  );
}

/** One error for any failure of the CLI: the step, the cause in a line, the log's tail, the next step. */
function cliError(
  result: Record<string, unknown>,
  tail: string[],
  fallback: string,
  logFile?: string,
): DevcError {
  const message = str(result.message, 'unknown error');
  // With no result, the log's last lines say nothing about a step (they may be the CLI's usage text).
  const step = failedStep(`${message} ${str(result.description, '')}`, result.noResult ? [] : tail, fallback);
  const log = tail.filter((l) => !/^\s+at /.test(l) && !/^\s*Error: Command failed:/.test(l));
  const { cause, advice } = failureCause(message, result.noResult ? [] : tail);
  const where = logFile ? `The whole log is in ${logFile}.` : undefined;
  return new DevcError(`The dev container failed at the ${step} step: ${cause}`, {
    hint: [advice, where].filter(Boolean).join(' ') || 'Fix the devcontainer.json and run `devc up` again.',
    details: log.slice(-15).join('\n'),
  });
}

/** A string field of the CLI's JSON, or the fallback. */
function str(value: unknown, fallback: string): string {
  return typeof value === 'string' ? value : fallback;
}
