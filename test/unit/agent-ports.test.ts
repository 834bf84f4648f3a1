// The agent's port scans (images/agent/lib/devc-agent/ports.sh), run by sh against /proc/net fixtures.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const PORTS = path.resolve('images/agent/lib/devc-agent/ports.sh');
const FIXTURES = path.resolve('test/unit/fixtures/agent/proc-net');

/** Runs `. ports.sh; <call> <fixture folder> <ports...>` in sh. */
function scan(call: string, fixture: string, ports: number[]) {
  const r = spawnSync(
    'sh',
    ['-c', `. "$0"; ${call} "$@"`, PORTS, path.join(FIXTURES, fixture), ...ports.map(String)],
    { encoding: 'utf8', input: '' },
  );
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('listening (the agent is ready when sshd and code-server both listen)', () => {
  it.each([
    ['serving', [2222, 8080], true],
    ['serving', [2222], true],
    ['serving', [8080], true],
    // 3306 listens on 127.0.0.1 only in the fixture: any address counts.
    ['serving', [2222, 3306], true],
    ['serving', [2222, 8081], false],
    // The local port of an established connection is not a listener.
    ['serving', [54321], false],
    ['sshd-only', [2222, 8080], false],
    ['sshd-only', [2222], true],
    ['idle', [2222, 8080], true],
  ])('%s, ports %j: %s', (fixture, ports, expected) => {
    const r = scan('listening', fixture, ports);
    expect(r.stderr).toBe('');
    expect(r.status === 0).toBe(expected);
  });
});

describe('active_connections (activity that keeps a workspace from stopping for idleness)', () => {
  it.each([
    // One SSH session in (tcp), one browser tab in (tcp6, v4-mapped); neither the outbound connection
    // to a remote 2222 nor the tab in TIME_WAIT counts.
    ['serving', [2222, 8080], '2'],
    ['serving', [2222], '1'],
    ['serving', [8080], '1'],
    ['serving', [8081], '0'],
    ['sshd-only', [2222, 8080], '0'],
    ['idle', [2222, 8080], '0'],
  ])('%s, ports %j: %s', (fixture, ports, expected) => {
    const r = scan('active_connections', fixture, ports);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`${expected}\n`);
  });
});

describe('tcp_tables', () => {
  it.each([
    ['serving', ['tcp', 'tcp6']],
    ['sshd-only', ['tcp']],
  ])('lists the readable tables of %s', (fixture, tables) => {
    const r = scan('tcp_tables', fixture, []);
    expect(r.stdout.trim().split('\n')).toEqual(tables.map((t) => path.join(FIXTURES, fixture, t)));
  });
});
