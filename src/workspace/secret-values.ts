import { readFile } from 'node:fs/promises';
import path from 'node:path';

/** The file in a workspace's config folder (/etc/devc) the agent reads secrets from. */
export const SECRETS_FILE = 'secrets.env';

/** The file's text: NAME=base64 lines (any value, newlines and quotes included, stays one line). */
export function encodeSecrets(secrets: Record<string, string>): string {
  return Object.entries(secrets)
    .map(([k, v]) => `${k}=${Buffer.from(v).toString('base64')}\n`)
    .join('');
}

/** The values in a config folder's secrets file worth masking (a two-letter value would mask everything). */
export async function secretValues(configDir: string): Promise<string[]> {
  const text = await readFile(path.join(configDir, SECRETS_FILE), 'utf8').catch(() => '');
  return text
    .split('\n')
    .map((line) => Buffer.from(line.slice(line.indexOf('=') + 1), 'base64').toString())
    .filter((v) => v.trim().length >= 3);
}

/** The text with every secret value (and each line of a multi-line one) replaced by ***. */
export function maskSecrets(text: string, values: string[]): string {
  const parts = values.flatMap((v) => [v, ...v.split('\n').filter((l) => l.trim().length >= 3)]);
  let masked = text;
  // Longest first, so a value holding another is masked whole.
  for (const part of [...new Set(parts)].sort((a, b) => b.length - a.length))
    masked = masked.split(part).join('***');
  return masked;
}
