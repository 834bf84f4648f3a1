import { describe, expect, it } from 'vitest';
import { demultiplex } from '../../src/backends/docker/api-exec.js';

/** One frame of the Engine API's multiplexed stream. */
function frame(stream: number, text: string): Buffer {
  const body = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

describe('demultiplex (the Engine API exec stream)', () => {
  it.each([
    ['whole frames', [Buffer.concat([frame(1, 'a\n'), frame(1, 'b\n')])], 'a\nb\n'],
    ['a frame split inside its header and its body', splitAt(frame(1, 'hello\n'), [3, 10]), 'hello\n'],
    ['stderr frames left out', [Buffer.concat([frame(2, 'oops'), frame(1, 'ok')])], 'ok'],
    ['an incomplete frame held until the rest comes', [frame(1, 'abc').subarray(0, 9)], ''],
  ])('%s', (_name, chunks, expected) => {
    let out = '';
    const read = demultiplex((text) => (out += text));
    for (const chunk of chunks) read(chunk);
    expect(out).toBe(expected);
  });

  it('keeps a character split across two frames whole', () => {
    const e = Buffer.from('é');
    const head = (body: Buffer): Buffer => {
      const h = Buffer.alloc(8);
      h[0] = 1;
      h.writeUInt32BE(body.length, 4);
      return Buffer.concat([h, body]);
    };
    let out = '';
    const read = demultiplex((text) => (out += text));
    read(head(e.subarray(0, 1)));
    read(head(e.subarray(1)));
    expect(out).toBe('é');
  });
});

function splitAt(buffer: Buffer, cuts: number[]): Buffer[] {
  const parts: Buffer[] = [];
  let from = 0;
  for (const cut of cuts) {
    parts.push(buffer.subarray(from, cut));
    from = cut;
  }
  parts.push(buffer.subarray(from));
  return parts;
}
