import { getLocation, parse, printParseErrorCode, type ParseError } from 'jsonc-parser';

/** A JSON-with-comments syntax error, with where it is. */
export class JsoncError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(`${message} at line ${line}, column ${column}`);
  }
}

/**
 * Parses JSON with comments and trailing commas, as devcontainer.json allows, and rejects anything
 * else at its first error. jsonc-parser is the parser the Dev Containers CLI and VS Code read the file
 * with, so a valid file means the same to devc as to them; they recover from errors silently, devc
 * names the first one.
 */
export function parseJsonc(text: string): unknown {
  // Some Windows editors start the file with a byte-order mark; it is not an error worth a failed `up`.
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const errors: ParseError[] = [];
  const value: unknown = parse(body, errors, { allowTrailingComma: true, disallowComments: false });
  const first = errors[0];
  if (!first) return value;
  const before = body.slice(0, first.offset).split('\n');
  throw new JsoncError(describe(first, body), before.length, (before.at(-1)?.length ?? 0) + 1);
}

/** The error in a few words, naming what was found there. */
function describe(error: ParseError, text: string): string {
  const found = foundAt(text, error.offset, error.length);
  // The codes are a const enum, which this build can't read: their names are stable.
  switch (printParseErrorCode(error.error)) {
    case 'ColonExpected':
      return `unexpected ${found} (expected ':')`;
    case 'CommaExpected':
      // What may come instead of the comma depends on what the error is inside of.
      return typeof getLocation(text, error.offset).path.at(-1) === 'number'
        ? `unexpected ${found} (expected ',' or ']')`
        : `unexpected ${found} (expected ',' or '}')`;
    case 'CloseBraceExpected':
      return `unexpected ${found} (expected '}')`;
    case 'CloseBracketExpected':
      return `unexpected ${found} (expected ']')`;
    case 'PropertyNameExpected':
      return `unexpected ${found} (expected a property name in double quotes)`;
    case 'EndOfFileExpected':
      return `unexpected ${found} after the end of the value`;
    case 'UnexpectedEndOfComment':
      return 'a /* comment is never closed';
    case 'UnexpectedEndOfString':
      return `a string is not closed on its line: ${found}`;
    case 'UnexpectedEndOfNumber':
    case 'InvalidNumberFormat':
      return `invalid number ${found}`;
    case 'InvalidUnicode':
    case 'InvalidEscapeCharacter':
      return `invalid escape in the string ${found}`;
    case 'InvalidCharacter':
      return `a control character in the string ${found} (write it as an escape such as \\n or \\t)`;
    default:
      return `unexpected ${found}`;
  }
}

/** What the parser found at the error, quoted and kept short. */
function foundAt(text: string, offset: number, length: number): string {
  if (offset >= text.length) return 'end of file';
  const token = text.slice(offset, offset + Math.max(length, 1)).split(/[\r\n]/)[0] ?? '';
  return `'${token.length > 24 ? `${token.slice(0, 23)}…` : token}'`;
}
