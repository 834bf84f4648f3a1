import { describe, expect, it } from 'vitest';
import { detectVariant } from '../../src/workspace/variants.js';

describe('detectVariant', () => {
  it.each([
    [['package.json'], 'node'],
    [['requirements.txt'], 'python'],
    [['requirements-dev.txt'], 'python'],
    [['pyproject.toml', 'README.md'], 'python'],
    [['setup.py'], 'python'],
    [['Pipfile'], 'python'],
    [['package.json', 'requirements.txt'], 'fullstack'],
    [['go.mod'], 'fullstack'],
    [['Cargo.toml'], 'fullstack'],
    [['README.md'], 'base'],
    [[], 'base'],
  ])('%j → %s', (files, variant) => expect(detectVariant(files)).toBe(variant));
});
