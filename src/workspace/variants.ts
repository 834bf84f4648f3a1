import { UsageError } from '../errors.js';

/** The dev8 image family. */
export const VARIANTS = ['base', 'node', 'python', 'fullstack'] as const;
export type Variant = (typeof VARIANTS)[number];

export function parseVariant(value: string): Variant {
  if ((VARIANTS as readonly string[]).includes(value)) return value as Variant;
  throw new UsageError(`Unknown image variant "${value}".`, { hint: `Use one of: ${VARIANTS.join(', ')}.` });
}

/** The variant a repository without devcontainer.json gets, from the files at its top level. */
export function detectVariant(files: readonly string[]): Variant {
  const has = (name: string | RegExp): boolean =>
    files.some((f) => (typeof name === 'string' ? f === name : name.test(f)));
  const node = has('package.json');
  const python = has('pyproject.toml') || has(/^requirements.*\.txt$/) || has('setup.py') || has('Pipfile');
  if ((node && python) || has('go.mod') || has('Cargo.toml')) return 'fullstack';
  if (node) return 'node';
  if (python) return 'python';
  return 'base';
}
