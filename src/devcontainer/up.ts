import path from 'node:path';
import { DevcError } from '../errors.js';
import { runDevcontainer, type CliLog } from './cli.js';

export interface ReadConfigResult {
  configuration: Record<string, unknown>;
  workspaceFolder: string;
}

/** `read-configuration`: parses and validates the config (malformed JSON fails here, before any build). */
export async function readConfiguration(workspaceFolder: string, config: string, signal?: AbortSignal): Promise<ReadConfigResult> {
  const { result, tail } = await runDevcontainer(
    ['read-configuration', '--workspace-folder', workspaceFolder, '--config', path.resolve(workspaceFolder, config), '--include-merged-configuration'],
    signal ? { signal } : {},
  );
  if (result.outcome === 'error' || !result.configuration) {
    throw new DevcError(`${config} can't be read: ${String(result.message ?? 'invalid configuration')}.`, {
      hint: 'Fix the file (it is JSON with comments) and run `devc up` again.',
      details: [String(result.description ?? ''), ...tail.slice(-10)].join('\n').trim(),
    });
  }
  const workspace = (result.workspace ?? {}) as { workspaceFolder?: string };
  return {
    configuration: result.configuration as Record<string, unknown>,
    workspaceFolder: workspace.workspaceFolder ?? '/workspaces',
  };
}

export interface UpOptions {
  workspaceFolder: string;
  config: string;
  labels: Record<string, string>;
  mounts: string[];
  remoteEnv?: Record<string, string>;
  removeExisting?: boolean;
  noCache?: boolean;
  logFile: string;
  onLog?: (log: CliLog) => void;
  signal?: AbortSignal;
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
    '--workspace-folder', options.workspaceFolder,
    '--config', path.resolve(options.workspaceFolder, options.config),
    ...Object.entries(options.labels).flatMap(([k, v]) => ['--id-label', `${k}=${v}`]),
    ...options.mounts.flatMap((m) => ['--mount', m]),
    ...Object.entries(options.remoteEnv ?? {}).flatMap(([k, v]) => ['--remote-env', `${k}=${v}`]),
    // No shell-environment probe: it sources rc files and can take seconds (performance.md §2.3).
    '--default-user-env-probe', 'none',
    // Same UIDs need no UID-update image (performance.md §2.1); other hosts keep the CLI's default.
    '--update-remote-user-uid-default', uidUpdate(),
    '--include-merged-configuration',
    ...(options.removeExisting ? ['--remove-existing-container'] : []),
    ...(options.noCache ? ['--build-no-cache'] : []),
  ];
  const { result, tail } = await runDevcontainer(args, {
    logFile: options.logFile,
    ...(options.onLog ? { onLog: options.onLog } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  if (result.outcome !== 'success') throw upError(result, tail, options.logFile);
  return {
    containerId: String(result.containerId),
    remoteUser: String(result.remoteUser ?? 'root'),
    remoteWorkspaceFolder: String(result.remoteWorkspaceFolder ?? '/workspaces'),
    merged: (result.mergedConfiguration ?? {}) as Record<string, unknown>,
  };
}

function uidUpdate(): string {
  const uid = process.getuid?.();
  return uid === undefined || uid === 0 || uid === 1000 ? 'never' : 'on';
}

const STEPS: [RegExp, string][] = [
  [/initializeCommand/i, 'initializeCommand'],
  [/onCreateCommand/i, 'onCreateCommand'],
  [/updateContentCommand/i, 'updateContentCommand'],
  [/postCreateCommand/i, 'postCreateCommand'],
  [/postStartCommand/i, 'postStartCommand'],
  [/postAttachCommand/i, 'postAttachCommand'],
  [/docker-compose|compose/i, 'Compose'],
  [/feature/i, 'Features'],
  [/build|Dockerfile/i, 'image build'],
  [/pull|manifest|not found|No such image/i, 'image pull'],
];

/** Names the step that failed, from the CLI's message and the end of its log. */
export function failedStep(message: string, tail: string[]): string {
  const haystack = `${message}\n${tail.slice(-8).join('\n')}`;
  return STEPS.find(([re]) => re.test(message))?.[1] ?? STEPS.find(([re]) => re.test(haystack))?.[1] ?? 'container start';
}

function upError(result: Record<string, unknown>, tail: string[], logFile: string): DevcError {
  const message = String(result.message ?? 'unknown error');
  const step = failedStep(`${message} ${String(result.description ?? '')}`, tail);
  return new DevcError(`The dev container failed at the ${step} step: ${firstLine(message)}`, {
    hint: `The whole log is in ${logFile}.`,
    details: tail.slice(-15).join('\n'),
  });
}

function firstLine(text: string): string {
  return text.split('\n')[0]?.trim() ?? text;
}
