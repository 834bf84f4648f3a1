import { readFile } from 'node:fs/promises';
import { UsageError } from '../errors.js';

/** What a secret's name must look like: an environment variable name. */
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A usage error unless `name` can be an environment variable's name. */
export function checkSecretName(name: string, where = ''): void {
  if (!NAME.test(name))
    throw new UsageError(`${where}${JSON.stringify(name)} is not a valid secret name.`, {
      hint: 'Use letters, digits and _, not starting with a digit (e.g. NPM_TOKEN).',
    });
}

/**
 * Reads a secrets file for `up --secrets-file`: a JSON object of strings, or dotenv lines. Anything
 * that does not parse is a usage error naming the file and line; values never appear in messages.
 */
export async function readSecretsFile(file: string): Promise<Record<string, string>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new UsageError(
      `Can't read the secrets file ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}.`,
      {
        hint: 'Give --secrets-file (or DEVC_SECRETS_FILE) a readable file.',
      },
    );
  }
  try {
    return text.trimStart().startsWith('{') ? parseJsonSecrets(text) : parseDotenv(text);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    throw new UsageError(`The secrets file ${file} ${error.message}`, { hint: error.hint ?? '' });
  }
}

/** A JSON object whose values are all strings. */
export function parseJsonSecrets(text: string): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new UsageError('is not valid JSON.', {
      hint: 'Write one JSON object of strings, or KEY=value lines.',
    });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new UsageError('is not a JSON object.', { hint: 'Write {"NAME": "value", …}.' });
  const secrets: Record<string, string> = {};
  for (const [name, value] of Object.entries(parsed)) {
    checkSecretName(name, 'has ');
    if (typeof value !== 'string')
      throw new UsageError(`gives ${name} a value that is not a string.`, { hint: 'Quote every value.' });
    secrets[name] = value;
  }
  return secrets;
}

// One assignment, as dotenv reads it: optional `export`, a name, `=` (or `:`), then a value that is
// single-, double- or backtick-quoted (possibly over several lines), or bare up to a ` #` comment.
const LINE =
  /^\s*(?:export\s+)?([^\s=:#]+)\s*[=:][ \t]*('(?:\\'|[^'])*'|"(?:\\"|[^"])*"|`(?:\\`|[^`])*`|[^#\r\n]*)?[ \t]*(?:#[^\n]*)?$/my;

/** dotenv lines: comments and blank lines skipped, quotes as dotenv does (\n expanded in "…"). */
export function parseDotenv(text: string): Record<string, string> {
  const secrets: Record<string, string> = {};
  const source = text.replace(/\r\n?/g, '\n');
  let at = 0;
  while (at < source.length) {
    const lineNo = source.slice(0, at).split('\n').length;
    const end = source.indexOf('\n', at);
    const line = source.slice(at, end === -1 ? source.length : end);
    if (/^\s*(#.*)?$/.test(line)) {
      at = end === -1 ? source.length : end + 1;
      continue;
    }
    LINE.lastIndex = at;
    const match = LINE.exec(source);
    if (!match || match.index !== at)
      throw new UsageError(`does not parse at line ${lineNo}: expected NAME=value.`, {
        hint: 'Write KEY=value lines (or one JSON object of strings); # starts a comment.',
      });
    const name = match[1] ?? '';
    checkSecretName(name, `line ${lineNo}: `);
    secrets[name] = unquote((match[2] ?? '').trim());
    at = LINE.lastIndex + 1;
  }
  return secrets;
}

function unquote(value: string): string {
  const quote = value[0];
  if ((quote === '"' || quote === "'" || quote === '`') && value.endsWith(quote) && value.length > 1) {
    const inner = value.slice(1, -1);
    return quote === '"' ? inner.replace(/\\n/g, '\n').replace(/\\r/g, '\r') : inner;
  }
  return value;
}
