import { describe, expect, it } from 'vitest';
import {
  attributesFor,
  desiredForwards,
  emptyRequests,
  forwardPortNumber,
  forwardPortsProblems,
  parsePortPair,
  type PortsConfig,
} from '../../src/ports/config.js';
import { parseProcNetTcp } from '../../src/ports/proc-net.js';

describe('parsePortPair', () => {
  it.each([
    ['3000', { remote: 3000 }],
    ['3000:3001', { remote: 3000, local: 3001 }],
    [' 80:8080 ', { remote: 80, local: 8080 }],
    ['0', null],
    ['70000', null],
    ['3000:', null],
    ['a:1', null],
    ['3000:0', null],
  ])('%j → %j', (text, expected) => expect(parsePortPair(text)).toEqual(expected));
});

describe('forwardPortNumber', () => {
  it.each([
    [3000, 3000],
    ['3000', 3000],
    ['localhost:5432', 5432],
    ['127.0.0.1:5432', 5432],
    ['db:5432', null],
    [0, null],
    [1.5, null],
    [null, null],
    [{ port: 3000 }, null],
  ])('%j → %j', (entry, expected) => expect(forwardPortNumber(entry)).toBe(expected));
});

describe('forwardPortsProblems', () => {
  it.each([
    [undefined, []],
    [[3000, '3001', 'localhost:5432', 'db:5432', 65535, 1], []],
    [
      [0, 70000, 'abc', -1, 3.5, 'localhost:99999', 3000],
      ['0', '70000', '"abc"', '-1', '3.5', '"localhost:99999"'].map(
        (e) => `forwardPorts entry ${e} is not a port (1-65535) or HOST:PORT; devc skips it.`,
      ),
    ],
    [
      [null, true, { port: 1 }, '', ':80', 'db:'],
      ['null', 'true', '{"port":1}', '""', '":80"', '"db:"'].map(
        (e) => `forwardPorts entry ${e} is not a port (1-65535) or HOST:PORT; devc skips it.`,
      ),
    ],
    [3000, ['forwardPorts is not a list (3000); devc forwards none of it.']],
  ])('%j', (forwardPorts, expected) => expect(forwardPortsProblems(forwardPorts)).toEqual(expected));

  it('keeps a long entry short', () => {
    const [warning] = forwardPortsProblems(['x'.repeat(100)]);
    expect(warning).toMatch(/^forwardPorts entry "x{38}… is not a port/);
  });
});

describe('attributesFor', () => {
  const config: PortsConfig = {
    portsAttributes: { '3000': { label: 'App' }, '9000-9100': { label: 'Range' } },
    otherPortsAttributes: { onAutoForward: 'ignore' },
  };
  it.each([
    [3000, false, { label: 'App' }],
    [9050, false, { label: 'Range' }],
    [9101, false, {}],
    [9101, true, { onAutoForward: 'ignore' }],
  ])('port %i (other: %s)', (port, other, expected) =>
    expect(attributesFor(config, port, other)).toEqual(expected),
  );
});

describe('desiredForwards', () => {
  const config: PortsConfig = {
    forwardPorts: [3000, 'db:5432', 5000],
    portsAttributes: {
      '3000': { label: 'App', requireLocalPort: true },
      '7000': { onAutoForward: 'ignore' },
    },
  };

  it('config first, then the user, then auto; devc ports, ignored and stopped ones left out', () => {
    const requests = { ...emptyRequests(), forwards: [{ remote: 4000, local: 4001 }], stopped: [5000, 6001] };
    const got = desiredForwards(config, requests, [8080, 2222, 7000, 6000, 6001, 3000]);
    expect(got.map((s) => [s.remote, s.source])).toEqual([
      [3000, 'config'],
      [4000, 'user'],
      [6000, 'auto'],
    ]);
    expect(got[0]).toMatchObject({ label: 'App', requireLocal: true, local: undefined });
    expect(got[1]).toMatchObject({ local: 4001, requireLocal: true });
    expect(got[2]).toMatchObject({ requireLocal: false, label: null });
  });

  it('an explicit forward of a config port wins, and 8080 can be forwarded by hand', () => {
    const requests = { ...emptyRequests(), forwards: [{ remote: 3000 }, { remote: 8080 }] };
    const got = desiredForwards(config, requests, []);
    expect(got.find((s) => s.remote === 3000)?.source).toBe('user');
    expect(got.find((s) => s.remote === 8080)?.source).toBe('user');
  });

  it('a forwardPorts that is not a list forwards nothing and does not throw', () => {
    const got = desiredForwards({ forwardPorts: 3000 as unknown as number[] }, emptyRequests(), []);
    expect(got).toEqual([]);
  });

  it('otherPortsAttributes.onAutoForward=ignore turns auto-forwarding off', () => {
    const got = desiredForwards(
      { otherPortsAttributes: { onAutoForward: 'ignore' } },
      emptyRequests(),
      [6000],
    );
    expect(got).toEqual([]);
  });
});

describe('parseProcNetTcp', () => {
  const tcp = [
    '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
    '   0: 00000000:0BB8 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 1 1',
    '   1: 0100007F:1770 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 2 1',
    '   2: 020011AC:08AE 010011AC:D2F0 01 00000000:00000000 00:00000000 00000000  1000        0 3 1',
    '   3: 020011AC:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 4 1',
    // Docker's DNS resolver at 127.0.0.11 on a user-defined network (devc's): not a workspace server.
    '   4: 0B00007F:AAB9 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 5 1',
  ].join('\n');
  const tcp6 = [
    '  sl  local_address                         remote_address                        st',
    '   0: 00000000000000000000000001000000:1F40 00000000000000000000000000000000:0000 0A 0 0 0',
    '   1: 00000000000000000000000000000000:0BB8 00000000000000000000000000000000:0000 0A 0 0 0',
    '   2: 0000000000000000FFFF00000100007F:2328 00000000000000000000000000000000:0000 0A 0 0 0',
  ].join('\n');

  it('finds listening ports and whether the workspace address reaches them', () => {
    const found = parseProcNetTcp(`${tcp}\n${tcp6}\n`);
    expect([...found.values()].sort((a, b) => a.port - b.port)).toEqual([
      { port: 3000, direct: true }, // 0.0.0.0 and ::
      { port: 6000, direct: false }, // 127.0.0.1
      { port: 8000, direct: false }, // ::1
      { port: 8080, direct: true }, // the container's own address
      { port: 9000, direct: false }, // ::ffff:127.0.0.1
    ]);
  });

  it('ignores established connections and junk', () => {
    expect(parseProcNetTcp('garbage\n\n   9: zz:zz 0 0A').size).toBe(0);
    expect(parseProcNetTcp(tcp).has(2222)).toBe(false);
  });
});
