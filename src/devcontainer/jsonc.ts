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
 * Parses JSON with comments and trailing commas, as devcontainer.json allows, strictly otherwise.
 * (The Dev Containers CLI recovers from syntax errors silently; devc reports them.)
 */
export function parseJsonc(text: string): unknown {
  const plain = stripComments(text);
  try {
    return JSON.parse(plain.replace(/,(\s*[}\]])/g, '$1'));
  } catch (error) {
    const position = /position (\d+)/.exec(String(error))?.[1];
    const offset = position === undefined ? plain.length : Number(position);
    const before = plain.slice(0, offset).split('\n');
    const reason = String((error as Error).message)
      .replace(/ in JSON at position \d+.*$/, '')
      .replace(/^Unexpected token '?(.)'?.*/, "Unexpected '$1'");
    throw new JsoncError(reason, before.length, (before.at(-1)?.length ?? 0) + 1);
  }
}

/** Replaces comments with spaces (keeping offsets and line numbers), leaving strings alone. */
function stripComments(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      const start = i;
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
      out += text.slice(start, i + 1);
    } else if (c === '/' && text[i + 1] === '/') {
      for (; i < text.length && text[i] !== '\n'; i++) out += ' ';
      out += text[i] ?? '';
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      const stop = end < 0 ? text.length : end + 2;
      out += text.slice(i, stop).replace(/[^\n]/g, ' ');
      i = stop - 1;
    } else {
      out += c;
    }
  }
  return out;
}
