import { UsageError } from '../errors.js';

/** The longest workspace name: it becomes container, volume, host and Kubernetes object names. */
export const MAX_NAME_LENGTH = 40;

const NAME = /^[a-z0-9][a-z0-9-]{0,39}$/;

/**
 * Whether `name` is a workspace name: up to 40 lowercase letters, digits and dashes, starting with a
 * letter or digit. A name read from a label or a flag is used in paths and commands only after this.
 */
export function isWorkspaceName(name: string): boolean {
  return NAME.test(name);
}

/** The name itself, or a usage error (exit 2) saying what a name may be. */
export function checkWorkspaceName(name: string): string {
  if (isWorkspaceName(name)) return name;
  throw new UsageError(`${JSON.stringify(name)} is not a valid workspace name.`, {
    hint: 'Use up to 40 lowercase letters, digits and dashes, starting with a letter or digit.',
  });
}
