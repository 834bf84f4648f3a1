import { describe, expect, it } from 'vitest';
import { emptyRequests } from '../../src/ports/config.js';
import type { PortStatus } from '../../src/ports/files.js';
import { knownPorts } from '../../src/services/ports.js';

const row = (remote: number): PortStatus => ({
  remote,
  local: remote,
  label: null,
  source: 'auto',
  state: 'forwarded',
  listening: true,
  url: null,
  message: null,
});

describe('the ports `ports stop` can name', () => {
  const known = knownPorts(
    { forwardPorts: [3000, 'localhost:5173', 'db:5432'] },
    { ...emptyRequests(), forwards: [{ remote: 8000 }], stopped: [9000] },
    [row(4000)],
  );
  it.each([
    [4000, true, 'forwarded now (auto)'],
    [8000, true, 'asked for with ports forward'],
    [3000, true, 'in forwardPorts'],
    [5173, true, 'in forwardPorts as localhost:PORT'],
    [9000, true, 'stopped already'],
    [5432, false, "another host's port in forwardPorts"],
    [4444, false, 'never forwarded'],
  ])('%i → %s (%s)', (port, expected) => {
    expect(known.has(port)).toBe(expected);
  });
});
