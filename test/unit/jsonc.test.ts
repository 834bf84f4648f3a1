import { describe, expect, it } from 'vitest';
import { JsoncError, parseJsonc } from '../../src/devcontainer/jsonc.js';

describe('parseJsonc', () => {
  it.each([
    ['{"a": 1}', { a: 1 }],
    ['// top\n{"a": 1, /* inline */ "b": [1, 2,],}', { a: 1, b: [1, 2] }],
    ['{"url": "http://x//y", "s": "/* not a comment */"}', { url: 'http://x//y', s: '/* not a comment */' }],
    ['{"q": "say \\"hi\\" // still text"}', { q: 'say "hi" // still text' }],
  ])('parses %j', (text, value) => expect(parseJsonc(text)).toEqual(value));

  it.each([
    ['{ "image": "x", oops }', 1],
    ['{\n  "image": "x"\n  "b": 1\n}', 3],
    ['{"a": 1', 1],
  ])('rejects %j naming line %i', (text, line) => {
    let error: unknown;
    try {
      parseJsonc(text);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(JsoncError);
    expect((error as JsoncError).line).toBe(line);
  });
});
