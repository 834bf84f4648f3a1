import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { Listening } from '../../src/ports/proc-net.js';
import { SCAN_COMMAND, scanReader } from '../../src/ports/scan.js';

const END = '@@devc-scan@@';
const header = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid';
const listen = (hexPort: string, address = '00000000'): string =>
  `   0: ${address}:${hexPort} 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000`;

/** What the reader reported for each scan, as `port` or `port(L)` for loopback-only ones. */
function scans(chunks: string[]): string[][] {
  const seen: string[][] = [];
  const read = scanReader((ports: Map<number, Listening>) =>
    seen.push([...ports.values()].map((p) => `${p.port}${p.direct ? '' : '(L)'}`)),
  );
  for (const chunk of chunks) read(chunk);
  return seen;
}

describe('scanReader', () => {
  const one = `${header}\n${listen('0BB8')}\n${END}\n`;
  it.each([
    { what: 'one scan in one chunk', chunks: [one], want: [['3000']] },
    { what: 'two scans in one chunk', chunks: [one + one], want: [['3000'], ['3000']] },
    {
      what: 'a scan split inside a line and inside the marker',
      chunks: [
        `${header}\n${listen('0BB8').slice(0, 12)}`,
        `${listen('0BB8').slice(12)}\n@@devc`,
        '-scan@@\n',
      ],
      want: [['3000']],
    },
    { what: 'a scan not yet ended', chunks: [`${header}\n${listen('0BB8')}\n`], want: [] },
    {
      what: 'the marker without its newline yet',
      chunks: [`${header}\n${listen('0BB8')}\n${END}`],
      want: [],
    },
    { what: 'an empty scan (nothing listens)', chunks: [`${END}\n`], want: [[]] },
    {
      what: 'each scan on its own (a port gone from the second)',
      chunks: [
        `${listen('0BB8')}\n${listen('1770', '0100007F')}\n${END}\n${listen('1770', '0100007F')}\n${END}\n`,
      ],
      want: [['3000', '6000(L)'], ['6000(L)']],
    },
  ])('$what', ({ chunks, want }) => {
    expect(scans(chunks)).toEqual(want);
  });
});

describe('SCAN_COMMAND', () => {
  it('prints scans the reader ends on its marker', async () => {
    const [command = 'sh', ...args] = SCAN_COMMAND;
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'ignore'] });
    child.stdout.setEncoding('utf8');
    const first = await new Promise<Map<number, Listening>>((resolve) => {
      child.stdout.on('data', scanReader(resolve));
    });
    child.kill();
    expect(first).toBeInstanceOf(Map);
  });
});
