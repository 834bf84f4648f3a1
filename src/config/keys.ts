import { parseBackendKind } from '../backends/factory.js';
import { parseIdleTimeout } from '../workspace/duration.js';
import { parseReference } from '../workspace/reference.js';
import { parseVariant, VARIANTS } from '../workspace/variants.js';
import { IDES, type Ide } from '../workspace/ides.js';

/** What `up --ide` and the `ide` setting may name (workspace/ides.ts). */
export type IdeChoice = Ide;

/** Idle stop after 30 minutes unless the user says otherwise. */
export const DEFAULT_IDLE_TIMEOUT_SECONDS = 30 * 60;

const NAMESPACE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const REGISTRY = /^[A-Za-z0-9.-]+(:\d+)?(\/[a-z0-9._-]+)*$/;

/**
 * Every setting `devc config` knows: its DEVC_* variable, what it allows (said in errors), how a value
 * is read, and devc's default. Keys are spelled as in DEVC_HOME/config.json (idleTimeout, camelCase).
 */
export const SETTINGS = {
  backend: {
    env: 'DEVC_BACKEND',
    description: 'where `up` makes new workspaces',
    allowed: 'docker, kubernetes',
    parse: parseBackendKind,
    fallback: 'docker' as const,
  },
  registry: {
    env: 'DEVC_REGISTRY',
    description: 'the image registry dev8 images are pulled from and pushed to',
    allowed:
      'a registry host with an optional port and path, e.g. localhost:5000 or registry.example.com/team',
    parse: (value: string): string => {
      if (!REGISTRY.test(value)) throw new Error('not a registry host[:port][/path]');
      return value;
    },
    fallback: undefined,
  },
  namespace: {
    env: 'DEVC_NAMESPACE',
    description: "Kubernetes: the namespace (default: the context's, else devc)",
    allowed: 'a Kubernetes namespace name (lower-case letters, digits and -, at most 63)',
    parse: (value: string): string => {
      if (value.length > 63 || !NAMESPACE.test(value)) throw new Error('not a namespace name');
      return value;
    },
    fallback: undefined,
  },
  idleTimeout: {
    env: 'DEVC_IDLE_TIMEOUT',
    description: 'stop a new workspace after this long without SSH or editor use (0: never)',
    allowed: 'a duration such as 90s, 30m, 1h30m, 2d (at most 30d), or 0 for never',
    parse: parseIdleTimeout,
    fallback: DEFAULT_IDLE_TIMEOUT_SECONDS,
    /** How `devc config get` shows the default: as a user would write it. */
    shownFallback: '30m',
  },
  ide: {
    env: 'DEVC_IDE',
    description: 'what `up` opens once the workspace is up',
    allowed: IDES.join(', '),
    parse: (value: string): IdeChoice => {
      if (!(IDES as readonly string[]).includes(value)) throw new Error('unknown editor');
      return value as IdeChoice;
    },
    fallback: 'none' as IdeChoice,
  },
  variant: {
    env: 'DEVC_VARIANT',
    description: 'the dev8 image for repositories without a devcontainer.json (default: detected)',
    allowed: VARIANTS.join(', '),
    parse: parseVariant,
    fallback: undefined,
  },
  dotfiles: {
    env: 'DEVC_DOTFILES',
    description: 'the dotfiles repository installed in every new workspace',
    allowed: 'a repository reference such as OWNER/REPO or a git URL (not a local folder)',
    parse: (value: string): string => {
      const ref = parseReference(value, {}, '/');
      if (ref.kind === 'local') throw new Error('a local folder');
      return value.trim();
    },
    fallback: undefined,
  },
} as const;

export type SettingKey = keyof typeof SETTINGS;
export const SETTING_KEYS = Object.keys(SETTINGS) as SettingKey[];

/** A `devc config` key, or a usage error naming the ones there are. */
export function isSettingKey(key: string): key is SettingKey {
  return Object.hasOwn(SETTINGS, key);
}
