import { UsageError } from '../errors.js';

/** The dev8 image family. */
export const VARIANTS = ['base', 'node', 'python', 'fullstack'] as const;
export type Variant = (typeof VARIANTS)[number];

export function parseVariant(value: string): Variant {
  if ((VARIANTS as readonly string[]).includes(value)) return value as Variant;
  throw new UsageError(`Unknown image variant "${value}".`, { hint: `Use one of: ${VARIANTS.join(', ')}.` });
}
