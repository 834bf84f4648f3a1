import { PassThrough, type Duplex } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { resolvePaths } from '../../src/paths.js';
import { LINGER_MS, WorkspaceSsh } from '../../src/transport/workspace-ssh.js';

type Target = { host: string; port: number; user: string } | null;

/** Masters that record what they were made for and dial as told. */
function masters(dial: (made: Made, port: number) => Promise<Duplex>) {
  const made: Made[] = [];
  const make = (destination: string[], socket: string, what: string) => {
    const m: Made = { destination, socket, what, dialed: [], stopped: false };
    made.push(m);
    return {
      dial: (address: string, port: number) => {
        m.dialed.push(`${address}:${port}`);
        return dial(m, port);
      },
      stop: () => void (m.stopped = true),
    };
  };
  return { made, make };
}
interface Made {
  destination: string[];
  socket: string;
  what: string;
  dialed: string[];
  stopped: boolean;
}

const paths = resolvePaths({ DEVC_HOME: '/home/u/.local/share/devc' });
const ok = (): Promise<Duplex> => Promise.resolve(new PassThrough());

afterEach(() => void vi.useRealTimers());

describe('WorkspaceSsh', () => {
  it('has no way for a route without an sshd reachable from here (Kubernetes, a remote engine)', async () => {
    const { made, make } = masters(ok);
    expect(await new WorkspaceSsh(paths, 'w', {}, make).dial(3000)).toBeUndefined();
    const away = new WorkspaceSsh(paths, 'w', { sshTarget: () => Promise.resolve(null) }, make);
    expect(await away.dial(3000)).toBeUndefined();
    expect(made).toEqual([]);
  });

  it("makes one master to the workspace's sshd, with devc's key and pinned host key, and asks the engine once", async () => {
    const { made, make } = masters(ok);
    const sshTarget = vi.fn((): Promise<Target> =>
      Promise.resolve({ host: '127.0.0.1', port: 41022, user: 'dev' }),
    );
    const ssh = new WorkspaceSsh(paths, 'web', { sshTarget }, make);
    await ssh.dial(5173);
    await ssh.dial(3000);
    expect(sshTarget).toHaveBeenCalledTimes(1);
    expect(made).toHaveLength(1);
    expect(made[0]!.dialed).toEqual(['127.0.0.1:5173', '127.0.0.1:3000']);
    expect(made[0]!.destination).toEqual(
      expect.arrayContaining(['-p', '41022', 'StrictHostKeyChecking=yes', 'dev@127.0.0.1', paths.privateKey]),
    );
    expect(made[0]!.socket).toMatch(/\/run\/ws-[0-9a-f]{12}\.sock$/);
    expect(made[0]!.what).toBe('the sshd of web');
    ssh.stop();
    expect(made[0]!.stopped).toBe(true);
  });

  it('asks where sshd is now when its master fails, and moves to the new port (a restart republished it)', async () => {
    let port = 41022;
    const sshTarget = (): Promise<Target> => Promise.resolve({ host: '127.0.0.1', port, user: 'dev' });
    const { made, make } = masters((m) =>
      m.destination.includes(String(port)) ? ok() : Promise.reject(new Error('refused')),
    );
    const ssh = new WorkspaceSsh(paths, 'web', { sshTarget }, make);
    await ssh.dial(5173);
    port = 41023;
    expect(await ssh.dial(5173)).toBeDefined();
    expect(made).toHaveLength(2);
    expect(made[0]!.stopped).toBe(true);
    expect(made[1]!.destination).toContain('41023');
  });

  it('says why when sshd does not answer, then lets connections take the other way for a few seconds', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const sshTarget = vi.fn((): Promise<Target> =>
      Promise.resolve({ host: '127.0.0.1', port: 41022, user: 'dev' }),
    );
    const { make } = masters(() => Promise.reject(new Error('ssh to the sshd of web ended: refused')));
    const ssh = new WorkspaceSsh(paths, 'web', { sshTarget }, make);
    await expect(ssh.dial(5173)).rejects.toThrow('refused');
    expect(await ssh.dial(5173)).toBeUndefined();
    expect(sshTarget).toHaveBeenCalledTimes(1);
    vi.setSystemTime(Date.now() + 6000);
    await expect(ssh.dial(5173)).rejects.toThrow('refused');
    expect(sshTarget).toHaveBeenCalledTimes(2);
  });

  it('ends the master a while after its last connection closes: it must not hold off the idle stop', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const sshTarget = (): Promise<Target> => Promise.resolve({ host: '127.0.0.1', port: 41022, user: 'dev' });
    const { made, make } = masters(ok);
    const ssh = new WorkspaceSsh(paths, 'web', { sshTarget }, make);
    const first = (await ssh.dial(5173))!;
    const second = (await ssh.dial(5173))!;
    first.destroy();
    await vi.advanceTimersByTimeAsync(LINGER_MS * 2);
    expect(made[0]!.stopped).toBe(false); // one connection is still open
    second.destroy();
    await vi.advanceTimersByTimeAsync(LINGER_MS - 1000);
    const third = (await ssh.dial(3000))!; // back in time: the same master, the clock starts again
    third.destroy();
    await vi.advanceTimersByTimeAsync(LINGER_MS - 1000);
    expect(made[0]!.stopped).toBe(false);
    await vi.advanceTimersByTimeAsync(2000);
    expect(made[0]!.stopped).toBe(true);
    // The next connection makes a new one.
    await ssh.dial(5173);
    expect(made).toHaveLength(2);
    ssh.stop();
  });
});
