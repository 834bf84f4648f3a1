import { describe, expect, it } from 'vitest';
import { invalidNameLabel, ownerLabel, readLabels, workspaceLabels } from '../../src/workspace/labels.js';
import { Label } from '../../src/workspace/model.js';

const full = {
  [Label.workspace]: 'shop',
  [Label.repository]: 'https://github.com/acme/shop',
  [Label.branch]: 'main',
  [Label.variant]: 'node',
  [Label.folder]: '/workspaces/shop',
  [Label.source]: '/home/ann/shop',
  [Label.owner]: 'ann',
  [Label.home]: 'h1',
  [Label.config]: '.devcontainer/devcontainer.json',
  [Label.createdAt]: '2024-05-01T10:00:00.000Z',
};
const fields = {
  name: 'shop',
  repository: { url: 'https://github.com/acme/shop', branch: 'main' },
  variant: 'node',
  folder: '/workspaces/shop',
  sourcePath: '/home/ann/shop',
  owner: 'ann',
  home: 'h1',
  devcontainerConfig: '.devcontainer/devcontainer.json',
  createdAt: '2024-05-01T10:00:00.000Z',
};
const pick = (keys: string[]): Record<string, string> =>
  Object.fromEntries(Object.entries(full).filter(([key]) => keys.includes(key)));
// As the Kubernetes backend splits them: short, selectable ones as labels, the rest as annotations.
const onLabels = [Label.workspace, Label.variant, Label.owner, Label.home];
const onNotes = [Label.repository, Label.branch, Label.folder, Label.source, Label.config, Label.createdAt];

describe('readLabels', () => {
  it.each([
    { what: 'every label on one object (Docker)', labels: full, notes: undefined, want: fields },
    {
      what: 'labels and annotations (Kubernetes)',
      labels: pick(onLabels),
      notes: pick(onNotes),
      want: fields,
    },
    {
      what: 'no labels: defaults, and the engine creation time',
      labels: {},
      notes: undefined,
      want: {
        name: '',
        repository: { url: '', branch: undefined },
        variant: undefined,
        folder: '/workspaces',
        sourcePath: undefined,
        owner: undefined,
        home: undefined,
        devcontainerConfig: undefined,
        createdAt: 'engine-time',
      },
    },
    {
      what: 'empty values read as unset (dev8 images: no branch, no variant)',
      labels: { ...full, [Label.branch]: '', [Label.variant]: '', [Label.source]: '', [Label.home]: '' },
      notes: undefined,
      want: {
        ...fields,
        repository: { ...fields.repository, branch: undefined },
        variant: undefined,
        sourcePath: undefined,
        home: undefined,
      },
    },
    {
      what: 'an empty folder or creation time falls back like a missing one',
      labels: { ...full, [Label.folder]: '', [Label.createdAt]: '' },
      notes: undefined,
      want: { ...fields, folder: '/workspaces', createdAt: 'engine-time' },
    },
    {
      what: 'long values are read from the annotations, not the labels',
      labels: { ...pick(onLabels), [Label.repository]: 'wrong' },
      notes: pick(onNotes),
      want: fields,
    },
    {
      what: "the owner's real name from the annotation beside its label-safe form (Kubernetes)",
      labels: { ...pick(onLabels), [Label.owner]: ownerLabel('Ann Lee <ann@example.com>') },
      notes: { ...pick(onNotes), [Label.owner]: 'Ann Lee <ann@example.com>' },
      want: { ...fields, owner: 'Ann Lee <ann@example.com>' },
    },
  ])('$what', ({ labels, notes, want }) => {
    expect(readLabels(labels, 'engine-time', notes)).toEqual(want);
  });

  it('reads back what workspaceLabels wrote', () => {
    const spec = {
      name: 'shop',
      repository: { url: 'https://github.com/acme/shop', branch: undefined },
      owner: 'ann',
      home: 'h1',
      sourcePath: '/home/ann/shop',
      folder: '/workspaces/shop',
    };
    const { createdAt, ...read } = readLabels(workspaceLabels(spec), 'engine-time');
    expect(read).toEqual({ ...spec, variant: undefined, devcontainerConfig: undefined });
    expect(createdAt).not.toBe('engine-time');
  });
});

describe('invalidNameLabel', () => {
  it.each([
    { name: 'shop', want: undefined },
    { name: undefined, want: 'Ignored box: its dev.devc.workspace label "" is not a valid workspace name.' },
    {
      name: '../etc',
      want: 'Ignored box: its dev.devc.workspace label "../etc" is not a valid workspace name.',
    },
  ])('$name', ({ name, want }) => {
    expect(invalidNameLabel(name === undefined ? {} : { [Label.workspace]: name }, 'box')).toBe(want);
  });
});

describe('ownerLabel', () => {
  const valid = /^[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$/;
  it.each(['alice', 'bob.smith', 'x', 'a_b-c.d', 'A1'])('keeps the label-safe name %s as it is', (name) => {
    expect(ownerLabel(name)).toBe(name);
  });

  it.each([
    'alice@example.com',
    'Ann Lee',
    '-lead',
    'trailing.',
    'ü',
    '',
    `${'x'.repeat(70)}@example.com`,
    'CN=ann,O=acme',
  ])('makes %j a valid label value that still reads like it', (name) => {
    const label = ownerLabel(name);
    expect(label).toMatch(valid);
    expect(label).not.toBe(name);
  });

  it('gives names that clean up alike different labels', () => {
    expect(ownerLabel('alice@example.com')).toMatch(/^alice-example.com-[0-9a-f]{10}$/);
    expect(ownerLabel('alice@example.com')).not.toBe(ownerLabel('alice+example.com'));
    expect(ownerLabel('Ann Lee')).not.toBe(ownerLabel('Ann-Lee'));
  });
});
