import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

/** The package root: where images/ and templates/ ship (dist/.. or src/..). */
export const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

let cached: string | undefined;

/** devc's own version, from package.json. */
export function devcVersion(): string {
  cached ??= (JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version: string })
    .version;
  return cached;
}
