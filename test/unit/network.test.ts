import { describe, expect, it } from 'vitest';
import { choosesNetwork } from '../../src/backends/docker/network.js';

describe('choosesNetwork', () => {
  it.each([
    [['--network=host'], true],
    [['--network', 'bridge'], true],
    [['--net=my-net'], true],
    [['--net', 'none'], true],
    [['--cap-add', 'SYS_PTRACE', '--network=${localEnv:NET}'], true],
    [[], false],
    [['--hostname', 'network'], false],
    [['--label', 'x=--network'], false],
    [['--network-alias', 'db'], false],
    [['--networking'], false],
  ])('%j → %s', (runArgs, expected) => {
    expect(choosesNetwork(runArgs)).toBe(expected);
  });
});
