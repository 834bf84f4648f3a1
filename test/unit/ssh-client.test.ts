import { describe, expect, it } from 'vitest';
import { resolvePaths } from '../../src/paths.js';
import { remoteCommand, shellQuote, sshArgs } from '../../src/ssh/client.js';

describe('shellQuote', () => {
  it.each([
    ['plain', 'plain'],
    ['with space', "'with space'"],
    ["it's", "'it'\\''s'"],
    ['$HOME', "'$HOME'"],
    ['', "''"],
  ])('%j → %s', (input, expected) => expect(shellQuote(input)).toBe(expected));
});

describe('remoteCommand', () => {
  it('runs a login shell in the workspace folder when no command is given', () => {
    expect(remoteCommand('/workspaces/shop', [])).toBe('cd /workspaces/shop 2>/dev/null; exec "$SHELL" -l');
  });
  it('keeps every argument of the command intact', () => {
    expect(remoteCommand('/workspaces/a b', ['sh', '-c', 'exit 3'])).toBe(
      "cd '/workspaces/a b' 2>/dev/null; sh -c 'exit 3'",
    );
  });
});

describe('sshArgs', () => {
  it('uses devc key, pinned host key and strict checking', () => {
    const args = sshArgs(
      resolvePaths({ DEVC_HOME: '/h' }),
      'shop',
      { host: '127.0.0.1', port: 4022 },
      { tty: false },
    );
    expect(args).toEqual(expect.arrayContaining(['-i', '/h/ssh/id_ed25519', '-p', '4022', 'dev@127.0.0.1']));
    expect(args).toContain('StrictHostKeyChecking=yes');
    expect(args).toContain('HostKeyAlias=shop.devc');
    expect(args).toContain('UserKnownHostsFile=/h/ssh/known_hosts');
    expect(args).toContain('-T');
  });
});
