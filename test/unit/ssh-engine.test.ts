import { describe, expect, it } from 'vitest';
import { controlSocket, sshDestination } from '../../src/backends/docker/ssh-engine.js';

describe('sshDestination', () => {
  it('gives ssh the user, port and host of an ssh:// engine, as the docker CLI does', () => {
    expect(sshDestination('ssh://me@box.example:2200')).toEqual([
      '-l',
      'me',
      '-p',
      '2200',
      '--',
      'box.example',
    ]);
    expect(sshDestination('ssh://devc-remote-engine')).toEqual(['--', 'devc-remote-engine']);
    expect(sshDestination('ssh://root@[fd00::2]:22')).toEqual(['-l', 'root', '-p', '22', '--', 'fd00::2']);
  });

  it('has none for other engines', () => {
    expect(sshDestination('tcp://10.0.0.2:2376')).toBeUndefined();
    expect(sshDestination('unix:///var/run/docker.sock')).toBeUndefined();
    expect(sshDestination('not a url')).toBeUndefined();
  });
});

describe('controlSocket', () => {
  it('is under DEVC_HOME/run, one per home and engine', () => {
    const a = controlSocket('/home/u/.local/share/devc', 'ssh://a');
    expect(a).toMatch(/^\/home\/u\/\.local\/share\/devc\/run\/engine-[0-9a-f]{12}\.sock$/);
    expect(controlSocket('/home/u/.local/share/devc', 'ssh://b')).not.toBe(a);
    expect(controlSocket('/other', 'ssh://a')).not.toBe(
      controlSocket('/home/u/.local/share/devc', 'ssh://a'),
    );
  });

  it('stays short enough for a unix socket when DEVC_HOME is long', () => {
    expect(controlSocket(`/${'x'.repeat(120)}`, 'ssh://a').length).toBeLessThanOrEqual(100);
  });
});
