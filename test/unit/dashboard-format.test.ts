import { describe, expect, it } from 'vitest';
import { parseEvent, parseSize, parseStats } from '../../src/backends/docker/watch.js';
import { idleText, matchesFilter, shortRepository, uptime } from '../../src/ui/dashboard/format.js';
import { layoutColumns } from '../../src/ui/dashboard/columns.js';
import type { Workspace } from '../../src/workspace/model.js';

const base: Workspace = {
  name: 'shop',
  backend: 'docker',
  state: 'running',
  stateReason: undefined,
  repository: { url: 'https://github.com/acme/shop.git', branch: 'main' },
  image: 'devc/dev8-base:0.1.0',
  variant: 'base',
  folder: '/workspaces/shop',
  sourcePath: undefined,
  createdAt: '2026-01-01T00:00:00Z',
  id: 'x',
  user: 'dev',
  idleTimeoutSeconds: 1800,
  startedAt: '2026-01-01T10:00:00Z',
};
const at = (iso: string): number => Date.parse(iso);

describe('dashboard formatting', () => {
  it.each([
    ['https://github.com/acme/shop.git', 'main', 'acme/shop@main'],
    ['git@github.com:acme/shop.git', undefined, 'acme/shop'],
    ['http://127.0.0.1:4000/group/sub/app.git', 'dev', 'sub/app@dev'],
    ['/home/me/src/app', 'main', 'app@main'],
  ])('repository %s (branch %s) → %s', (url, branch, expected) => {
    expect(shortRepository({ ...base, repository: { url, branch } })).toBe(expected);
  });

  it('uptime only for running workspaces', () => {
    expect(uptime(base, at('2026-01-01T10:12:30Z'))).toBe('12m30s');
    expect(uptime({ ...base, state: 'stopped' }, at('2026-01-01T10:12:30Z'))).toBe('-');
  });

  it.each([
    [{ idleTimeoutSeconds: 0 }, undefined, 'idle stop: never'],
    [{ idleTimeoutSeconds: undefined }, undefined, 'idle stop: unknown'],
    [{}, undefined, 'idle stop after 30m'],
    [
      {},
      { lastActiveAt: '2026-01-01T10:05:00Z', activeConnections: 0 },
      'idle stop after 30m (stops in 25m)',
    ],
    [{}, { lastActiveAt: '2026-01-01T09:00:00Z', activeConnections: 0 }, 'idle stop after 30m (stops in 0s)'],
    [{}, { lastActiveAt: undefined, activeConnections: 2 }, 'idle stop after 30m (in use: 2 connections)'],
  ])('idle line %j %j → %s', (change, activity, expected) => {
    expect(idleText({ ...base, ...change }, activity, at('2026-01-01T10:10:00Z'))).toBe(expected);
  });

  it.each([
    ['', true],
    ['SHO', true],
    ['acme', true],
    ['main', true],
    ['other', false],
  ])('filter %j matches: %s', (filter, expected) => {
    expect(matchesFilter(base, filter)).toBe(expected);
  });

  it('drops the optional columns before the repository gets too narrow', () => {
    const titles = (width: number): string[] => layoutColumns(width).map((c) => c.title);
    expect(titles(80)).toEqual(['NAME', 'STATE', 'REPOSITORY', 'BACKEND', 'UPTIME', 'PORTS', 'CPU', 'MEM']);
    expect(titles(60)).toEqual(['NAME', 'STATE', 'REPOSITORY', 'UPTIME', 'CPU', 'MEM']);
    for (const width of [60, 80, 120]) {
      expect(layoutColumns(width).reduce((sum, c) => sum + c.width, 2)).toBeLessThanOrEqual(width);
    }
  });
});

describe('docker events and stats lines', () => {
  it('reads a workspace event, dropping exec detail', () => {
    const line = JSON.stringify({
      Type: 'container',
      Action: 'exec_start: cat /etc/x',
      Actor: { Attributes: { 'dev.devc.workspace': 'shop', name: 'devc-shop' } },
    });
    expect(parseEvent(line)).toEqual({ name: 'shop', action: 'exec_start' });
    expect(
      parseEvent(JSON.stringify({ Action: 'die', Actor: { Attributes: { name: 'other' } } })),
    ).toBeNull();
    expect(parseEvent('not json')).toBeNull();
  });

  it('reads CPU and memory from docker stats', () => {
    const line = JSON.stringify({ Name: 'devc-shop', CPUPerc: '65.94%', MemUsage: '1.047GiB / 23.54GiB' });
    expect(parseStats(line)).toEqual({
      container: 'devc-shop',
      usage: { cpuPercent: 65.94, memoryBytes: Math.round(1.047 * 1024 ** 3) },
    });
    expect(parseStats(JSON.stringify({ Name: 'x', CPUPerc: '--', MemUsage: '-- / --' }))).toBeNull();
  });

  it.each([
    ['0B', 0],
    ['3.719MiB', Math.round(3.719 * 1024 ** 2)],
    ['214MB', 214e6],
    ['12kB', 12000],
    ['lots', undefined],
  ])('size %s → %s', (text, expected) => {
    expect(parseSize(text)).toBe(expected);
  });
});
