import { describe, expect, it } from 'vitest';
import { JsoncError, parseJsonc } from '../../src/devcontainer/jsonc.js';

describe('parseJsonc', () => {
  it.each([
    ['{"a": 1}', { a: 1 }],
    ['// top\n{"a": 1, /* inline */ "b": [1, 2,],}', { a: 1, b: [1, 2] }],
    ['{"url": "http://x//y", "s": "/* not a comment */"}', { url: 'http://x//y', s: '/* not a comment */' }],
    ['{"q": "say \\"hi\\" // still text"}', { q: 'say "hi" // still text' }],
    // A comma before a bracket inside a string is text, not a trailing comma.
    ['{"s": "a,}", "t": "b, ]"}', { s: 'a,}', t: 'b, ]' }],
    ['\uFEFF{"bom": true}', { bom: true }],
    ['{\r\n  "crlf": 1\r\n}', { crlf: 1 }],
  ])('parses %j', (text, value) => expect(parseJsonc(text)).toEqual(value));

  it.each([
    ['this is { not json at all', "unexpected 'this' at line 1, column 1"],
    [
      '{\n  "image": "x",\n  "forwardPorts": [3000,, 3001],\n  "a": 1,\n  "b": 2,\n  "c": 3\n}\n',
      "unexpected ',' at line 3, column 25",
    ],
    ['{ "image": "x", oops }', "unexpected 'oops' at line 1, column 17"],
    ['{\n  "image": "x"\n  "b": 1\n}', `unexpected '"b"' (expected ',' or '}') at line 3, column 3`],
    ['{"a": 1', "unexpected end of file (expected '}') at line 1, column 8"],
    ['{"a": [1, 2}', "unexpected '}' (expected ',' or ']') at line 1, column 12"],
    ['[1 2]', "unexpected '2' (expected ',' or ']') at line 1, column 4"],
    ['{"a" 1}', "unexpected '1' (expected ':') at line 1, column 6"],
    ["{'a': 1}", "unexpected ''a'' at line 1, column 2"],
    ['{"a": 1,,}', "unexpected ',' (expected a property name in double quotes) at line 1, column 9"],
    ['{"a": 1}}', "unexpected '}' after the end of the value at line 1, column 9"],
    ['', 'unexpected end of file at line 1, column 1'],
    ['{"a": 1} /* open\n', 'a /* comment is never closed at line 1, column 10'],
    ['{\n  "a": "open\n}', `a string is not closed on its line: '"open' at line 2, column 8`],
    ['{"a": "\\q"}', `invalid escape in the string '"\\q"' at line 1, column 7`],
    ['{"a": 1.}', "invalid number '1.' at line 1, column 7"],
    [
      `{"a": "${'x'.repeat(40)}`,
      `a string is not closed on its line: '"${'x'.repeat(22)}…' at line 1, column 7`,
    ],
    ['{\r\n  "a": 1\r\n  "b": 2\r\n}', `unexpected '"b"' (expected ',' or '}') at line 3, column 3`],
  ])('rejects %j: %s', (text, message) => {
    let error: unknown;
    try {
      parseJsonc(text);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(JsoncError);
    expect((error as JsoncError).message).toBe(message);
    // One line: it ends up in a one-line error message.
    expect((error as JsoncError).message).not.toContain('\n');
  });
});
