import { describe, expect, it } from 'vitest';
import { hostRequirements, parseSize, unmetRequirements } from '../../src/devcontainer/requirements.js';

describe('hostRequirements', () => {
  it.each([
    ['8gb', 8e9],
    ['512MB', 512e6],
    ['1.5tb', 1.5e12],
    [1024, 1024],
    ['lots', undefined],
  ])('parseSize(%j) = %j', (input, bytes) => expect(parseSize(input)).toBe(bytes));

  it('reads cpus, memory and storage', () => {
    expect(hostRequirements({ hostRequirements: { cpus: 4, memory: '8gb', storage: '32gb' } })).toEqual({
      cpus: 4,
      memoryBytes: 8e9,
      storageBytes: 32e9,
    });
    expect(hostRequirements({})).toEqual({});
  });

  it('warns only about what the host lacks', () => {
    const host = { cpus: 2, memoryBytes: 24e9 };
    expect(unmetRequirements({ cpus: 2, memoryBytes: 8e9 }, host)).toEqual([]);
    expect(unmetRequirements({ cpus: 64 }, host)).toEqual([
      'This workspace asks for 64 CPUs; the Docker engine has 2.',
    ]);
    expect(unmetRequirements({ memoryBytes: 64e9 }, host)[0]).toMatch(
      /64\.0 GB of memory; the Docker engine has 24\.0 GB/,
    );
  });
});
